/**
 * A scripted visit for recordings: the cursor glides to the menu button and opens the menu,
 * hovers its items, closes it by selecting a row, clicks the search field and types a sample ID.
 * Frame numbers assume 30 fps; the script ends after 90 frames (3 s).
 */
import { MENU_BUTTON, SEARCH_FIELD, centre, menuItem, tableRow } from './layout';
import type { ScreenInfo, ScreenInput } from './types';

interface Point {
	x: number;
	y: number;
}

const START: Point = { x: 960, y: 600 };
const MENU_AT = centre(MENU_BUTTON);
const ITEM_AT = centre(menuItem(4));
const ROW_AT = { x: 700, y: centre(tableRow(9)).y };
const SEARCH_AT = centre(SEARCH_FIELD);
const TYPED = 'S-1017';

/** Pointer positions: glide segments [from frame, to frame, from point, to point]. */
const GLIDES: [number, number, Point, Point][] = [
	[0, 24, START, MENU_AT],
	[31, 48, MENU_AT, ITEM_AT],
	[49, 56, ITEM_AT, ROW_AT],
	[60, 70, ROW_AT, SEARCH_AT]
];
const CLICKS = [26, 57, 71];

function ease(s: number): number {
	return s < 0.5 ? 2 * s * s : 1 - (-2 * s + 2) ** 2 / 2;
}

/** Where the pointer is at `frame`, and whether it is moving then. */
function where(frame: number): { at: Point; moving: boolean } {
	let at = START;
	for (const [f0, f1, a, b] of GLIDES) {
		if (frame < f0) break;
		if (frame > f1) {
			at = b;
			continue;
		}
		const s = ease((frame - f0) / (f1 - f0));
		return { at: { x: a.x + (b.x - a.x) * s, y: a.y + (b.y - a.y) * s }, moving: true };
	}
	return { at, moving: false };
}

/** The input events due at `frame`, in the pixel coordinates of `screen`. */
export function demoInput(frame: number, screen: ScreenInfo): ScreenInput[] {
	const sx = screen.width / 1920;
	const sy = screen.height / 1080;
	const px = (p: Point) => ({ x: Math.round(p.x * sx), y: Math.round(p.y * sy) });
	const events: ScreenInput[] = [];
	const { at, moving } = where(frame);
	if (moving)
		events.push({ type: 'pointer', screenId: screen.id, ...px(at), buttons: 0, action: 'move' });
	const down = CLICKS.includes(frame);
	if (down || CLICKS.includes(frame - 2)) {
		events.push({
			type: 'pointer',
			screenId: screen.id,
			...px(at),
			buttons: down ? 1 : 0,
			action: down ? 'down' : 'up'
		});
	}
	const typed = (frame - 74) / 2;
	if (Number.isInteger(typed) && typed >= 0 && typed < TYPED.length) {
		const ch = TYPED[typed]!;
		const code = /\d/.test(ch) ? `Digit${ch}` : ch === '-' ? 'Minus' : `Key${ch}`;
		const modifiers = ch === 'S' ? 1 : 0;
		events.push({ type: 'key', code, down: true, modifiers, text: ch });
		events.push({ type: 'key', code, down: false, modifiers, text: '' });
	}
	if (frame === 88) events.push({ type: 'key', code: 'Enter', down: true, modifiers: 0, text: '' });
	return events;
}
