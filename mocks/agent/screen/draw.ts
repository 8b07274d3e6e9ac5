/**
 * Paints one simulated screen. What changes only on input (toolbar, table) is drawn into a
 * cached layer and blitted; what moves every frame (clock, charts, progress, banner, menu,
 * cursor) is drawn over it. Drawing without a GPU costs ~10 ms a frame, so the cache matters.
 */
import { drawCharts } from './charts';
import type { Cell } from './data';
import {
	COLORS,
	DESIGN,
	FOOTER,
	MENU,
	MENU_BUTTON,
	MENU_ITEMS,
	SEARCH_FIELD,
	STATUS_BAR,
	TABLE,
	TABLE_HEADER_HEIGHT,
	TABLE_VISIBLE_ROWS,
	TOOLBAR,
	TOOLBAR_BUTTONS,
	contains,
	font,
	menuItem,
	tableRow,
	type Ctx,
	type Rect
} from './layout';
import type { Ui } from './model';

function fill(ctx: Ctx, r: Rect, colour: string): void {
	ctx.fillStyle = colour;
	ctx.fillRect(r.x, r.y, r.w, r.h);
}

function stroke(ctx: Ctx, r: Rect, colour: string, width = 1): void {
	ctx.strokeStyle = colour;
	ctx.lineWidth = width;
	ctx.strokeRect(r.x + 0.5, r.y + 0.5, r.w - 1, r.h - 1);
}

export function text(
	ctx: Ctx,
	s: string,
	x: number,
	y: number,
	size: number,
	colour: string,
	weight = 400,
	maxWidth?: number
): void {
	ctx.font = font(size, weight);
	ctx.fillStyle = colour;
	if (maxWidth === undefined) ctx.fillText(s, x, y);
	else ctx.fillText(s, x, y, maxWidth);
}

function button(ctx: Ctx, r: Rect, label: string, pressed: boolean): void {
	fill(ctx, r, pressed ? COLORS.header : COLORS.panel);
	stroke(ctx, r, COLORS.border);
	ctx.textAlign = 'center';
	text(ctx, label, r.x + r.w / 2, r.y + r.h / 2 + 1, 19, COLORS.text, 600);
	ctx.textAlign = 'left';
}

function pill(ctx: Ctx, x: number, y: number, label: string, colour: string): void {
	ctx.fillStyle = colour;
	ctx.beginPath();
	ctx.roundRect(x, y - 14, 130, 28, 14);
	ctx.fill();
	ctx.textAlign = 'center';
	text(ctx, label, x + 65, y + 1, 16, '#ffffff', 700);
	ctx.textAlign = 'left';
}

function toolbar(ctx: Ctx, ui: Ui): void {
	fill(ctx, TOOLBAR, COLORS.toolbar);
	fill(ctx, { x: 0, y: TOOLBAR.y + TOOLBAR.h - 1, w: DESIGN.width, h: 1 }, COLORS.border);
	button(ctx, MENU_BUTTON, '☰  Menu', ui.menuOpen);
	fill(ctx, SEARCH_FIELD, '#ffffff');
	stroke(
		ctx,
		SEARCH_FIELD,
		ui.searchFocused ? COLORS.accent : COLORS.border,
		ui.searchFocused ? 2 : 1
	);
	const label = ui.kind === 'analyser' ? 'Sample ID search' : 'Service command';
	const x = SEARCH_FIELD.x + 14;
	const y = SEARCH_FIELD.y + SEARCH_FIELD.h / 2 + 1;
	if (ui.search) {
		text(ctx, ui.search, x, y, 21, COLORS.text, 400, SEARCH_FIELD.w - 30);
		ctx.font = font(21);
		const caret = Math.min(
			x + ctx.measureText(ui.search).width + 2,
			SEARCH_FIELD.x + SEARCH_FIELD.w - 12
		);
		fill(ctx, { x: caret, y: SEARCH_FIELD.y + 9, w: 2, h: SEARCH_FIELD.h - 18 }, COLORS.text);
	} else {
		text(ctx, label, x, y, 19, COLORS.muted);
	}
	const labels =
		ui.kind === 'analyser'
			? ['▶ Start', '❚❚ Pause', '⏏ Unload rack']
			: ['Prime', 'Home axes', 'Self test'];
	const w = (TOOLBAR_BUTTONS.w - 2 * 12) / labels.length;
	labels.forEach((l, i) =>
		button(
			ctx,
			{ x: TOOLBAR_BUTTONS.x + i * (w + 12), y: TOOLBAR_BUTTONS.y, w, h: TOOLBAR_BUTTONS.h },
			l,
			false
		)
	);
}

function cell(ctx: Ctx, c: Cell, x: number, y: number, width: number): void {
	if (c.pill) pill(ctx, x, y, c.text, c.pill);
	else text(ctx, c.text, x, y, 18, COLORS.text, 400, width - 16);
}

function table(ctx: Ctx, ui: Ui): void {
	fill(ctx, TABLE, COLORS.panel);
	fill(ctx, { x: TABLE.x, y: TABLE.y, w: TABLE.w, h: TABLE_HEADER_HEIGHT }, COLORS.header);
	const { columns, rows } = ui.table;
	let x = TABLE.x + 12;
	const hy = TABLE.y + TABLE_HEADER_HEIGHT / 2 + 1;
	for (const col of columns) {
		text(ctx, col.title, x, hy, 17, COLORS.text, 700);
		x += col.width;
	}
	for (let slot = 0; slot < TABLE_VISIBLE_ROWS; slot++) {
		const index = ui.scroll + slot;
		const cells = rows[index];
		if (!cells) break;
		const r = tableRow(slot);
		if (index === ui.selectedRow) fill(ctx, r, COLORS.selected);
		else if (slot % 2 === 1) fill(ctx, r, '#f4f6f9');
		let cx = TABLE.x + 12;
		cells.forEach((c, i) => {
			const width = columns[i]?.width ?? 100;
			cell(ctx, c, cx, r.y + r.h / 2 + 1, width);
			cx += width;
		});
	}
	stroke(ctx, TABLE, COLORS.border);
	// Scroll bar: where the visible rows sit in the queue.
	const track: Rect = {
		x: TABLE.x + TABLE.w - 10,
		y: TABLE.y + TABLE_HEADER_HEIGHT,
		w: 8,
		h: TABLE.h - TABLE_HEADER_HEIGHT
	};
	const share = Math.min(1, TABLE_VISIBLE_ROWS / rows.length);
	fill(
		ctx,
		{ ...track, y: track.y + (ui.scroll / rows.length) * track.h, h: share * track.h },
		COLORS.border
	);
}

/** The layer redrawn only when `ui.version` changes. */
export function paintStatic(ctx: Ctx, ui: Ui): void {
	fill(ctx, { x: 0, y: 0, w: DESIGN.width, h: DESIGN.height }, COLORS.background);
	toolbar(ctx, ui);
	table(ctx, ui);
}

function statusBar(ctx: Ctx, ui: Ui, clock: Date): void {
	fill(ctx, STATUS_BAR, COLORS.statusBar);
	const y = STATUS_BAR.h / 2 + 1;
	text(ctx, ui.instrument.name, 20, y, 24, COLORS.statusText, 700, 380);
	text(ctx, `${ui.instrument.model} · ${ui.screen.name}`, 420, y, 17, '#b8c7da', 400, 210);
	const running = ui.kind === 'analyser';
	pill(ctx, 860, y, running ? 'Running' : 'Service', running ? COLORS.ok : COLORS.rerun);
	text(ctx, running ? 'Throughput 412 tests/h' : 'Diagnostics mode', 1010, y, 17, '#b8c7da');
	ctx.textAlign = 'right';
	const date = clock.toISOString().slice(0, 10);
	const time = clock.toISOString().slice(11, 19);
	text(ctx, `${date}  ${time}`, DESIGN.width - 20, y, 22, COLORS.statusText, 600);
	text(ctx, 'User: lab.tech', DESIGN.width - 300, y, 17, '#b8c7da');
	ctx.textAlign = 'left';
}

/** Progress bars over the "Running" pills, moving with time. */
function progress(ctx: Ctx, ui: Ui, t: number): void {
	const statusX =
		TABLE.x + 12 + ui.table.columns.slice(0, -1).reduce((n, c) => n + c.width, 0) + 140;
	for (const row of ui.table.running) {
		const slot = row - ui.scroll;
		if (slot < 0 || slot >= TABLE_VISIBLE_ROWS) continue;
		const r = tableRow(slot);
		const share = (((t / 1000 / 40 + row * 0.29) % 1) + 1) % 1;
		fill(ctx, { x: statusX, y: r.y + 17, w: 60, h: 10 }, COLORS.header);
		fill(ctx, { x: statusX, y: r.y + 17, w: Math.round(60 * share), h: 10 }, COLORS.running);
	}
}

/** An error banner shows for 8 s of every 30 s, else the footer's quiet status line. */
function footer(ctx: Ctx, ui: Ui, t: number, clock: Date): void {
	const phase = (t / 1000) % 30;
	if (phase >= 3 && phase < 11) {
		fill(ctx, FOOTER, COLORS.banner);
		const message =
			ui.kind === 'analyser'
				? '⚠  Reagent R2 low: 14 tests remaining. Load a new R2 bottle in tray B, position 4.'
				: '⚠  Cooler temperature drift +0.6 °C in 10 min. Check the condenser filter.';
		text(ctx, message, 24, FOOTER.y + FOOTER.h / 2 + 1, 22, '#ffffff', 700);
		text(ctx, 'Acknowledge', FOOTER.w - 190, FOOTER.y + FOOTER.h / 2 + 1, 19, '#ffffff', 600);
		return;
	}
	fill(ctx, FOOTER, COLORS.toolbar);
	fill(ctx, { x: 0, y: FOOTER.y, w: FOOTER.w, h: 1 }, COLORS.border);
	const notice = ui.notice && ui.notice.until > t ? ui.notice.text : null;
	const line = notice ?? `Ready. Last LIS sync ${clock.toISOString().slice(11, 16)} · 0 alarms`;
	text(
		ctx,
		line,
		24,
		FOOTER.y + FOOTER.h / 2 + 1,
		19,
		notice ? COLORS.accent : COLORS.muted,
		notice ? 700 : 400
	);
}

function menu(ctx: Ctx, ui: Ui): void {
	ctx.shadowColor = 'rgba(0,0,0,0.35)';
	ctx.shadowBlur = 16;
	fill(ctx, MENU, COLORS.menu);
	ctx.shadowBlur = 0;
	MENU_ITEMS.forEach((label, i) => {
		const r = menuItem(i);
		if (contains(r, ui.cursor.x, ui.cursor.y)) fill(ctx, r, COLORS.menuHover);
		text(ctx, label, r.x + 18, r.y + r.h / 2 + 1, 20, COLORS.menuText, 500);
	});
}

function cursor(ctx: Ctx, ui: Ui): void {
	const { x, y } = ui.cursor;
	ctx.beginPath();
	ctx.moveTo(x, y);
	ctx.lineTo(x, y + 30);
	ctx.lineTo(x + 7.5, y + 23);
	ctx.lineTo(x + 13, y + 35);
	ctx.lineTo(x + 18, y + 33);
	ctx.lineTo(x + 12.5, y + 21.5);
	ctx.lineTo(x + 22, y + 21.5);
	ctx.closePath();
	ctx.fillStyle = ui.buttons ? '#ffd54f' : '#ffffff';
	ctx.fill();
	ctx.strokeStyle = '#000000';
	ctx.lineWidth = 2;
	ctx.stroke();
}

/** Everything drawn every frame, over the static layer. `t` is the animation clock in ms. */
export function paintDynamic(ctx: Ctx, ui: Ui, t: number, clock: Date): void {
	statusBar(ctx, ui, clock);
	progress(ctx, ui, t);
	drawCharts(ctx, ui.kind, t);
	footer(ctx, ui, t, clock);
	if (ui.menuOpen) menu(ctx, ui);
	cursor(ctx, ui);
}

/** Owns a screen's canvas and the cached static layer. */
export class Painter {
	readonly canvas: OffscreenCanvas;
	readonly #ctx: Ctx;
	readonly #layer: OffscreenCanvas;
	readonly #layerCtx: Ctx;
	#layerVersion = -1;

	constructor(readonly ui: Ui) {
		const { width, height } = ui.screen;
		this.canvas = new OffscreenCanvas(width, height);
		this.#layer = new OffscreenCanvas(width, height);
		this.#ctx = context(this.canvas);
		this.#layerCtx = context(this.#layer);
	}

	/** Paints a frame: `t` drives the animations (ms), `clock` is the time shown. */
	paint(t: number, clock: Date): OffscreenCanvas {
		if (this.#layerVersion !== this.ui.version) {
			paintStatic(this.#layerCtx, this.ui);
			this.#layerVersion = this.ui.version;
		}
		this.#ctx.setTransform(1, 0, 0, 1, 0, 0);
		this.#ctx.drawImage(this.#layer, 0, 0);
		this.#ctx.setTransform(
			this.ui.screen.width / DESIGN.width,
			0,
			0,
			this.ui.screen.height / DESIGN.height,
			0,
			0
		);
		paintDynamic(this.#ctx, this.ui, t, clock);
		return this.canvas;
	}
}

function context(canvas: OffscreenCanvas): Ctx {
	const ctx = canvas.getContext('2d', { alpha: false });
	if (!ctx) throw new Error('no 2d context on OffscreenCanvas');
	const { width, height } = canvas;
	ctx.setTransform(width / DESIGN.width, 0, 0, height / DESIGN.height, 0, 0);
	ctx.textBaseline = 'middle';
	return ctx;
}
