/**
 * Screen recording and replay (issue 8) in real Chromium: a live session on the mock world is
 * recorded into IndexedDB while the technician opens a menu on the instrument's screen; the rows
 * are encrypted under a non-extractable key; the replay worker plays them back through the live
 * view's decode pipeline and shows the screen as it was, menu closed first and open at the end;
 * a row altered in IndexedDB is reported at that row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHistoryDb, type HistoryDb } from '$lib/history/db';
import { SessionReplay } from '$lib/history/replay.svelte';
import {
	openRow,
	recordingTimeline,
	screenRecordingKey,
	ScreenRecorder
} from '$lib/history/screen-recording';
import { COLORS, MENU, MENU_BUTTON, STATUS_BAR_PLAIN, centre } from '$mocks/agent/screen/layout';
import type { MockWorld } from '$mocks/world';
import { openLiveSession } from '../shared/live-flow';
import { liveWorld, signedInTechnician, testClock } from '../shared/world-flow';

const WAIT = { timeout: 20_000, interval: 50 };
const clock = testClock();
const INSTRUMENT = 'ins-3317'; // no PHI, one 1920x1080 screen

let world: MockWorld;
let db: HistoryDb;
let recordedId = '';
const replays: SessionReplay[] = [];

function mean(px: Uint8ClampedArray): number[] {
	const sum = [0, 0, 0];
	for (let i = 0; i < px.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += px[i + c]!;
	return sum.map((v) => v / (px.length / 4));
}
const hex = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const distance = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

async function openReplay(sessionId: string) {
	const replay = new SessionReplay();
	replays.push(replay);
	document.body.append(replay.canvas);
	const ok = await replay.open(sessionId);
	return { replay, ok };
}
const regionOf = (r: SessionReplay, rect: typeof MENU) => r.pixels(rect.x, rect.y, rect.w, rect.h);

beforeAll(async () => {
	world = await liveWorld(clock);
	db = await openHistoryDb();
});

/** Records one session (once, in the first test that needs it: expect.poll needs a test). */
let recording: Promise<void> | null = null;
const recorded = () => (recording ??= recordSession());

async function recordSession() {
	const technician = await signedInTechnician(world.broker, clock);
	const { session, result, sessionId } = await openLiveSession(world, technician, INSTRUMENT);
	if (!result.ok) throw new Error(result.failure.code);
	recordedId = session.request.sessionIdText;
	document.body.append(session.canvas);
	expect(await session.setScreenRecording(true)).toBe('on');
	await session.requestConsent('view');
	await expect.poll(() => session.consent.view?.state, WAIT).toBe('granted');
	await session.startStream(0);
	await session.nextPaint();
	await session.requestConsent('control');
	await expect.poll(() => session.consent.control?.state, WAIT).toBe('granted');
	// A second of the screen as it is, then the technician opens the menu.
	await new Promise((r) => setTimeout(r, 1000));
	const closedMenu = mean(await session.pixels(MENU.x, MENU.y, MENU.w, MENU.h));
	const { x, y } = centre(MENU_BUTTON);
	await session.pointer(x, y, 0, 'move');
	await session.pointer(x, y, 1, 'down');
	await session.pointer(x, y, 0, 'up');
	await expect
		.poll(
			async () => distance(mean(await session.pixels(MENU.x, MENU.y, MENU.w, MENU.h)), closedMenu),
			WAIT
		)
		.toBeGreaterThan(20);
	await new Promise((r) => setTimeout(r, 500));
	await session.end();
	await expect.poll(() => world.broker.session(sessionId)?.state, WAIT).toBe('ended');
}

afterAll(async () => {
	for (const r of replays) r.dispose();
	const tx = db.transaction('recordings', 'readwrite');
	// Only this file's rows: the browser's real history database is shared with other tests.
	await tx.store.delete(IDBKeyRange.bound([recordedId, 0], [recordedId, Infinity]));
	await tx.done;
	db.close();
	world.dispose();
});

describe('screen recording', () => {
	it('keeps the session’s video encrypted under a key no script can read out', async () => {
		await recorded();
		const timeline = await recordingTimeline(db, recordedId);
		expect(timeline.length).toBeGreaterThan(20);
		// It starts where a decoder can: a config, then a key frame.
		expect(timeline[0]).toMatchObject({ seq: 0, kind: 'config', key: true });
		expect(timeline[1]).toMatchObject({ seq: 1, kind: 'chunk', key: true });
		expect(timeline.map((e) => e.seq)).toEqual(timeline.map((_, i) => i));

		const key = await screenRecordingKey();
		expect(key.extractable).toBe(false);
		await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow();

		const row = (await db.get('recordings', [recordedId, 1]))!;
		const opened = await openRow(key, row);
		expect(opened).toMatchObject({ ok: true, message: { type: 'video-chunk', key: true } });
		if (!opened.ok || opened.message.type !== 'video-chunk') throw new Error('unreachable');
		// What is stored is not the video: the chunk's bytes appear nowhere in the row.
		const sample = opened.message.data.subarray(16, 48);
		expect(indexOf(row.ciphertext, sample)).toBe(-1);
		// A row moved to another place, or read under another key, does not open.
		expect(await openRow(key, { ...row, seq: 2 })).toEqual({ ok: false, seq: 2 });
		const other = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
			'encrypt',
			'decrypt'
		]);
		expect((await openRow(other, row)).ok).toBe(false);
	});

	it('replays the screen as it was: the menu closed at the start, open at the end', async () => {
		await recorded();
		const { replay, ok } = await openReplay(recordedId);
		expect(ok).toBe(true);
		expect(replay.durationMs).toBeGreaterThan(1000);
		// The first key frame follows the config at once.
		expect(replay.keyTimesMs[0]).toBeLessThan(100);
		// The first key frame is shown at once, in the instrument's true colours.
		await expect
			.poll(
				async () => distance(mean(await regionOf(replay, STATUS_BAR_PLAIN)), hex(COLORS.statusBar)),
				WAIT
			)
			.toBeLessThan(12);
		const closedMenu = mean(await regionOf(replay, MENU));

		await replay.setSpeed(4);
		await replay.play();
		await expect.poll(() => replay.state, WAIT).toBe('ended');
		expect(replay.positionMs).toBe(replay.durationMs);
		// The last chunks are fed by now; their frames are painted at the next display frames.
		await expect
			.poll(async () => distance(mean(await regionOf(replay, MENU)), closedMenu), WAIT)
			.toBeGreaterThan(20);
		await expect.poll(async () => (await replay.stats())?.openFrames, WAIT).toBe(0);
		expect((await replay.stats())?.presented).toBeGreaterThan(5);

		// Back to the start: a seek lands on a key frame and shows it, menu closed again.
		expect(await replay.seek(0)).toBe(replay.keyTimesMs[0]);
		await expect
			.poll(async () => distance(mean(await regionOf(replay, MENU)), closedMenu), WAIT)
			.toBeLessThan(12);
	});

	it('names the row where a recording was altered, and shows what came before it', async () => {
		await recorded();
		const timeline = await recordingTimeline(db, recordedId);
		const victim = timeline.find((e) => e.seq > 5 && e.kind === 'chunk')!;
		const row = (await db.get('recordings', [recordedId, victim.seq]))!;
		const altered = row.ciphertext.slice();
		altered[10]! ^= 0x01;
		await db.put('recordings', { ...row, ciphertext: altered });
		try {
			const { replay, ok } = await openReplay(recordedId);
			expect(ok).toBe(true);
			await replay.setSpeed(4);
			await replay.play();
			await expect.poll(() => replay.failure, WAIT).toBe('damaged');
			expect(replay.damagedAt).toBe(victim.seq);
			await expect.poll(() => replay.state, WAIT).toBe('paused');
			// The frames before the damage were shown.
			expect((await replay.stats())?.presented).toBeGreaterThan(0);
		} finally {
			await db.put('recordings', row);
		}
	});

	it('says so when a session has no recording', async () => {
		const { replay, ok } = await openReplay('never-recorded');
		expect(ok).toBe(false);
		expect(replay.failure).toBe('no-recording');
	});

	it('starts at a key frame and writes nothing before one', async () => {
		const name = `history-rec-${crypto.randomUUID()}`;
		const scratch = await openHistoryDb(name);
		const recorder = new ScreenRecorder({
			db: scratch,
			key: await screenRecordingKey(),
			sessionId: 's-1'
		});
		const config = {
			type: 'video-config' as const,
			screenId: 0,
			codec: 'vp8',
			width: 64,
			height: 64,
			description: new Uint8Array(0),
			primaries: '',
			transfer: '',
			matrix: '',
			range: 'unspecified' as const
		};
		const chunk = (key: boolean, timestamp: number) => ({
			type: 'video-chunk' as const,
			screenId: 0,
			key,
			timestamp,
			duration: 33_000,
			data: new Uint8Array([1, 2, 3, key ? 1 : 0])
		});
		recorder.add(chunk(false, 0)); // before any config: skipped
		recorder.add(config);
		recorder.add(chunk(false, 1)); // a delta before a key frame: skipped
		recorder.add(chunk(true, 2));
		recorder.add(chunk(false, 3));
		recorder.pause();
		recorder.add(chunk(true, 4)); // paused: skipped
		recorder.resume();
		recorder.add(chunk(false, 5)); // resumed: waits for a key frame again
		recorder.add(chunk(true, 6));
		await recorder.stop();
		const rows = await recordingTimeline(scratch, 's-1');
		expect(rows.map((r) => `${r.kind}:${r.key}`)).toEqual([
			'config:true',
			'chunk:true',
			'chunk:false',
			'config:true',
			'chunk:true'
		]);
		scratch.close();
		indexedDB.deleteDatabase(name);
	});
});

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
	outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
		for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
		return i;
	}
	return -1;
}
