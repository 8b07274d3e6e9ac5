/**
 * A download cut by a dropped socket continues after the resumption (docs/protocol.md,
 * "Resumption", "What survives"): the console side is the stream worker's own FileTransfers, the
 * agent the reference one. Asserted: the offset the console accepts, the offsets of the agent's
 * chunks on the wire, and the SHA-256 of the file the technician gets.
 */
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/bytes';
import { sha256 } from '../../src/lib/protocol/kdf';
import type { AppMessage } from '../../src/lib/protocol/messages';
import { DROP_AFTER_CHUNKS } from '../../mocks/agent/transfers';
import type { SessionEvent } from '../../workers/stream/events';
import { CHUNK_BYTES, FileTransfers, type FileMessage } from '../../workers/stream/files';
import { makeAgent, openSession } from '../shared/agent-harness';
import { scriptedFileTransfers } from '../shared/file-transfers';

const NAME = 'event-log-2026-11-28.txt';
type Open = Awaited<ReturnType<typeof openSession>>;

const FILE_TYPES = new Set<string>([
	'file-list',
	'file-offer',
	'file-accept',
	'file-chunk',
	'file-ack',
	'file-complete',
	'file-abort'
]);
const isFileMessage = (m: AppMessage): m is FileMessage => FILE_TYPES.has(m.type);

/** The console's file transfers, talking through whichever connection is current. */
function consoleFiles() {
	const sent: AppMessage[] = [];
	const events: SessionEvent[] = [];
	const current: { session: Open | null } = { session: null };
	const files = new FileTransfers({
		open: () => current.session?.conn.state === 'open',
		phi: () => false,
		grant: () => 'session',
		spendOnce: () => {},
		send: async (m) => {
			const s = current.session;
			if (s?.conn.state !== 'open') return false;
			sent.push(m);
			await s.conn.send(m);
			return true;
		},
		emit: (e) => events.push(e)
	});
	return {
		current,
		sent,
		files,
		onMessage: (m: AppMessage) => {
			if (isFileMessage(m)) files.onMessage(m);
			// As the stream worker does: the customer took file transfer back.
			else if (m.type === 'consent-revoke' && m.capability === 'file-transfer')
				void files.revoked();
		},
		last: (id: number) =>
			events
				.flatMap((e) => (e.type === 'transfer' && e.transfer.id === id ? [e.transfer] : []))
				.at(-1),
		saved: (id: number) =>
			events.flatMap((e) => (e.type === 'file-received' && e.id === id ? [e.data] : []))[0]
	};
}

/**
 * A download cut by a drop, then the session resumed with files again. `mid-download`: the agent's
 * `drop-mid-download` scenario. `verifying`: the link drops the moment the console has the last
 * chunk, while it checks the file's SHA-256 (before its file-complete).
 */
async function cutThenResumed(when: 'mid-download' | 'verifying' = 'mid-download') {
	const { agent, device } = await makeAgent();
	const c = consoleFiles();
	const link: { first: Open | null } = { first: null };
	const first = await openSession(agent, device, {
		onMessage: (m) => {
			c.onMessage(m);
			if (when !== 'verifying' || link.first === null || m.type !== 'file-chunk') return;
			if (m.offset + m.data.length < agent.files.download(NAME)!.data.length) return;
			// As the stream worker does on a drop with a ticket in hand, before the hash is known.
			c.files.closed('reconnect');
			link.first.agentSide()!.drop();
		}
	});
	c.current.session = first;
	await first.next('session-info');
	const ticket = await first.ticket();
	await first.consent('file-transfer');
	await first.next('file-list');
	if (when === 'mid-download') agent.setScenario('drop-mid-download');
	else link.first = first;
	const cut = await c.files.request(NAME);
	if (!cut.ok) throw new Error(cut.code);
	expect(await first.closed).toMatchObject({ code: 'socket-closed' });
	c.files.closed('reconnect'); // as the stream worker does on a drop with a ticket in hand
	agent.setScenario('none');
	expect(c.last(cut.id)).toMatchObject({ state: 'failed', reason: 'reconnect' });
	const second = await openSession(agent, device, {
		sessionId: first.sessionId,
		announce: false,
		resume: ticket,
		onMessage: c.onMessage
	});
	c.current.session = second;
	await second.next('session-info');
	// File transfer ended with the old connection: the customer grants it again.
	await second.consent('file-transfer');
	await second.next('file-list');
	return { agent, c, first, second, cut: c.last(cut.id)! };
}

const chunksOf = (s: Open, id: number) =>
	s.received.flatMap((m) => (m.type === 'file-chunk' && m.transferId === id ? [m] : []));
const acceptOf = (c: ReturnType<typeof consoleFiles>, id: number) =>
	c.sent.find((m) => m.type === 'file-accept' && m.transferId === id);

describe('a download cut by a dropped socket', () => {
	it('continues at the offset the console kept, and the file saved has the agent’s SHA-256', async () => {
		const { agent, c, second, cut } = await cutThenResumed();
		const kept = DROP_AFTER_CHUNKS * CHUNK_BYTES;
		expect(cut.bytes).toBe(kept);
		expect(c.files.keptBytes).toBe(kept);
		const again = await c.files.request(NAME);
		if (!again.ok) throw new Error(again.code);
		await expect.poll(() => c.last(again.id)?.state).toBe('done');
		const original = agent.files.download(NAME)!.data;
		expect(acceptOf(c, again.id)).toMatchObject({ offset: kept });
		// On the wire: the agent sent only what was missing, from the kept offset on.
		const chunks = chunksOf(second, again.id);
		expect(chunks[0]!.offset).toBe(kept);
		expect(chunks.reduce((n, m) => n + m.data.length, 0)).toBe(original.length - kept);
		expect(c.last(again.id)).toMatchObject({ resumedFrom: kept, bytes: original.length });
		const saved = new Uint8Array(c.saved(again.id)!);
		expect(toHex(await sha256(saved))).toBe(toHex(await sha256(original)));
		// The agent got our file-complete with its own hash (it logs a mismatch otherwise).
		await expect
			.poll(() => agent.logEntries.filter((e) => e.type === 'file-sent').map((e) => e.detail))
			.toContain(NAME);
		expect(agent.logEntries.map((e) => e.detail)).toContain(`${NAME} from ${kept}`);
		expect(c.files.keptBytes).toBe(0);
	});

	it('starts over at 0 when the file changed meanwhile (same name and size, other SHA-256)', async () => {
		const { agent, c, second, cut } = await cutThenResumed();
		expect(cut.bytes).toBeGreaterThan(0);
		const stored = agent.files.download(NAME)!;
		const changed = stored.data.slice();
		changed[changed.length - 1]! ^= 0xff;
		stored.data = changed;
		const again = await c.files.request(NAME);
		if (!again.ok) throw new Error(again.code);
		await expect.poll(() => c.last(again.id)?.state).toBe('done');
		expect(acceptOf(c, again.id)).toMatchObject({ offset: 0 });
		expect(chunksOf(second, again.id)[0]!.offset).toBe(0);
		expect(c.last(again.id)!.resumedFrom).toBeUndefined();
		const saved = new Uint8Array(c.saved(again.id)!);
		expect(toHex(await sha256(saved))).toBe(toHex(await sha256(changed)));
	});
});

describe('a download cut while its SHA-256 is checked', () => {
	it('is kept whole: resumed at its size, no byte sent twice, saved with the agent’s SHA-256', async () => {
		const { agent, c, first, second, cut } = await cutThenResumed('verifying');
		const original = agent.files.download(NAME)!.data;
		expect(cut).toMatchObject({ state: 'failed', reason: 'reconnect', bytes: original.length });
		// Cut before the console said so: no file-complete went out, nothing was saved.
		expect(c.sent.some((m) => m.type === 'file-complete')).toBe(false);
		expect(c.saved(cut.id)).toBeUndefined();
		expect(c.files.keptBytes).toBe(original.length);
		const again = await c.files.request(NAME);
		if (!again.ok) throw new Error(again.code);
		await expect.poll(() => c.last(again.id)?.state).toBe('done');
		expect(acceptOf(c, again.id)).toMatchObject({ offset: original.length });
		// On the wire: every byte once, all of it on the first connection, none on the second.
		const before = chunksOf(first, cut.id);
		expect(before.map((m) => m.offset)).toEqual(
			Array.from({ length: before.length }, (_, i) => i * CHUNK_BYTES)
		);
		expect(before.reduce((n, m) => n + m.data.length, 0)).toBe(original.length);
		expect(chunksOf(second, again.id)).toEqual([]);
		expect(c.sent.find((m) => m.type === 'file-complete')).toMatchObject({
			transferId: again.id,
			sha256: await sha256(original)
		});
		expect(c.last(again.id)).toMatchObject({
			resumedFrom: original.length,
			bytes: original.length
		});
		const saved = new Uint8Array(c.saved(again.id)!);
		expect(toHex(await sha256(saved))).toBe(toHex(await sha256(original)));
		await expect
			.poll(() => agent.logEntries.filter((e) => e.type === 'file-sent').map((e) => e.detail))
			.toContain(NAME);
		expect(agent.logEntries.map((e) => e.detail)).toContain(`${NAME} from ${original.length}`);
		expect(c.files.keptBytes).toBe(0);
	});
});

describe('a cut download after the customer revokes file transfer', () => {
	it('is forgotten at once: granted again and asked again, the file starts at 0', async () => {
		const { agent, c, second } = await cutThenResumed();
		expect(c.files.keptBytes).toBe(DROP_AFTER_CHUNKS * CHUNK_BYTES);
		const mark = second.received.length;
		await second.agentSide()!.revoke('file-transfer');
		await second.next('consent-revoke', mark);
		expect(c.files.keptBytes).toBe(0);
		await second.consent('file-transfer');
		await second.next('file-list', mark);
		const again = await c.files.request(NAME);
		if (!again.ok) throw new Error(again.code);
		await expect.poll(() => c.last(again.id)?.state).toBe('done');
		// On the wire: accepted at 0, and the agent sent the whole file from its first byte.
		expect(acceptOf(c, again.id)).toMatchObject({ offset: 0 });
		const chunks = chunksOf(second, again.id);
		expect(chunks[0]!.offset).toBe(0);
		const original = agent.files.download(NAME)!.data;
		expect(chunks.reduce((n, m) => n + m.data.length, 0)).toBe(original.length);
		expect(c.last(again.id)!.resumedFrom).toBeUndefined();
		const saved = new Uint8Array(c.saved(again.id)!);
		expect(toHex(await sha256(saved))).toBe(toHex(await sha256(original)));
	});
});

describe('what the console keeps of a cut download', () => {
	const size = 3 * CHUNK_BYTES + 100;
	const data = new Uint8Array(size).map((_, i) => (i * 7) & 0xff);

	/** The console against a scripted agent: what it sends, what it says, what it keeps. */
	async function scripted() {
		const { files, sent, events } = scriptedFileTransfers();
		files.onMessage({
			type: 'file-list',
			files: [{ name: 'trace.bin', size, mime: 'application/octet-stream' }]
		});
		const hash = await sha256(data);
		const offer = (transferId: number, sha = hash) =>
			files.onMessage({
				type: 'file-offer',
				transferId,
				name: 'trace.bin',
				size,
				sha256: sha,
				mime: 'application/octet-stream'
			});
		const chunk = (transferId: number, offset: number, bytes = data) =>
			files.onMessage({
				type: 'file-chunk',
				transferId,
				offset,
				data: bytes.slice(offset, Math.min(offset + CHUNK_BYTES, size))
			});
		/** Requests the file and lets two chunks arrive. */
		const started = async () => {
			const r = await files.request('trace.bin');
			if (!r.ok) throw new Error(r.code);
			offer(r.id);
			chunk(r.id, 0);
			chunk(r.id, CHUNK_BYTES);
			return r.id;
		};
		const accepted = (id: number) =>
			sent.find((m) => m.type === 'file-accept' && m.transferId === id);
		const last = (id: number) =>
			events
				.flatMap((e) => (e.type === 'transfer' && e.transfer.id === id ? [e.transfer] : []))
				.at(-1);
		const saved = (id: number) =>
			events.flatMap((e) => (e.type === 'file-received' && e.id === id ? [e.data] : []))[0];
		return { files, sent, offer, chunk, started, accepted, last, saved };
	}

	it('discards the kept part when the resumed file fails its SHA-256; the next try starts at 0', async () => {
		const s = await scripted();
		await s.started();
		s.files.closed('reconnect');
		expect(s.files.keptBytes).toBe(2 * CHUNK_BYTES);
		const resumed = (await s.files.request('trace.bin')) as { id: number };
		s.offer(resumed.id);
		expect(s.accepted(resumed.id)).toMatchObject({ offset: 2 * CHUNK_BYTES });
		const forged = data.map((b) => b ^ 1);
		s.chunk(resumed.id, 2 * CHUNK_BYTES, forged);
		s.chunk(resumed.id, 3 * CHUNK_BYTES, forged);
		await expect
			.poll(() => s.last(resumed.id))
			.toMatchObject({ state: 'failed', reason: 'integrity' });
		expect(s.sent.at(-1)).toMatchObject({ type: 'file-abort', reason: 'integrity' });
		expect(s.files.keptBytes).toBe(0);
		const next = (await s.files.request('trace.bin')) as { id: number };
		s.offer(next.id);
		expect(s.accepted(next.id)).toMatchObject({ offset: 0 });
	});

	it('keeps all of a download cut while its hash is checked, and finishes it at once when resumed', async () => {
		const s = await scripted();
		const id = await s.started();
		s.chunk(id, 2 * CHUNK_BYTES);
		s.chunk(id, 3 * CHUNK_BYTES); // the last: the console acknowledges it and checks the hash
		expect(s.last(id)).toMatchObject({ state: 'verifying', bytes: size });
		s.files.closed('reconnect');
		expect(s.files.keptBytes).toBe(size);
		const resumed = (await s.files.request('trace.bin')) as { id: number };
		s.offer(resumed.id);
		expect(s.accepted(resumed.id)).toMatchObject({ offset: size });
		await expect.poll(() => s.last(resumed.id)?.state).toBe('done');
		expect(s.last(resumed.id)).toMatchObject({ resumedFrom: size, bytes: size });
		// The cut one never completed; the resumed one did, with the file's own SHA-256.
		const completes = s.sent.filter((m) => m.type === 'file-complete');
		expect(completes).toEqual([
			{ type: 'file-complete', transferId: resumed.id, sha256: await sha256(data) }
		]);
		expect(s.saved(id)).toBeUndefined();
		expect(new Uint8Array(s.saved(resumed.id)!)).toEqual(data);
		expect(s.files.keptBytes).toBe(0);
	});

	it('keeps nothing of a download cancelled or revoked, or once the session has ended', async () => {
		const s = await scripted();
		await s.files.cancel(await s.started());
		await s.started();
		await s.files.revoked();
		s.files.closed('reconnect');
		expect(s.files.keptBytes).toBe(0);
		await s.started();
		s.files.closed('reconnect');
		expect(s.files.keptBytes).toBe(2 * CHUNK_BYTES);
		s.files.closed('closed');
		expect(s.files.keptBytes).toBe(0);
		const after = (await s.files.request('trace.bin')) as { id: number };
		s.offer(after.id);
		expect(s.accepted(after.id)).toMatchObject({ offset: 0 });
	});

	it('a different SHA-256 on the offer starts over at 0 and forgets the kept part', async () => {
		const s = await scripted();
		await s.started();
		s.files.closed('reconnect');
		const other = (await s.files.request('trace.bin')) as { id: number };
		s.offer(other.id, new Uint8Array(32).fill(7));
		expect(s.accepted(other.id)).toMatchObject({ offset: 0 });
		expect(s.files.keptBytes).toBe(0);
		expect(s.last(other.id)!.resumedFrom).toBeUndefined();
	});
});
