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

/** A session showing a 1920×1080 screen whose worker answers every pointer event with `answer`. */
function viewOf(answer: Answer, closed: { code: string } | null = null) {
	const sent: string[] = [];
	const canvas = document.createElement('canvas');
	const session = {
		canvas,
		video: { screenId: 0, codec: 'vp9', width: 1920, height: 1080 },
		inControl: false,
		closed,
		info: null,
		stats: null,
		consent: {},
		async pointer(_x: number, _y: number, _buttons: number, action: string) {
			sent.push(action);
			return answer;
		}
	} as unknown as LiveSession;
	const target = document.body.appendChild(document.createElement('div'));
	const view = mount(LiveView, { target, props: { session } });
	flushSync();
	cleanup = () => {
		unmount(view);
		target.remove();
	};
	const press = () => {
		const r = canvas.getBoundingClientRect();
		const at = { clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true };
		canvas.dispatchEvent(new PointerEvent('pointerdown', at));
	};
	const alert = () => target.querySelector('[role="alert"]')?.textContent ?? '';
	const mode = () => target.querySelector('.toolbar [role="status"]')?.textContent?.trim();
	return { sent, press, alert, mode };
}

describe('LiveView', () => {
	it('says why input was not sent: no control, or no connection', async () => {
		const refused = viewOf({ ok: false, code: 'no-control' });
		refused.press();
		await expect
			.poll(refused.alert)
			.toBe('Input is not sent: the customer has not granted remote control.');
		cleanup?.();
		const down = viewOf({ ok: false, code: 'closed' });
		down.press();
		await expect
			.poll(down.alert)
			.toBe('Input is not sent: the connection to the instrument is down.');
		expect(down.sent).toEqual(['down']);
		expect(down.mode()).toBe('View only');
	});

	it('sends nothing once the session has ended, and says it has', async () => {
		const ended = viewOf({ ok: false, code: 'closed' }, { code: 'ended' });
		expect(ended.mode()).toBe('Ended');
		ended.press();
		await new Promise((resolve) => setTimeout(resolve, 50));
		expect(ended.sent).toEqual([]);
		expect(ended.alert()).toBe('');
	});
});
