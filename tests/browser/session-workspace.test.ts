/**
 * The live session workspace in real Chromium (issue 7): a dropped relay socket resumed with the
 * agent's ticket (docs/protocol.md, "Resumption"), the clipboard both ways, and the summary and
 * link events written to history. The stream worker runs against the mock world through the dev
 * relay bridge; assertions read pixels, the agent's state and rows in IndexedDB.
 */
import { flushSync, mount, unmount } from 'svelte';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openHistoryDb, type HistoryDb } from '$lib/history/db';
import { sessionEvents } from '$lib/history/journal';
import { recordLiveSession, type LiveRecording } from '$lib/history/record-live-session.svelte';
import { toHex } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';
import { LiveSession } from '$lib/session/live-session.svelte';
import FilesPanel from '$lib/session/transfers/FilesPanel.svelte';
import { formatBytes } from '$lib/i18n';
import { COLORS, STATUS_BAR_PLAIN } from '$mocks/agent/screen/layout';
import { serveRelayBridge } from '$mocks/relay-bridge';
import { CHUNK_BYTES, DROP_AFTER_CHUNKS } from '$mocks/agent/transfers';
import type { MockWorld } from '$mocks/world';
import { openLiveSession } from '../shared/live-flow';
import { liveWorld, newSessionRequest, signedInTechnician, testClock } from '../shared/world-flow';

const WAIT = { timeout: 20_000, interval: 50 };
const PLAIN = 'ins-3317'; // chemistry analyser, no patient data, every capability
const PHI = 'ins-2041'; // haematology analyser holding patient data

let world: MockWorld;
let technician: Awaited<ReturnType<typeof signedInTechnician>>;
let db: HistoryDb;
const clock = testClock();

beforeAll(async () => {
	world = await liveWorld(clock);
	technician = await signedInTechnician(world.broker, clock);
	db = await openHistoryDb(`workspace-${Date.now()}`);
});
afterAll(() => {
	db.close();
	world.dispose();
});
const opened: LiveSession[] = [];
afterEach(() => {
	for (const s of opened.splice(0)) s.dispose();
});

/** A live session recorded into history, as the console's client does it. */
async function connectRecorded(instrumentId = PLAIN) {
	const { request, sessionId, agent } = newSessionRequest(world, technician, instrumentId);
	const session = new LiveSession(request);
	document.body.append(session.canvas);
	const started = await recordLiveSession(session, { db, serial: 'S', site: 'Lab' });
	if (!started.ok) throw new Error(started.code);
	const bridge = new MessageChannel();
	serveRelayBridge(world.relay, bridge.port1);
	const result = await session.open({ port: bridge.port2, relayBase: world.relayBase });
	await started.recording.opened(result);
	if (!result.ok) throw new Error(JSON.stringify(result.failure));
	opened.push(session);
	return { session, sessionId, agent, recording: started.recording };
}

async function events(sessionId: string) {
	return sessionEvents(db, sessionId);
}

async function grant(session: LiveSession, capability: 'view' | 'control' | 'clipboard') {
	await session.requestConsent(capability);
	await expect.poll(() => session.consent[capability]?.state, WAIT).toBe('granted');
}

async function streaming(session: LiveSession) {
	await grant(session, 'view');
	await session.startStream(0);
	await session.nextPaint();
}

function mean(px: Uint8ClampedArray): number[] {
	const sum = [0, 0, 0];
	for (let i = 0; i < px.length; i += 4) for (let c = 0; c < 3; c++) sum[c]! += px[i + c]!;
	return sum.map((v) => v / (px.length / 4));
}
const hex = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
const distance = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
const statusBarDistance = async (s: LiveSession) =>
	distance(
		mean(
			await s.pixels(STATUS_BAR_PLAIN.x, STATUS_BAR_PLAIN.y, STATUS_BAR_PLAIN.w, STATUS_BAR_PLAIN.h)
		),
		hex(COLORS.statusBar)
	);

async function end(session: LiveSession, recording: LiveRecording, sessionId: string) {
	opened.splice(opened.indexOf(session), 1);
	await session.end();
	await recording.end();
	await expect.poll(() => world.broker.session(sessionId)?.state, WAIT).toBe('ended');
}

describe('a dropped relay socket', () => {
	it('is resumed: the technician sees it, the picture comes back, control is asked again', async () => {
		const { session, sessionId, agent, recording } = await connectRecorded();
		await streaming(session);
		await grant(session, 'control');
		const before = (await session.workerStats())!.presented;
		const paintAfterResume = expect
			.poll(() => session.link.state, WAIT)
			.toBe('resumed')
			.then(() => session.nextPaint());
		agent.connection!.drop(); // the relay socket goes, no goodbye
		await paintAfterResume;
		expect(session.link).toMatchObject({ state: 'resumed', attempt: 1 });
		expect(session.closed).toBeNull();
		// Painted again after the resumption, from a key frame, in the screen's true colours.
		expect((await session.workerStats())!.presented).toBeGreaterThan(before);
		await expect.poll(() => statusBarDistance(session), WAIT).toBeLessThan(12);
		// View survived; control did not: the worker refuses input until it is granted again.
		expect(session.consent.view?.state).toBe('granted');
		expect(session.consent.control).toMatchObject({ state: 'released', reason: 'reconnect' });
		expect(await session.pointer(10, 10, 0, 'move')).toEqual({ ok: false, code: 'no-control' });
		expect(agent.logEntries.some((e) => e.type === 'resumed')).toBe(true);
		await grant(session, 'control');
		expect(await session.pointer(10, 10, 0, 'move')).toEqual({ ok: true });
		await end(session, recording, sessionId);
		const types = (await events(sessionId)).map((e) => e.type);
		expect(types).toEqual(expect.arrayContaining(['disconnected', 'reconnected', 'summary']));
		expect(types.indexOf('disconnected')).toBeLessThan(types.indexOf('reconnected'));
		expect(types.filter((t) => t === 'summary')).toHaveLength(1);
		expect(types.at(-2)).toBe('summary');
		const rows = await events(sessionId);
		expect(rows.find((e) => e.type === 'reconnected')?.data).toEqual({ attempt: 1 });
		expect(rows.find((e) => e.type === 'summary')?.data).toMatchObject({
			capabilities: ['view', 'control'],
			filesUp: 0,
			filesDown: 0,
			bytesUp: 0,
			bytesDown: 0
		});
	});

	it('after a forged record the channel ends, the console resumes and the stream recovers', async () => {
		const { session, sessionId, agent, recording } = await connectRecorded();
		await grant(session, 'view');
		agent.setScenario('corrupt-tag'); // one forged record soon after the stream starts
		await session.startStream(0);
		await expect.poll(() => session.link.state, WAIT).toBe('resumed');
		const presented = (await session.workerStats())!.presented;
		await session.nextPaint();
		expect((await session.workerStats())!.presented).toBeGreaterThan(presented);
		await expect.poll(() => statusBarDistance(session), WAIT).toBeLessThan(12);
		agent.setScenario('none');
		await recording.settled();
		const lost = (await events(sessionId)).find((e) => e.type === 'disconnected');
		expect(lost?.data).toEqual({ code: 'auth-tag' });
		await end(session, recording, sessionId);
	});

	it('an upload cut by the drop continues where the instrument stopped, once allowed again', async () => {
		clock.advance(61_000);
		const { session, sessionId, agent, recording } = await connectRecorded();
		await session.requestConsent('file-transfer', 'session');
		await expect.poll(() => session.consent['file-transfer']?.state, WAIT).toBe('granted');
		const size = 16 * 1024 * 1024;
		const bytes = new Uint8Array(size);
		for (let at = 0; at < size; at += 65_536)
			crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65_536, size)));
		const file = new File([bytes], 'service-pack.bin');
		const first = await session.upload(file);
		if (!first.ok) throw new Error(first.code);
		await expect
			.poll(() => agent.files.partial.get('service-pack.bin')?.receivedBytes ?? 0, {
				...WAIT,
				interval: 5
			})
			.toBeGreaterThan(0);
		agent.connection!.drop();
		await expect.poll(() => session.link.state, WAIT).toBe('resumed');
		const kept = agent.files.partial.get('service-pack.bin')!.receivedBytes;
		expect(kept).toBeGreaterThan(0);
		expect(kept).toBeLessThan(size);
		// The cut transfer says why; file transfer must be allowed again after a resumption.
		const cut = session.transfers.rows.find((r) => r.id === first.id);
		expect(cut).toMatchObject({ state: 'failed', reason: 'reconnect' });
		expect(await session.upload(file)).toEqual({ ok: false, code: 'no-consent' });
		await session.requestConsent('file-transfer', 'session');
		await expect.poll(() => session.consent['file-transfer']?.state, WAIT).toBe('granted');
		const again = await session.upload(file);
		if (!again.ok) throw new Error(again.code);
		await expect
			.poll(() => session.transfers.rows.find((r) => r.id === again.id)?.state, WAIT)
			.toBe('done');
		expect(
			agent.logEntries.filter((e) => e.type === 'file-receiving').map((e) => e.detail)
		).toContain(`service-pack.bin from ${kept}`);
		// Byte for byte: the same SHA-256 (a deep equality of megabytes is far too slow here).
		const received = agent.files.received.get('service-pack.bin')!.data;
		expect(toHex(await sha256(received))).toBe(toHex(await sha256(bytes)));
		await end(session, recording, sessionId);
		const summary = (await events(sessionId)).find((e) => e.type === 'summary');
		expect(summary?.data).toMatchObject({ filesUp: 1, bytesUp: size, filesDown: 0 });
	});

	it('a download cut by the drop continues where it stopped, once allowed again', async () => {
		clock.advance(61_000);
		const { session, sessionId, agent, recording } = await connectRecorded();
		const panel = document.body.appendChild(document.createElement('div'));
		const mounted = mount(FilesPanel, { target: panel, props: { session } });
		await session.requestConsent('file-transfer', 'session');
		await expect.poll(() => session.consent['file-transfer']?.state, WAIT).toBe('granted');
		const name = 'event-log-2026-11-28.txt';
		const original = agent.files.download(name)!.data;
		await expect.poll(() => session.transfers.files.map((f) => f.name), WAIT).toContain(name);
		// The instrument's link stalls after two chunks of the download, then drops.
		agent.setScenario('drop-mid-download');
		const first = await session.requestFile(name);
		if (!first.ok) throw new Error(first.code);
		await expect.poll(() => session.link.state, WAIT).toBe('resumed');
		agent.setScenario('none');
		const row = (id: number) => session.transfers.rows.find((r) => r.id === id);
		const kept = DROP_AFTER_CHUNKS * CHUNK_BYTES;
		expect(row(first.id)).toMatchObject({ state: 'failed', reason: 'reconnect', bytes: kept });
		flushSync();
		const text = (id: number) => panel.querySelector(`[data-transfer="${id}"]`)?.textContent;
		expect(text(first.id)).toContain('download it again');
		expect(await session.requestFile(name)).toEqual({ ok: false, code: 'no-consent' });
		await session.requestConsent('file-transfer', 'session');
		await expect.poll(() => session.consent['file-transfer']?.state, WAIT).toBe('granted');
		const again = await session.requestFile(name);
		if (!again.ok) throw new Error(again.code);
		await expect.poll(() => row(again.id)?.url, WAIT).toBeDefined();
		expect(row(again.id)).toMatchObject({
			state: 'done',
			resumedFrom: kept,
			bytes: original.length
		});
		// The agent sent from the kept offset on, and the file saved is the instrument's, hash and all.
		expect(agent.logEntries.map((e) => e.detail)).toContain(`${name} from ${kept}`);
		const saved = new Uint8Array(await (await fetch(row(again.id)!.url!)).arrayBuffer());
		expect(toHex(await sha256(saved))).toBe(toHex(await sha256(original)));
		expect(row(again.id)!.sha256).toBe(toHex(await sha256(original)));
		flushSync();
		expect(text(again.id)).toContain(
			`Resumed after the connection was lost: ${formatBytes(kept)} had arrived before`
		);
		unmount(mounted);
		panel.remove();
		await end(session, recording, sessionId);
		// History: the cut attempt once as failed, the file once as done; counted once, whole.
		const rows = await events(sessionId);
		const fileStates = rows.flatMap((e) =>
			e.type === 'file' && (e.data as { name: string }).name === name
				? [(e.data as { state: string }).state]
				: []
		);
		expect(fileStates).toEqual(['failed', 'done']);
		expect(rows.find((e) => e.type === 'summary')?.data).toMatchObject({
			filesDown: 1,
			bytesDown: original.length
		});
	});

	it('ends the session when the agent does not allow resumption', async () => {
		world.agents.get(PLAIN)!.allowResume = false;
		try {
			const { session, agent } = await connectRecorded();
			await grant(session, 'view');
			agent.connection!.drop();
			await expect.poll(() => session.closed?.code, WAIT).toMatch(/socket-closed|unreachable/);
			expect(session.link.state).toBe('open');
		} finally {
			world.agents.get(PLAIN)!.allowResume = true;
		}
	});
});

describe('the clipboard', () => {
	it('goes both ways while control and clipboard are granted, within its size', async () => {
		clock.advance(60_000);
		const { session, sessionId, agent } = await openLiveSession(world, technician, PLAIN);
		opened.push(session);
		expect(await session.sendClipboard('LOT 24A117')).toEqual({ ok: false, code: 'no-consent' });
		await grant(session, 'clipboard');
		expect(await session.sendClipboard('LOT 24A117')).toEqual({ ok: false, code: 'no-consent' });
		await grant(session, 'control');
		expect(await session.sendClipboard('LOT 24A117')).toEqual({ ok: true });
		await expect.poll(() => agent.clipboardText, WAIT).toBe('LOT 24A117');
		expect(await session.sendClipboard('é'.repeat(40_000))).toEqual({
			ok: false,
			code: 'too-large'
		});
		expect(await agent.connection!.copy('Calibrator lot 7781')).toBe(true);
		await expect.poll(() => session.clipboard?.text, WAIT).toBe('Calibrator lot 7781');
		// Control given back: the clipboard stops both ways.
		await session.release('control');
		expect(await session.sendClipboard('again')).toEqual({ ok: false, code: 'no-consent' });
		await expect.poll(() => agent.connection?.grants.has('control'), WAIT).toBe(false);
		expect(await agent.connection!.copy('not sent')).toBe(false);
		opened.splice(opened.indexOf(session), 1);
		await session.end();
		await expect.poll(() => world.broker.session(sessionId)?.state, WAIT).toBe('ended');
	});

	it('never works on an instrument with patient data: refused in the worker and by the agent', async () => {
		const { session, sessionId, agent } = await openLiveSession(world, technician, PHI);
		opened.push(session);
		await grant(session, 'control');
		await session.requestConsent('clipboard');
		await expect.poll(() => session.consent.clipboard?.state, WAIT).toBe('denied');
		expect(session.consent.clipboard?.reason).toBe('phi');
		expect(await session.sendClipboard('patient 4711')).toEqual({ ok: false, code: 'phi' });
		expect(await agent.connection!.copy('patient 4711')).toBe(false);
		expect(agent.clipboardText).toBe('');
		opened.splice(opened.indexOf(session), 1);
		await session.end();
		await expect.poll(() => world.broker.session(sessionId)?.state, WAIT).toBe('ended');
	});
});
