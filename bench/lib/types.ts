/** The contract between bench/run.mjs, the page (bench/page.ts) and each suite. */

/**
 * Records one figure. `name` is dotted, lower case and stable across runs (results are compared
 * by name); `goal` is a human note printed next to the figure, never checked.
 */
export type Report = (name: string, value: number, unit: string, goal?: string) => void;

export interface Figure {
	name: string;
	value: number;
	unit: string;
	goal?: string;
}

/** A module in bench/suites/ named `<topic>.bench.ts`. */
export interface Suite {
	run(report: Report): Promise<void>;
}

/** What the page exposes to bench/run.mjs as `window.benchside`. */
export interface BenchPage {
	/** File names of the registered suites, e.g. `channel.bench.ts`. */
	list(): string[];
	run(file: string): Promise<Figure[]>;
}

/** What the page's renderer main thread ran between two `benchsideTrace` calls (lib/trace.mjs). */
export interface MainThreadTrace {
	tasks: number;
	/** Thread (CPU) time of the top-level tasks; wall time where the trace has no thread time. */
	threadMs: number;
	wallMs: number;
	threadTime: boolean;
}

/** Given to the page by bench/run.mjs: Chromium's trace, for main-thread time. */
export type BenchTrace = (command: 'start' | 'stop') => Promise<MainThreadTrace | null>;
