/**
 * What the simulated instrument shows: a sample queue on the analyser screen, an event log on
 * the service screen. Deterministic (no Math.random), so recordings and tests see the same UI.
 */
import { COLORS } from './layout';

export interface Cell {
	text: string;
	/** Drawn as a coloured status pill instead of plain text. */
	pill?: string;
}

export interface Column {
	title: string;
	width: number;
}

export interface TableModel {
	columns: Column[];
	rows: Cell[][];
	/** Rows whose last cell shows a live progress bar. */
	running: Set<number>;
}

/** A small deterministic hash in [0, 1): the screen's only source of noise. */
export function noise(a: number, b = 0): number {
	let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
	h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
	h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
	return ((h ^ (h >>> 15)) >>> 0) / 2 ** 32;
}

const TEST_PANELS = [
	'GLU, CREA, UREA',
	'ALT, AST, GGT, ALP',
	'CRP',
	'Na, K, Cl',
	'CHOL, HDL, LDL, TRIG',
	'TSH, fT4',
	'HbA1c',
	'CRP, PCT',
	'ALB, TP, BIL-T',
	'LDH, CK, CK-MB'
];

const STATUSES: { text: string; colour: string }[] = [
	{ text: 'Done', colour: COLORS.ok },
	{ text: 'Done', colour: COLORS.ok },
	{ text: 'Done', colour: COLORS.ok },
	{ text: 'Running', colour: COLORS.running },
	{ text: 'Pending', colour: COLORS.pending },
	{ text: 'Pending', colour: COLORS.pending },
	{ text: 'Rerun', colour: COLORS.rerun },
	{ text: 'Error', colour: COLORS.error }
];

function pad(n: number, width: number): string {
	return String(n).padStart(width, '0');
}

export function sampleQueue(count = 48): TableModel {
	const rows: Cell[][] = [];
	const running = new Set<number>();
	for (let i = 0; i < count; i++) {
		// Earlier samples are done; one in a few further down is running, errored or waiting.
		const status =
			i < 9
				? STATUSES[i % 3 === 2 && i > 4 ? 6 : 0]!
				: i < 12
					? STATUSES[3]!
					: STATUSES[noise(i, 7) < 0.1 ? 7 : 4]!;
		if (status.text === 'Running') running.add(i);
		const minutes = 8 * 60 + 12 + i * 3;
		rows.push([
			{ text: String(i + 1) },
			{ text: `S-${1001 + i}` },
			{ text: `R${pad(3 + Math.floor(i / 10), 2)} / ${(i % 10) + 1}` },
			{ text: TEST_PANELS[Math.floor(noise(i, 3) * TEST_PANELS.length)]! },
			{ text: `${pad(Math.floor(minutes / 60), 2)}:${pad(minutes % 60, 2)}` },
			{ text: status.text, pill: status.colour }
		]);
	}
	return {
		columns: [
			{ title: '#', width: 70 },
			{ title: 'Sample ID', width: 190 },
			{ title: 'Rack / Pos', width: 170 },
			{ title: 'Tests', width: 290 },
			{ title: 'Loaded', width: 120 },
			{ title: 'Status', width: 210 }
		],
		rows,
		running
	};
}

const LOG_EVENTS: { component: string; message: string; level: string; colour: string }[] = [
	{
		component: 'Incubator',
		message: 'Temperature stable 37.0 °C',
		level: 'Info',
		colour: COLORS.ok
	},
	{ component: 'Pipettor', message: 'Probe wash cycle complete', level: 'Info', colour: COLORS.ok },
	{ component: 'Reagent', message: 'R2 volume below 10 %', level: 'Warning', colour: COLORS.rerun },
	{ component: 'Photometer', message: 'Lamp intensity 92 %', level: 'Info', colour: COLORS.ok },
	{
		component: 'Mixer',
		message: 'Motor current high, retry',
		level: 'Warning',
		colour: COLORS.rerun
	},
	{
		component: 'Barcode',
		message: 'No read, rack R07 pos 4',
		level: 'Error',
		colour: COLORS.error
	},
	{ component: 'Cooler', message: 'Compressor cycle 14 min', level: 'Info', colour: COLORS.ok },
	{ component: 'LIS', message: 'Order download 12 samples', level: 'Info', colour: COLORS.ok }
];

export function serviceLog(count = 48): TableModel {
	const rows: Cell[][] = [];
	for (let i = 0; i < count; i++) {
		const event = LOG_EVENTS[Math.floor(noise(i, 11) * LOG_EVENTS.length)]!;
		const seconds = 7 * 3600 + 55 * 60 + i * 47;
		rows.push([
			{
				text: `${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}`
			},
			{ text: event.component },
			{ text: event.message },
			{ text: `E${pad(100 + Math.floor(noise(i, 5) * 800), 3)}` },
			{ text: event.level, pill: event.colour }
		]);
	}
	return {
		columns: [
			{ title: 'Time', width: 150 },
			{ title: 'Module', width: 180 },
			{ title: 'Event', width: 420 },
			{ title: 'Code', width: 110 },
			{ title: 'Level', width: 220 }
		],
		rows,
		running: new Set()
	};
}
