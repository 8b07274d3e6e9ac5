/**
 * The page bench/run.mjs drives. Every `suites/*.bench.ts` is registered by Vite's glob import,
 * so adding a suite is adding a file; each is loaded only when it runs.
 */
import type { BenchPage, Figure, Suite } from './lib/types';

declare global {
	interface Window {
		benchside: BenchPage;
	}
}

const PREFIX = './suites/';
const loaders = new Map(
	Object.entries(import.meta.glob<Suite>('./suites/*.bench.ts')).map(([path, load]) => [
		path.slice(PREFIX.length),
		load
	])
);

const NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

async function run(file: string): Promise<Figure[]> {
	const load = loaders.get(file);
	if (!load) throw new Error(`no suite ${file}`);
	const suite = await load();
	if (typeof suite.run !== 'function') throw new Error(`${file} does not export run(report)`);
	const figures: Figure[] = [];
	const seen = new Set<string>();
	await suite.run((name, value, unit, goal) => {
		// A malformed figure is a bug in the suite: fail it rather than record a wrong number.
		if (!NAME.test(name)) throw new Error(`figure name "${name}" is not dotted lower case`);
		if (seen.has(name)) throw new Error(`figure ${name} reported twice`);
		if (!Number.isFinite(value)) throw new Error(`figure ${name} is ${value}`);
		seen.add(name);
		figures.push({ name, value, unit, ...(goal === undefined ? {} : { goal }) });
	});
	if (figures.length === 0) throw new Error(`${file} reported no figures`);
	return figures;
}

window.benchside = { list: () => [...loaders.keys()].sort(), run };
