/**
 * Where things are on the simulated screen, in design units of a 1920x1080 screen; other sizes
 * scale (`toDesign`). The painter, the hit test and the browser test read the same rectangles,
 * so a test that clicks "the menu button" clicks where it is drawn.
 */

export interface Rect {
	x: number;
	y: number;
	w: number;
	h: number;
}

export type Ctx = OffscreenCanvasRenderingContext2D;

const FONT = 'DejaVu Sans, Liberation Sans, sans-serif';
export const font = (size: number, weight = 400) => `${weight} ${size}px ${FONT}`;

export const DESIGN = { width: 1920, height: 1080 } as const;

export const COLORS = {
	statusBar: '#1f3a5f',
	statusText: '#f2f6fb',
	background: '#e9edf2',
	toolbar: '#f7f9fb',
	panel: '#ffffff',
	border: '#c5ced8',
	text: '#1d2733',
	muted: '#6b7785',
	header: '#dde4ec',
	selected: '#ffe08a',
	accent: '#2f6fb3',
	menu: '#2b3440',
	menuText: '#ffffff',
	menuHover: '#3f6fa6',
	banner: '#c62828',
	warning: '#f2a900',
	ok: '#2e7d32',
	running: '#1565c0',
	pending: '#8a94a0',
	error: '#c62828',
	rerun: '#ef6c00'
} as const;

export const STATUS_BAR: Rect = { x: 0, y: 0, w: 1920, h: 56 };
/** A stretch of the status bar that never holds text: its colour is the bar's alone. */
export const STATUS_BAR_PLAIN: Rect = { x: 640, y: 6, w: 160, h: 44 };
export const TOOLBAR: Rect = { x: 0, y: 56, w: 1920, h: 64 };
export const MENU_BUTTON: Rect = { x: 16, y: 66, w: 150, h: 44 };
export const SEARCH_FIELD: Rect = { x: 190, y: 66, w: 420, h: 44 };
/** Static toolbar buttons on the right: nothing there moves or reacts. */
export const TOOLBAR_BUTTONS: Rect = { x: 1380, y: 66, w: 524, h: 44 };

export const MENU_ITEMS = [
	'Run control',
	'Reagents',
	'Calibration',
	'Quality control',
	'Maintenance',
	'Service login',
	'Shut down'
] as const;
export const MENU_ITEM_HEIGHT = 48;
export const MENU: Rect = {
	x: 16,
	y: 114,
	w: 340,
	h: MENU_ITEMS.length * MENU_ITEM_HEIGHT + 8
};

export const TABLE: Rect = { x: 16, y: 136, w: 1080, h: 864 };
export const TABLE_HEADER_HEIGHT = 48;
export const TABLE_ROW_HEIGHT = 44;
export const TABLE_VISIBLE_ROWS = Math.floor((TABLE.h - TABLE_HEADER_HEIGHT) / TABLE_ROW_HEIGHT);

export const CHART_TOP: Rect = { x: 1116, y: 136, w: 788, h: 420 };
export const CHART_BOTTOM: Rect = { x: 1116, y: 572, w: 788, h: 428 };
export const FOOTER: Rect = { x: 0, y: 1016, w: 1920, h: 64 };
/** The bare background between the table and the charts. */
export const BACKGROUND_PLAIN: Rect = { x: 1100, y: 300, w: 12, h: 400 };

/** The rectangle of visible table row `slot` (0 = first row under the header). */
export function tableRow(slot: number): Rect {
	return {
		x: TABLE.x,
		y: TABLE.y + TABLE_HEADER_HEIGHT + slot * TABLE_ROW_HEIGHT,
		w: TABLE.w,
		h: TABLE_ROW_HEIGHT
	};
}

export function menuItem(index: number): Rect {
	return {
		x: MENU.x + 4,
		y: MENU.y + 4 + index * MENU_ITEM_HEIGHT,
		w: MENU.w - 8,
		h: MENU_ITEM_HEIGHT
	};
}

export function contains(r: Rect, x: number, y: number): boolean {
	return x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h;
}

export function centre(r: Rect): { x: number; y: number } {
	return { x: r.x + r.w / 2, y: r.y + r.h / 2 };
}

/** Scales a design rectangle to a screen of width x height pixels, rounding outwards. */
export function toScreen(r: Rect, width: number, height: number): Rect {
	const sx = width / DESIGN.width;
	const sy = height / DESIGN.height;
	const x = Math.floor(r.x * sx);
	const y = Math.floor(r.y * sy);
	return { x, y, w: Math.ceil((r.x + r.w) * sx) - x, h: Math.ceil((r.y + r.h) * sy) - y };
}

export function toDesign(x: number, y: number, width: number, height: number) {
	return { x: (x * DESIGN.width) / width, y: (y * DESIGN.height) / height };
}

export type Target =
	| { kind: 'menu-button' }
	| { kind: 'menu-item'; index: number }
	| { kind: 'search' }
	| { kind: 'row'; slot: number }
	| { kind: 'none' };

/** What a click at design point (x, y) lands on; an open menu covers what lies under it. */
export function hitTest(x: number, y: number, menuOpen: boolean): Target {
	if (menuOpen && contains(MENU, x, y)) {
		const index = Math.floor((y - MENU.y - 4) / MENU_ITEM_HEIGHT);
		return index >= 0 && index < MENU_ITEMS.length
			? { kind: 'menu-item', index }
			: { kind: 'none' };
	}
	if (contains(MENU_BUTTON, x, y)) return { kind: 'menu-button' };
	if (contains(SEARCH_FIELD, x, y)) return { kind: 'search' };
	if (contains(TABLE, x, y) && y >= TABLE.y + TABLE_HEADER_HEIGHT) {
		const slot = Math.floor((y - TABLE.y - TABLE_HEADER_HEIGHT) / TABLE_ROW_HEIGHT);
		if (slot < TABLE_VISIBLE_ROWS) return { kind: 'row', slot };
	}
	return { kind: 'none' };
}
