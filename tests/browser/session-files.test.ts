/**
 * File transfer both ways in real Chromium (issue 7): the stream worker against the mock world,
 * through the dev relay bridge. Assertions read what the peer holds (the agent's received bytes,
 * their SHA-256) and what the technician sees (transfer states, the saved download's bytes).
 */
import { flushSync, mount, unmount } from 'svelte';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';
import { LiveSession } from '$lib/session/live-session.svelte';
import FilesPanel from '$lib/session/transfers/FilesPanel.svelte';
import type { InstrumentAgent } from '$mocks/agent/agent';
import { CHUNK_BYTES, WINDOW_CHUNKS } from '$workers/stream/files';
import type { MockWorld } from '$mocks/world';
import { scriptedFileTransfers } from '../shared/file-transfers';
import { openLiveSession } from '../shared/live-flow';
import { liveWorld, signedInTechnician, testClock } from '../shared/world-flow';

const WAIT = { timeout: 30_000, interval: 50 };
const PLAIN = 'ins-3317'; // chemistry analyser, no patient data: file transfer offered
const BIG = 64 * 1024 * 1024;
const PHI = 'ins-2041'; // haematology analyser holding patient data: never any file transfer

let world: MockWorld;
let technician: Awaited<ReturnType<typeof signedInTechnician>>;
const clock = testClock();

beforeAll(async () => {
	world = await liveWorld(clock);
	technician = await signedInTechnician(world.broker, clock);
});
afterAll(() => world.dispose());
// A failed test must not leave its session holding the agent for the next one.
const opened: LiveSession[] = [];
afterEach(async () => {
	for (const s of opened.splice(0)) s.dispose();
});

async function connect(instrumentId: string) {
	const { session, result, agent, sessionId } = await openLiveSession(
		world,
		technician,
		instrumentId
	);
	if (!result.ok) throw new Error(JSON.stringify(result.failure));
	opened.push(session);
	return { session, agent, sessionId, info: result.info };
}

async function finish(session: LiveSession, sessionId: string) {
	opened.splice(opened.indexOf(session), 1);
	await session.end();
	await expect.poll(() => world.broker.session(sessionId)?.state, WAIT).toBe('ended');
}

async function grantFiles(session: LiveSession, scope: 'once' | 'session') {
	await session.requestConsent('file-transfer', scope);
	await expect.poll(() => session.consent['file-transfer']?.state, WAIT).toBe('granted');
}

/** Random bytes (getRandomValues fills at most 64 KiB a call). */
function randomFile(name: string, size: number): { file: File; bytes: Uint8Array } {
	const bytes = new Uint8Array(size);
	for (let at = 0; at < size; at += 65_536)
		crypto.getRandomValues(bytes.subarray(at, Math.min(at + 65_536, size)));
	return { file: new File([bytes], name, { type: 'application/octet-stream' }), bytes };
}

const row = (session: LiveSession, id: number) => session.transfers.rows.find((r) => r.id === id);
const loggedFor = (agent: InstrumentAgent, type: string) =>
	agent.logEntries.filter((e) => e.type === type).map((e) => e.detail);

describe('file transfer in the live session', { timeout: 90_000 }, () => {
	it('uploads a file that arrives at the instrument intact, SHA-256 and all', async () => {
		const { session, agent, sessionId } = await connect(PLAIN);
		const panel = document.body.appendChild(document.createElement('div'));
		const mounted = mount(FilesPanel, { target: panel, props: { session } });
		await grantFiles(session, 'session');
		const { file, bytes } = randomFile('probe-trace.bin', 300_000);
		const started = await session.upload(file);
		if (!started.ok) throw new Error(started.code);
		await expect.poll(() => row(session, started.id)?.state, WAIT).toBe('done');
		const received = agent.files.received.get('probe-trace.bin');
		expect(received?.data).toEqual(bytes);
		const hash = toHex(await sha256(bytes));
		expect(toHex(await sha256(received!.data))).toBe(hash);
		expect(row(session, started.id)).toMatchObject({ bytes: 300_000, sha256: hash });
		// What the technician sees: the file, done, with its hash shortened.
		const item = panel.querySelector(`[data-transfer="${started.id}"]`);
		await expect.poll(() => item?.getAttribute('data-state'), WAIT).toBe('done');
		expect(item?.textContent).toContain('probe-trace.bin');
		expect(item?.textContent).toContain(hash.slice(0, 12));

		// A hostile name leaves as its last component, without bidi controls, and shows as text.
		const hostile = await session.upload(
			randomFile('..\\..\\Windows\\evil\u202egnp.<img src=x onerror=alert(1)>.exe', 1000).file
		);
		if (!hostile.ok) throw new Error(hostile.code);
		await expect.poll(() => row(session, hostile.id)?.state, WAIT).toBe('done');
		expect(row(session, hostile.id)?.name).toBe('evilgnp._img src=x onerror=alert(1)_.exe');
		expect(agent.files.received.has('evilgnp._img src=x onerror=alert(1)_.exe')).toBe(true);
		flushSync();
		expect(panel.querySelector('img')).toBeNull();
		expect(panel.textContent).toContain('evilgnp._img src=x onerror=alert(1)_.exe');
		unmount(mounted);
		panel.remove();
		await finish(session, sessionId);
	});

	it('downloads the event log, verified, as a file the technician can save', async () => {
		const { session, agent, sessionId } = await connect(PLAIN);
		await grantFiles(session, 'session');
		const name = 'event-log-2026-11-28.txt';
		await expect.poll(() => session.transfers.files.map((f) => f.name), WAIT).toContain(name);
		const started = await session.requestFile(name);
		if (!started.ok) throw new Error(started.code);
		await expect.poll(() => row(session, started.id)?.url, WAIT).toBeDefined();
		const saved = new Uint8Array(await (await fetch(row(session, started.id)!.url!)).arrayBuffer());
		const original = agent.files.download(name)!.data;
		expect(toHex(await sha256(saved))).toBe(toHex(await sha256(original)));
		expect(row(session, started.id)).toMatchObject({
			state: 'done',
			name,
			sha256: toHex(await sha256(original))
		});
		// The agent got our file-complete with the same hash (it logs a mismatch otherwise).
		await expect.poll(() => loggedFor(agent, 'file-sent'), WAIT).toContain(name);
		await finish(session, sessionId);
	});

	it('with a per-file approval, a second file waits until the customer is asked again', async () => {
		const { session, agent, sessionId } = await connect(PLAIN);
		await grantFiles(session, 'once');
		// Only the refusal of the next file is asserted: the reference agent spends a `once` grant
		// at the offer and then refuses that very file's chunks (a mock defect, reported).
		const first = await session.upload(randomFile('first.bin', 10_000).file);
		expect(first.ok).toBe(true);
		await expect.poll(() => loggedFor(agent, 'file-receiving'), WAIT).toContain('first.bin from 0');
		// The approval is spent by the first file: the worker refuses the next one itself.
		expect(session.consent['file-transfer']?.state).toBe('released');
		const offersBefore = loggedFor(agent, 'file-receiving').length;
		expect(await session.upload(randomFile('second.bin', 10_000).file)).toEqual({
			ok: false,
			code: 'no-consent'
		});
		await grantFiles(session, 'once');
		expect((await session.upload(randomFile('second.bin', 10_000).file)).ok).toBe(true);
		await expect
			.poll(() => loggedFor(agent, 'file-receiving'), WAIT)
			.toContain('second.bin from 0');
		expect(loggedFor(agent, 'file-receiving').length).toBe(offersBefore + 1);
		await finish(session, sessionId);
	});

	it('stops a transfer cleanly when the customer revokes file transfer mid-way', async () => {
		const { session, agent, sessionId } = await connect(PLAIN);
		await grantFiles(session, 'session');
		const started = await session.upload(randomFile('big.bin', BIG).file);
		if (!started.ok) throw new Error(started.code);
		// Revoked once the first chunks are in: the file is large enough not to be done by then.
		await expect
			.poll(() => agent.files.partial.get('big.bin')?.receivedBytes ?? 0, { ...WAIT, interval: 2 })
			.toBeGreaterThan(0);
		await agent.connection!.revoke('file-transfer');
		await expect.poll(() => row(session, started.id)?.state, WAIT).toBe('revoked');
		expect(session.consent['file-transfer']?.state).toBe('revoked');
		expect(row(session, started.id)!.bytes).toBeLessThan(BIG);
		expect(agent.files.received.has('big.bin')).toBe(false);
		expect(await session.upload(randomFile('after.bin', 100).file)).toEqual({
			ok: false,
			code: 'no-consent'
		});
		expect(session.closed).toBeNull();
		await finish(session, sessionId);
	});

	it('refuses any transfer on a PHI instrument in the worker, before anything is sent', async () => {
		const { session, agent, sessionId, info } = await connect(PHI);
		expect(info.phi).toBe(true);
		await session.requestConsent('file-transfer', 'session');
		await expect.poll(() => session.consent['file-transfer']?.state, WAIT).toBe('denied');
		expect(session.consent['file-transfer']?.reason).toBe('phi');
		const logged = agent.logEntries.length;
		expect(await session.upload(randomFile('notes.txt', 100).file)).toEqual({
			ok: false,
			code: 'phi'
		});
		expect(await session.requestFile('event-log-2026-11-28.txt')).toEqual({
			ok: false,
			code: 'phi'
		});
		await new Promise((r) => setTimeout(r, 300));
		// Nothing reached the agent: not even an offer for it to refuse.
		expect(agent.logEntries.slice(logged).filter((e) => e.type.startsWith('file-'))).toEqual([]);
		expect(agent.files.received.size).toBe(0);
		await finish(session, sessionId);
	});

	it('keeps at most 16 chunks unacknowledged, resumes at the agent’s offset, checks the hash', async () => {
		const { files, sent, events } = scriptedFileTransfers();
		const { file, bytes } = randomFile('window.bin', 40 * CHUNK_BYTES + 10);
		const started = await files.upload(file);
		if (!started.ok) throw new Error(started.code);
		const id = started.id;
		expect(sent).toMatchObject([{ type: 'file-offer', transferId: id, size: bytes.length }]);
		const chunks = () => sent.filter((m) => m.type === 'file-chunk');
		// The agent kept two chunks from an earlier attempt: sending starts after them.
		files.onMessage({ type: 'file-accept', transferId: id, offset: 2 * CHUNK_BYTES });
		expect(chunks()).toHaveLength(WINDOW_CHUNKS);
		expect(chunks()[0]).toMatchObject({ offset: 2 * CHUNK_BYTES });
		files.onMessage({ type: 'file-ack', transferId: id, received: 3 * CHUNK_BYTES });
		expect(chunks()).toHaveLength(WINDOW_CHUNKS + 1);
		let received = 3 * CHUNK_BYTES;
		const wrong: number[] = [];
		while (received < bytes.length) {
			const c = chunks().find((m) => m.offset === received);
			if (!c || c.type !== 'file-chunk') throw new Error(`no chunk at ${received}`);
			const at = received;
			if (c.data.some((b, i) => b !== bytes[at + i])) wrong.push(at);
			received += c.data.length;
			files.onMessage({ type: 'file-ack', transferId: id, received });
			const acked = received;
			const inFlight = chunks().filter((m) => m.type === 'file-chunk' && m.offset >= acked);
			expect(inFlight.length).toBeLessThanOrEqual(WINDOW_CHUNKS);
		}
		expect(wrong).toEqual([]);
		const last = () => events.filter((e) => e.type === 'transfer').at(-1);
		expect(last()).toMatchObject({ transfer: { state: 'verifying', bytes: bytes.length } });
		// A different hash from the agent is an integrity failure, said back to it.
		files.onMessage({ type: 'file-complete', transferId: id, sha256: new Uint8Array(32) });
		await expect
			.poll(() => last())
			.toMatchObject({
				transfer: { state: 'failed', reason: 'integrity' }
			});
		expect(sent.at(-1)).toMatchObject({ type: 'file-abort', transferId: id, reason: 'integrity' });
	});
});
