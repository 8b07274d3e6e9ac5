/**
 * The live view's toolbar and input on their own, against a stand-in session: what the page says
 * when the worker refuses input, and that an ended session sends nothing. (The whole path, worker
 * and agent included, is in tests/e2e/session-workspace.test.ts.)
 */
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveSession } from '$lib/session/live-session.svelte';
import LiveView from '$lib/session/LiveView.svelte';

type Answer = { ok: true } | { ok: false; code: 'no-control' | 'closed' };

let cleanup: (() => void) | null = null;
afterEach(() => {
	cleanup?.();
	cleanup = null;
});

/**
 * A session showing a 1920×1080 screen on a 300×150 canvas (the picture letterboxed), its worker
 * answering every pointer and key event with `answer`; each event sent is recorded as text.
 */
function viewOf({
	answer = { ok: true },
	closed = null,
	inControl = false
}: { answer?: Answer; closed?: { code: string } | null; inControl?: boolean } = {}) {
	const sent: string[] = [];
	const canvas = document.createElement('canvas');
	canvas.tabIndex = 0;
	const session = {
		canvas,
		video: { screenId: 0, codec: 'vp9', width: 1920, height: 1080 },
		inControl,
		closed,
		info: null,
		stats: null,
		consent: {},
		async pointer(x: number, y: number, buttons: number, action: string) {
			sent.push(`${action} ${x},${y} ${buttons}`);
			return answer;
		},
		async key(code: string, down: boolean, modifiers: number, text: string) {
			sent.push(`key ${code} ${down ? 'down' : 'up'} ${modifiers} ${JSON.stringify(text)}`);
			return answer;
		}
	} as unknown as LiveSession;
	const target = document.body.appendChild(document.createElement('div'));
	const elsewhere = target.appendChild(document.createElement('button'));
	const view = mount(LiveView, { target, props: { session } });
	flushSync();
	cleanup = () => {
		unmount(view);
		target.remove();
	};
	/** A pointer event at a fraction of the canvas's width and height. */
	const pointer = (type: string, fx: number, fy: number, buttons: number) => {
		const r = canvas.getBoundingClientRect();
		canvas.dispatchEvent(
			new PointerEvent(type, {
				clientX: r.left + r.width * fx,
				clientY: r.top + r.height * fy,
				buttons,
				bubbles: true
			})
		);
	};
	const key = (type: 'keydown' | 'keyup', code: string, key: string, shiftKey = false) =>
		canvas.dispatchEvent(new KeyboardEvent(type, { code, key, shiftKey, bubbles: true }));
	const press = () => pointer('pointerdown', 0.5, 0.5, 0);
	const alert = () => target.querySelector('[role="alert"]')?.textContent ?? '';
	const mode = () => target.querySelector('.toolbar [role="status"]')?.textContent?.trim();
	return { sent, canvas, pointer, key, press, elsewhere, alert, mode };
}

describe('LiveView', () => {
	it('says why input was not sent: no control, or no connection', async () => {
		const refused = viewOf({ answer: { ok: false, code: 'no-control' } });
		refused.press();
		await expect
			.poll(refused.alert)
			.toBe('Input is not sent: the customer has not granted remote control.');
		cleanup?.();
		const down = viewOf({ answer: { ok: false, code: 'closed' } });
		down.press();
		await expect
			.poll(down.alert)
			.toBe('Input is not sent: the connection to the instrument is down.');
		expect(down.sent).toEqual(['down 960,540 0']);
		expect(down.mode()).toBe('View only');
	});

	it('sends nothing once the session has ended, and says it has', async () => {
		const ended = viewOf({ answer: { ok: false, code: 'closed' }, closed: { code: 'ended' } });
		expect(ended.mode()).toBe('Ended');
		ended.press();
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(ended.sent).toEqual([]);
		expect(ended.alert()).toBe('');
	});
});

describe('LiveView in control: nothing stays pressed on the instrument', () => {
	it('sends the up of a press let go outside the picture, at the picture’s edge', async () => {
		const v = viewOf({ inControl: true });
		expect(v.canvas.width / v.canvas.height).toBeCloseTo(2, 0); // 300×150: letterboxed 16:9
		v.pointer('pointerdown', 0.5, 0.5, 1);
		v.pointer('pointerup', 1.4, 0.5, 0); // past the right edge
		await expect.poll(() => v.sent).toEqual(['down 960,540 1', 'up 1919,540 0']);
		// Without a press, a release outside the picture is nothing to send.
		v.pointer('pointerup', 1.4, 0.5, 0);
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(v.sent).toHaveLength(2);
	});

	it('lets go when the browser cancels the pointer, and sends a coalesced move before a press', async () => {
		const v = viewOf({ inControl: true });
		v.pointer('pointermove', 0.25, 0.5, 0);
		v.pointer('pointerdown', 0.5, 0.5, 1);
		v.pointer('pointercancel', 0.5, 0.5, 0);
		// A quarter of the 2:1 canvas is x 420 of the letterboxed 16:9 picture.
		await expect.poll(() => v.sent).toEqual(['move 420,540 0', 'down 960,540 1', 'up 960,540 0']);
	});

	it('sends the up of every key still down when the canvas loses focus', async () => {
		const v = viewOf({ inControl: true });
		v.canvas.focus();
		v.key('keydown', 'ShiftLeft', 'Shift', true);
		v.key('keydown', 'KeyA', 'A', true);
		v.key('keyup', 'KeyA', 'A', true);
		v.elsewhere.focus();
		await expect
			.poll(() => v.sent)
			.toEqual([
				'key ShiftLeft down 1 ""',
				'key KeyA down 1 "A"',
				'key KeyA up 1 ""',
				'key ShiftLeft up 0 ""'
			]);
	});
});
