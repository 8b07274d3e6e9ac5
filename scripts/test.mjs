// `npm test`: every check and every test layer, in the order a failure is cheapest to find.
// 1. Chromium and Firefox ESR present (installed with apt-get where possible)  2. format, lint, type check
// 3. production build  4. Vitest: node, browser (real Chromium), e2e (the build, driven by Playwright)
// It ends with a count per layer and a closing `total: N passed, N failed` line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { ensureChromium, ensureFirefox } from './ensure-chromium.mjs';

const LAYERS = ['node', 'browser', 'e2e'];
const REPORT = 'test-results/vitest.json';

function step(title, command, args) {
	console.log(`\n[benchside] ${title}: ${command} ${args.join(' ')}`);
	const started = Date.now();
	const result = spawnSync(command, args, { stdio: 'inherit', env: process.env });
	const seconds = ((Date.now() - started) / 1000).toFixed(1);
	if (result.status !== 0) {
		console.error(`[benchside] ${title} failed after ${seconds}s.`);
		return false;
	}
	console.log(`[benchside] ${title} passed in ${seconds}s.`);
	return true;
}

try {
	console.log(`[benchside] Chromium: ${ensureChromium()}`);
	console.log(`[benchside] Firefox: ${ensureFirefox()}`);
} catch (error) {
	console.error(`[benchside] ${error instanceof Error ? error.message : String(error)}`);
	process.exit(1);
}

const bin = (name) => `node_modules/.bin/${name}`;
const checksOk =
	step('format', bin('prettier'), ['--check', '--log-level', 'warn', '.']) &&
	step('lint', bin('eslint'), ['.']) &&
	step('type check', 'npm', ['run', '--silent', 'check']) &&
	step('production build', bin('vite'), ['build', '--logLevel', 'warn']);
if (!checksOk) process.exit(1);

mkdirSync('test-results', { recursive: true });
// A report left by an earlier run must never be read as this run's.
rmSync(REPORT, { force: true });
const vitestOk = step('tests', bin('vitest'), [
	'run',
	'--reporter=default',
	'--reporter=json',
	`--outputFile.json=${REPORT}`
]);

let report;
try {
	report = JSON.parse(readFileSync(REPORT, 'utf8'));
} catch {
	console.error(`[benchside] No test report at ${REPORT}: Vitest did not finish.`);
	process.exit(1);
}
const counts = Object.fromEntries(LAYERS.map((l) => [l, { passed: 0, failed: 0, skipped: 0 }]));
for (const file of report.testResults ?? []) {
	const layer = LAYERS.find((l) => file.name.includes(`/tests/${l}/`));
	if (!layer) continue;
	for (const test of file.assertionResults ?? []) {
		if (test.status === 'passed') counts[layer].passed++;
		else if (test.status === 'failed') counts[layer].failed++;
		else counts[layer].skipped++;
	}
	// A file that failed to load, or whose setup hook failed, counts as a failure even when none
	// of its tests did (they were never run).
	const anyFailed = (file.assertionResults ?? []).some((t) => t.status === 'failed');
	if (file.status === 'failed' && !anyFailed) counts[layer].failed++;
}
console.log('\n[benchside] tests per layer:');
let passed = 0;
let failed = 0;
let emptyLayer = false;
for (const layer of LAYERS) {
	const c = counts[layer];
	console.log(`  ${layer.padEnd(8)} ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`);
	passed += c.passed;
	failed += c.failed;
	if (c.passed === 0) emptyLayer = true;
}
if (emptyLayer) console.error('[benchside] every layer must run at least one test.');
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(vitestOk && failed === 0 && !emptyLayer ? 0 : 1);
