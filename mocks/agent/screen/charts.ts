/**
 * The moving parts of the screen: a flow-cytometry-like histogram filling up during an
 * acquisition and reaction curves on the analyser; temperature strip charts on the service
 * screen. Functions of time only (`t` in ms), so a recording is repeatable.
 */
import { noise } from './data';
import { CHART_BOTTOM, CHART_TOP, COLORS, font, type Ctx, type Rect } from './layout';
import type { ScreenKind } from './model';

const PAD = { left: 70, right: 24, top: 56, bottom: 46 };

function label(
	ctx: Ctx,
	s: string,
	x: number,
	y: number,
	size: number,
	colour: string,
	weight = 400
): void {
	ctx.font = font(size, weight);
	ctx.fillStyle = colour;
	ctx.fillText(s, x, y);
}

/** Draws the panel and its axes; returns the plot area inside. */
function panel(ctx: Ctx, r: Rect, title: string, subtitle: string): Rect {
	ctx.fillStyle = COLORS.panel;
	ctx.fillRect(r.x, r.y, r.w, r.h);
	ctx.strokeStyle = COLORS.border;
	ctx.lineWidth = 1;
	ctx.strokeRect(r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
	label(ctx, title, r.x + 16, r.y + 24, 19, COLORS.text, 700);
	ctx.textAlign = 'right';
	label(ctx, subtitle, r.x + r.w - 16, r.y + 24, 16, COLORS.muted);
	ctx.textAlign = 'left';
	const plot = {
		x: r.x + PAD.left,
		y: r.y + PAD.top,
		w: r.w - PAD.left - PAD.right,
		h: r.h - PAD.top - PAD.bottom
	};
	ctx.strokeStyle = COLORS.muted;
	ctx.beginPath();
	ctx.moveTo(plot.x, plot.y);
	ctx.lineTo(plot.x, plot.y + plot.h);
	ctx.lineTo(plot.x + plot.w, plot.y + plot.h);
	ctx.stroke();
	ctx.strokeStyle = '#eef1f5';
	for (let i = 1; i <= 4; i++) {
		const gy = Math.round(plot.y + (plot.h * (4 - i)) / 4) + 0.5;
		ctx.beginPath();
		ctx.moveTo(plot.x + 1, gy);
		ctx.lineTo(plot.x + plot.w, gy);
		ctx.stroke();
	}
	return plot;
}

function gauss(x: number, mean: number, sd: number): number {
	return Math.exp(-((x - mean) ** 2) / (2 * sd * sd));
}

const BINS = 128;
const POPULATIONS = [
	{ mean: 0.3, sd: 0.045, weight: 1 },
	{ mean: 0.58, sd: 0.07, weight: 0.55 },
	{ mean: 0.83, sd: 0.03, weight: 0.18 }
];

/** An acquisition of 12 s: events accumulate, the histogram grows, then the next tube starts. */
function histogram(ctx: Ctx, t: number): void {
	const seconds = t / 1000;
	const tube = Math.floor(seconds / 12);
	const share = (seconds % 12) / 12;
	const events = Math.round(25000 * share);
	const plot = panel(
		ctx,
		CHART_TOP,
		`Histogram · Tube ${(tube % 24) + 1}`,
		`FL1-A (CD45) · ${events.toLocaleString('en-US')} events`
	);
	const tick = Math.floor(t / 100);
	const drift = 0.02 * Math.sin(tube * 1.7);
	const barW = plot.w / BINS;
	ctx.fillStyle = COLORS.accent;
	for (let i = 0; i < BINS; i++) {
		const x = (i + 0.5) / BINS;
		const density = POPULATIONS.reduce((n, p) => n + p.weight * gauss(x, p.mean + drift, p.sd), 0);
		const jitter = 1 + 0.12 * (noise(i, tick) - 0.5) * 2;
		const h = Math.min(plot.h, plot.h * 0.9 * density * share * jitter);
		ctx.fillRect(plot.x + i * barW, plot.y + plot.h - h, Math.max(1, barW - 1), h);
	}
	// Gates: P1 around the first population, P2 around the second.
	const gates = [
		{ name: 'P1', from: 0.2, to: 0.4 },
		{ name: 'P2', from: 0.45, to: 0.72 }
	];
	ctx.strokeStyle = COLORS.error;
	ctx.lineWidth = 2;
	for (const g of gates) {
		const x0 = plot.x + g.from * plot.w;
		const x1 = plot.x + g.to * plot.w;
		ctx.beginPath();
		ctx.moveTo(x0, plot.y + 30);
		ctx.lineTo(x1, plot.y + 30);
		ctx.stroke();
		label(ctx, g.name, x0 + 4, plot.y + 16, 15, COLORS.error, 700);
	}
	ctx.lineWidth = 1;
	label(ctx, '0', plot.x - 4, plot.y + plot.h + 20, 14, COLORS.muted);
	label(ctx, '10⁵', plot.x + plot.w - 30, plot.y + plot.h + 20, 14, COLORS.muted);
	label(ctx, 'Count', CHART_TOP.x + 10, plot.y + 12, 14, COLORS.muted);
}

const CUVETTES = [
	{ name: 'Cuv 14 · ALT', rate: 0.9, top: 1.6, colour: '#1565c0' },
	{ name: 'Cuv 15 · AST', rate: 0.6, top: 1.25, colour: '#2e7d32' },
	{ name: 'Cuv 16 · GGT', rate: 1.4, top: 0.95, colour: '#ef6c00' },
	{ name: 'Cuv 17 · ALP', rate: 0.35, top: 1.9, colour: '#6a1b9a' }
];

/** Absorbance against time; a 10-minute read compressed into a 20 s cycle. */
function reaction(ctx: Ctx, t: number): void {
	const share = ((t / 1000) % 20) / 20;
	const plot = panel(
		ctx,
		CHART_BOTTOM,
		'Reaction curves · 340 nm',
		`t = ${Math.round(share * 600)} s of 600 s`
	);
	const points = Math.max(2, Math.round(share * 120));
	ctx.lineWidth = 2.5;
	CUVETTES.forEach((c, k) => {
		ctx.strokeStyle = c.colour;
		ctx.beginPath();
		let last = { x: 0, y: 0 };
		for (let i = 0; i < points; i++) {
			const s = i / 120;
			const a = 0.1 + c.top / (1 + Math.exp(-8 * c.rate * (s - 0.45))) + 0.01 * (noise(i, k) - 0.5);
			last = { x: plot.x + s * plot.w, y: plot.y + plot.h - (a / 2.2) * plot.h };
			if (i === 0) ctx.moveTo(last.x, last.y);
			else ctx.lineTo(last.x, last.y);
		}
		ctx.stroke();
		ctx.fillStyle = c.colour;
		ctx.beginPath();
		ctx.arc(last.x, last.y, 5, 0, 2 * Math.PI);
		ctx.fill();
		label(ctx, c.name, plot.x + 16, plot.y + 14 + k * 22, 15, c.colour, 700);
	});
	ctx.lineWidth = 1;
	label(ctx, 'A', CHART_BOTTOM.x + 16, plot.y + 12, 14, COLORS.muted);
}

interface Series {
	name: string;
	colour: string;
	value(s: number): number;
}

/** A strip chart of the last 60 s, scrolling left as time goes on. */
function strip(
	ctx: Ctx,
	r: Rect,
	title: string,
	min: number,
	max: number,
	unit: string,
	series: Series[],
	t: number
): void {
	const now = t / 1000;
	const latest = series.map((s) => `${s.value(now).toFixed(1)} ${unit}`).join(' · ');
	const plot = panel(ctx, r, title, latest);
	const step = 0.25;
	ctx.lineWidth = 2;
	series.forEach((s, k) => {
		ctx.strokeStyle = s.colour;
		ctx.beginPath();
		for (let i = 0; i <= 240; i++) {
			const at = Math.floor(now / step) * step - (240 - i) * step;
			const x = plot.x + (i / 240) * plot.w;
			const y = plot.y + plot.h - ((s.value(at) - min) / (max - min)) * plot.h;
			if (i === 0) ctx.moveTo(x, y);
			else ctx.lineTo(x, y);
		}
		ctx.stroke();
		label(ctx, s.name, plot.x + 16, plot.y + 14 + k * 22, 15, s.colour, 700);
	});
	ctx.lineWidth = 1;
	label(ctx, '-60 s', plot.x - 10, plot.y + plot.h + 20, 14, COLORS.muted);
	label(ctx, 'now', plot.x + plot.w - 30, plot.y + plot.h + 20, 14, COLORS.muted);
}

const wobble = (s: number, seed: number, amp: number) =>
	amp *
	(Math.sin(s * 0.7 + seed) +
		0.5 * Math.sin(s * 2.3 + seed * 3) +
		(noise(Math.floor(s * 4), seed) - 0.5));

export function drawCharts(ctx: Ctx, kind: ScreenKind, t: number): void {
	if (kind === 'analyser') {
		histogram(ctx, t);
		reaction(ctx, t);
		return;
	}
	strip(
		ctx,
		CHART_TOP,
		'Temperatures',
		0,
		45,
		'°C',
		[
			{ name: 'Incubator', colour: '#c62828', value: (s) => 37 + wobble(s, 1, 0.15) },
			{ name: 'Reagent cooler', colour: '#1565c0', value: (s) => 8 + wobble(s, 2, 0.6) },
			{ name: 'Cabinet', colour: '#6b7785', value: (s) => 27 + wobble(s, 3, 0.4) }
		],
		t
	);
	strip(
		ctx,
		CHART_BOTTOM,
		'Pressures',
		0,
		120,
		'kPa',
		[
			{ name: 'Vacuum', colour: '#2e7d32', value: (s) => 62 + wobble(s, 4, 4) },
			{ name: 'Wash line', colour: '#ef6c00', value: (s) => 95 + wobble(s, 5, 6) }
		],
		t
	);
}
