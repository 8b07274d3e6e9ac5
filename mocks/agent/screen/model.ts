/**
 * The state of one simulated screen and how remote input changes it. No drawing here: the
 * painter reads this state, and `version` tells it when the cached static layer is stale.
 */
import { sampleQueue, serviceLog, type TableModel } from './data';
import { hitTest, MENU_ITEMS, TABLE_VISIBLE_ROWS, toDesign, type Target } from './layout';
import type { ScreenInfo, ScreenInput } from './types';

export type ScreenKind = 'analyser' | 'service';

export interface Ui {
	readonly screen: ScreenInfo;
	readonly kind: ScreenKind;
	readonly instrument: { name: string; model: string };
	readonly table: TableModel;
	/** Cursor in design units (1920x1080). */
	cursor: { x: number; y: number };
	buttons: number;
	/** What the pointer went down on; a click is an up on the same target. */
	pressed: Target | null;
	menuOpen: boolean;
	selectedRow: number | null;
	scroll: number;
	search: string;
	searchFocused: boolean;
	notice: { text: string; until: number } | null;
	/** Bumped whenever something in the static layer (toolbar, table) changes. */
	version: number;
}

const MAX_SEARCH = 24;
/** Printable keys only: Control/Alt/Meta chords are shortcuts, not text. */
const CHORD = 0b1110;

export function createUi(screen: ScreenInfo, instrument: { name: string; model: string }): Ui {
	const kind: ScreenKind = screen.primary ? 'analyser' : 'service';
	return {
		screen,
		kind,
		instrument,
		table: kind === 'analyser' ? sampleQueue() : serviceLog(),
		cursor: { x: 960, y: 600 },
		buttons: 0,
		pressed: null,
		menuOpen: false,
		selectedRow: null,
		scroll: 0,
		search: '',
		searchFocused: false,
		notice: null,
		version: 0
	};
}

function sameTarget(a: Target, b: Target): boolean {
	if (a.kind !== b.kind) return false;
	if (a.kind === 'menu-item' && b.kind === 'menu-item') return a.index === b.index;
	if (a.kind === 'row' && b.kind === 'row') return a.slot === b.slot;
	return true;
}

function click(ui: Ui, target: Target, now: number): void {
	switch (target.kind) {
		case 'menu-button':
			ui.menuOpen = !ui.menuOpen;
			return;
		case 'menu-item':
			ui.menuOpen = false;
			ui.notice = {
				text: `${MENU_ITEMS[target.index]}: access requires a service login`,
				until: now + 4000
			};
			return;
		case 'search':
			ui.menuOpen = false;
			ui.searchFocused = true;
			return;
		case 'row': {
			ui.menuOpen = false;
			const row = ui.scroll + target.slot;
			if (row < ui.table.rows.length) ui.selectedRow = ui.selectedRow === row ? null : row;
			return;
		}
		case 'none':
			ui.menuOpen = false;
			ui.searchFocused = false;
			return;
		default: {
			const never: never = target;
			throw new Error(`unknown target ${JSON.stringify(never)}`);
		}
	}
}

function scrollTo(ui: Ui, row: number): void {
	const max = Math.max(0, ui.table.rows.length - TABLE_VISIBLE_ROWS);
	ui.scroll = Math.min(max, Math.max(0, row));
}

/** Enter in the search field selects the first row containing the text, and shows it. */
function search(ui: Ui): void {
	const wanted = ui.search.trim().toLowerCase();
	if (!wanted) return;
	const row = ui.table.rows.findIndex((cells) =>
		cells.some((c) => c.text.toLowerCase().includes(wanted))
	);
	if (row < 0) return;
	ui.selectedRow = row;
	if (row < ui.scroll || row >= ui.scroll + TABLE_VISIBLE_ROWS) scrollTo(ui, row - 2);
}

function key(ui: Ui, event: Extract<ScreenInput, { type: 'key' }>): void {
	if (!event.down) return;
	switch (event.code) {
		case 'Backspace':
			ui.search = ui.search.slice(0, -1);
			return;
		case 'Escape':
			if (ui.menuOpen) ui.menuOpen = false;
			else ui.search = '';
			return;
		case 'Enter':
		case 'NumpadEnter':
			search(ui);
			return;
		default:
			if ((event.modifiers & CHORD) !== 0) return;
			// Control characters (Tab, Enter's '\r') never reach the field.
			// eslint-disable-next-line no-control-regex
			if (event.text && !/[\u0000-\u001f\u007f]/.test(event.text)) {
				ui.search = (ui.search + event.text).slice(0, MAX_SEARCH);
			}
	}
}

/**
 * Applies one input event to the screen it is for (`key` events to whichever screen the caller
 * chose). `now` is the painter's clock in ms, for notices that time out.
 */
export function applyInput(ui: Ui, event: ScreenInput, now: number): void {
	const before = `${ui.menuOpen}|${ui.selectedRow}|${ui.scroll}|${ui.search}|${ui.searchFocused}`;
	switch (event.type) {
		case 'pointer': {
			const p = toDesign(event.x, event.y, ui.screen.width, ui.screen.height);
			ui.cursor = p;
			ui.buttons = event.buttons;
			const target = hitTest(p.x, p.y, ui.menuOpen);
			if (event.action === 'down') ui.pressed = target;
			else if (event.action === 'up') {
				if (ui.pressed && sameTarget(ui.pressed, target)) click(ui, target, now);
				ui.pressed = null;
			}
			break;
		}
		case 'wheel': {
			const p = toDesign(event.x, event.y, ui.screen.width, ui.screen.height);
			ui.cursor = p;
			if (event.dy !== 0) scrollTo(ui, ui.scroll + Math.sign(event.dy) * 3);
			break;
		}
		case 'key':
			ui.searchFocused = true;
			key(ui, event);
			break;
		default: {
			const never: never = event;
			throw new Error(`unknown input ${JSON.stringify(never)}`);
		}
	}
	const after = `${ui.menuOpen}|${ui.selectedRow}|${ui.scroll}|${ui.search}|${ui.searchFocused}`;
	if (after !== before) ui.version++;
}
