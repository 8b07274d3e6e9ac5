/**
 * Audit sync with real IndexedDB and the reference broker behind MSW: the outbox reaches the
 * broker's audit log exactly once across a broker outage (injected faults, then a reply lost
 * after the broker stored the batch) and a reload (a new syncer, a new database connection and a
 * new sign-in), backing off exponentially in between; signed out, nothing is sent. Outbox rows
 * hold a block of events each: a request of at most 500 events may take part of a block, and a
 * reply may settle part of one.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { http, HttpResponse } from 'msw';
import { setupWorker } from 'msw/browser';
import { deleteDB, openDB } from 'idb';
import { BrokerClient } from '$lib/broker/client';
import { AuditSyncer } from '$lib/history/audit-sync';
import { openHistoryDb, type HistoryDb, type OutboxRow } from '$lib/history/db';
import { EMPTY_HEAD, appendBatch, appendEvent } from '$lib/history/journal';
import { batchKey, toAuditEvent, unsentEvents } from '$lib/history/outbox';
import { base64urlEncode } from '$lib/protocol/base64url';
import { fromHex, randomBytes } from '$lib/protocol/bytes';
import { deviceProofMessage } from '$lib/protocol/broker-api';
import { generateIdentity, sign } from '$lib/protocol/identity';
import { brokerHandlers } from '$mocks/broker/handlers';
import { BrokerModel, DEMO_CREDENTIALS } from '$mocks/broker/model';
import { seedSession } from './history/seed';

const worker = setupWorker();
const started = worker.start({
	onUnhandledRequest: 'bypass',
	quiet: true,
	serviceWorker: { url: '/mockServiceWorker.js' }
});
afterAll(() => worker.stop());

const names: string[] = [];
const dbs: HistoryDb[] = [];
afterEach(async () => {
	for (const db of dbs.splice(0)) db.close();
	for (const name of names.splice(0)) await deleteDB(name);
	worker.resetHandlers();
});

const camille = DEMO_CREDENTIALS.camille;

/** The reference broker, with Camille's browser registered and approved, and its clock. */
async function brokerWorld() {
	await started;
	let now = Date.now();
	const broker = new BrokerModel({ now: () => now });
	worker.resetHandlers(...brokerHandlers(broker));
	const device = await generateIdentity();
	const deviceId = base64urlEncode(randomBytes(16));
	now += 30_000;
	const pw = await broker.signInPassword({ email: camille.email, password: camille.password });
	const challengeId = (pw.body as { challengeId: string }).challengeId;
	now += 30_000;
	const tf = await broker.signInTotp({ challengeId, code: broker.currentTotp(camille.email)! });
	await broker.registerDevice({
		challengeId: (tf.body as { challengeId: string }).challengeId,
		deviceId,
		publicKey: base64urlEncode(device.publicKey),
		label: 'Audit test',
		userAgent: 'vitest'
	});
	const mail = broker.pendingApprovals().find((a) => a.deviceId === deviceId)!;
	broker.approveDevice(deviceId, { approvalToken: mail.approvalToken });

	/** A console signing in over HTTP (MSW), as after a reload: the token lives in the client. */
	async function signedInClient(): Promise<BrokerClient> {
		const client = new BrokerClient({ baseUrl: '' });
		const step1 = await client.password({
			email: camille.email,
			password: camille.password,
			deviceId
		});
		if (!step1.ok || !('deviceChallenge' in step1.value)) throw new Error('password step failed');
		const { challengeId, deviceChallenge } = step1.value as {
			challengeId: string;
			deviceChallenge: string;
		};
		now += 30_000;
		const deviceSignature = base64urlEncode(
			await sign(device.privateKey, deviceProofMessage(challengeId, deviceChallenge))
		);
		const step2 = await client.totp({
			challengeId,
			code: broker.currentTotp(camille.email)!,
			deviceSignature
		});
		if (!step2.ok || step2.value.step !== 'signed-in') throw new Error('totp step failed');
		return client;
	}
	return { broker, signedInClient, advance: (ms: number) => (now += ms), now: () => now };
}

async function openDb(name: string): Promise<HistoryDb> {
	const db = await openHistoryDb(name);
	dbs.push(db);
	return db;
}

/** Every audit request MSW sees: its Idempotency-Key and the ids of the events it carried. */
function watchRequests() {
	const seen: { key: string | null; events: number; ids: string[] }[] = [];
	const listener = async ({ request }: { request: Request }) => {
		if (!request.url.endsWith('/api/v1/audit')) return;
		const body = (await request.clone().json()) as { events: { id: string }[] };
		seen.push({
			key: request.headers.get('Idempotency-Key'),
			events: body.events.length,
			ids: body.events.map((e) => e.id)
		});
	};
	worker.events.on('request:start', listener);
	return { seen, stop: () => worker.events.removeListener('request:start', listener) };
}

/** Every audit id in some outbox rows. */
const idsOf = (rows: OutboxRow[]) => rows.flatMap((o) => o.events.map((e) => e.id));

/** Each outbox event is in the broker's log, once, exactly as recorded, under its recorder. */
function expectLogged(
	log: ReturnType<BrokerModel['auditLog']>,
	rows: OutboxRow[],
	technicianId: string
) {
	const byId = new Map(log.map((l) => [l.event.id, l]));
	for (const row of rows)
		for (const e of row.events) {
			const stored = byId.get(e.id);
			expect(stored?.technicianId).toBe(technicianId);
			expect(stored?.event).toEqual({
				id: e.id,
				sessionId: row.sessionId,
				type: e.type,
				at: new Date(e.at).toISOString(),
				data: e.data,
				prevHash: base64urlEncode(fromHex(e.prevHash)),
				hash: base64urlEncode(fromHex(e.hash))
			});
		}
}

/** A session row for events written straight into history. */
const sessionRow = (id: string, technicianId: string, startedAt: number) => ({
	id,
	instrumentId: 'ins-3317',
	serial: 'CX5-17-0042',
	site: 'Lyon',
	technicianId,
	startedAt,
	endedAt: null,
	outcome: 'open' as const,
	capabilities: []
});

/** `n` chat events, one a millisecond after `t0`. */
const chat = (n: number, t0: number) =>
	Array.from({ length: n }, (_, k) => ({
		type: 'chat' as const,
		data: { from: 'customer' as const, messageId: k, text: `line ${k}` },
		at: t0 + 1 + k
	}));

/** The broker stores the next batch, then its reply is lost on the way (a proxy times out). */
function loseNextReply(world: Awaited<ReturnType<typeof brokerWorld>>) {
	worker.use(
		http.post(
			'/api/v1/audit',
			async ({ request }) => {
				const token = request.headers.get('Authorization')!.slice('Bearer '.length);
				world.broker.audit(token, await request.json(), request.headers.get('Idempotency-Key'));
				return HttpResponse.json(
					{ error: { code: 'unavailable', message: 'gateway timeout' } },
					{ status: 503 }
				);
			},
			{ once: true }
		)
	);
}

describe('audit sync', () => {
	it('delivers the outbox exactly once across an outage, a lost reply and a reload', async () => {
		const world = await brokerWorld();
		const name = `history-audit-${crypto.randomUUID()}`;
		names.push(name);
		let db = await openDb(name);
		const tech = camille.id;
		await seedSession(db, { technicianId: tech });
		await seedSession(db, { technicianId: tech, open: true });
		// A colleague's session on this shared console: never sent under Camille's token.
		const other = await seedSession(db, { technicianId: 'tech-0002' });
		// Recorded live: a row of one event per event.
		const mine = (await db.getAll('outbox')).filter((o) => o.technicianId === tech);
		expect(mine).toHaveLength(14 + 10);
		expect(mine.every((o) => o.events.length === 1)).toBe(true);
		const requests = watchRequests();

		// Signed out: nothing leaves.
		const signedOut = new AuditSyncer({
			db,
			broker: new BrokerClient({ baseUrl: '' }),
			technicianId: () => null
		});
		expect(await signedOut.flush()).toMatchObject({ ok: false, failure: { code: 'signed-out' } });
		expect(requests.seen).toHaveLength(0);

		// The broker is down: every row backs off 1 s, then 2 s, exponentially.
		let client = await world.signedInClient();
		world.broker.faults.set('http-500', 'audit');
		const syncer = new AuditSyncer({
			db,
			broker: client,
			technicianId: () => tech,
			now: world.now,
			random: () => 1,
			baseDelayMs: 1000,
			batchSize: 100
		});
		expect(await syncer.flush()).toMatchObject({ ok: false, failure: { code: 'internal' } });
		const t1 = world.now();
		let rows = await db.getAll('outbox');
		for (const r of rows.filter((o) => o.technicianId === tech))
			expect(r).toMatchObject({ attempts: 1, nextAttemptAt: t1 + 1000 });
		world.advance(999);
		expect(await syncer.flush()).toEqual({ ok: true, sent: 0 });
		expect(requests.seen).toHaveLength(1);
		world.advance(1);
		expect(await syncer.flush()).toMatchObject({ ok: false });
		rows = await db.getAll('outbox');
		for (const r of rows.filter((o) => o.technicianId === tech))
			expect(r).toMatchObject({ attempts: 2, nextAttemptAt: world.now() + 2000 });
		// The same batch was retried under the same Idempotency-Key.
		expect(requests.seen.map((r) => r.key)).toEqual([requests.seen[0]!.key, requests.seen[0]!.key]);
		expect(world.broker.auditLog()).toHaveLength(0);

		// Back up, but the reply to the stored batch is lost on the way (a proxy times out).
		world.broker.faults.clear();
		loseNextReply(world);
		world.advance(2000);
		expect(await syncer.flush()).toMatchObject({ ok: false, failure: { code: 'unavailable' } });
		expect(world.broker.auditLog()).toHaveLength(24);
		expect((await db.getAll('outbox')).filter((o) => o.technicianId === tech)).toHaveLength(24);

		// Reload: a new database connection, a new sign-in, a new syncer; smaller batches.
		syncer.stop();
		db.close();
		db = await openDb(name);
		client = await world.signedInClient();
		const after = new AuditSyncer({
			db,
			broker: client,
			technicianId: () => tech,
			now: world.now,
			random: () => 1,
			baseDelayMs: 1000,
			batchSize: 10
		});
		world.advance(4000);
		const before = requests.seen.length;
		expect(await after.flush()).toEqual({ ok: true, sent: 24 });
		expect(requests.seen.slice(before).map((r) => r.events)).toEqual([10, 10, 4]);
		requests.stop();

		// Exactly once: each of Camille's events is in the broker's log once, as recorded.
		const log = world.broker.auditLog();
		expect(log).toHaveLength(24);
		expect(new Set(log.map((l) => l.event.id)).size).toBe(24);
		expect(log.map((l) => l.event.id).sort()).toEqual(idsOf(mine).sort());
		expectLogged(log, mine, tech);
		// Only the colleague's rows are left, untouched.
		const left = await db.getAll('outbox');
		expect(left.every((o) => o.technicianId === 'tech-0002' && o.attempts === 0)).toBe(true);
		expect(left.map((o) => o.sessionId)).toEqual(left.map(() => other.sessionId));
		expect(await after.flush()).toEqual({ ok: true, sent: 0 });
	});

	it('derives one idempotency key per batch, and maps events to the wire as Part 1 says', async () => {
		const ids = [crypto.randomUUID(), crypto.randomUUID()];
		const key = await batchKey(ids);
		expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(await batchKey([...ids].reverse())).toBe(key);
		expect(await batchKey([ids[0]!])).not.toBe(key);
		const event = {
			id: ids[0]!,
			seq: 0,
			at: 0,
			type: 'chat',
			data: 'x',
			prevHash: '0'.repeat(64),
			hash: 'f'.repeat(64)
		};
		// A local (non-broker) session id is left out; a non-object datum is wrapped.
		expect(toAuditEvent('local-id', event)).toEqual({
			id: ids[0],
			type: 'chat',
			at: '1970-01-01T00:00:00.000Z',
			data: { value: 'x' },
			prevHash: 'A'.repeat(43),
			hash: base64urlEncode(new Uint8Array(32).fill(255))
		});
		const broker = base64urlEncode(new Uint8Array(16));
		expect(toAuditEvent(broker, event)).toMatchObject({ id: ids[0], sessionId: broker });
		expect(toAuditEvent('local-id', { ...event, type: 'Bad Type' })).toBeNull();
		expect(toAuditEvent('local-id', { ...event, data: { text: 'x'.repeat(17_000) } })).toBeNull();
	});

	it('delivers block rows exactly once across an outage, a lost reply and a reload, 500 events a request at most', async () => {
		const world = await brokerWorld();
		const name = `history-audit-${crypto.randomUUID()}`;
		names.push(name);
		let db = await openDb(name);
		const tech = camille.id;
		const sessionId = base64urlEncode(randomBytes(16));
		const t0 = world.now() - 3_600_000;
		// A live first event (a row of one), then an import of 1,233 more: rows of 100, and 33.
		const first = await appendEvent(
			db,
			sessionId,
			EMPTY_HEAD,
			{ type: 'connect-attempt', data: { attempt: 1 }, at: t0 },
			{ create: sessionRow(sessionId, tech, t0) }
		);
		if (!first.ok) throw new Error(first.code);
		expect(
			await appendBatch(db, [{ sessionId, head: first.head, events: chat(1233, t0) }])
		).toMatchObject({ ok: true });
		const all = await db.getAll('outbox');
		expect(all.map((o) => o.events.length).sort((a, b) => a - b)).toEqual([
			1,
			33,
			...Array<number>(12).fill(100)
		]);
		const firstSeqs = async () =>
			new Map((await db.getAll('outbox')).map((o) => [o.events[0]!.seq, o]));
		const requests = watchRequests();

		// The broker is down. The request took the row of one, four blocks and 99 events of the
		// fifth: those six rows back off, whole; the rest wait their turn, untouched.
		let client = await world.signedInClient();
		world.broker.faults.set('http-500', 'audit');
		const options = {
			technicianId: () => tech,
			now: world.now,
			random: () => 1,
			baseDelayMs: 1000,
			batchSize: 500
		};
		const syncer = new AuditSyncer({ db, broker: client, ...options });
		expect(await syncer.flush()).toMatchObject({ ok: false, failure: { code: 'internal' } });
		expect(requests.seen.map((r) => r.events)).toEqual([500]);
		const backedOff = [...(await firstSeqs())].filter(([, row]) => row.attempts === 1);
		expect(backedOff.map(([seq]) => seq).sort((a, b) => a - b)).toEqual([0, 1, 101, 201, 301, 401]);
		for (const [, row] of backedOff) expect(row.nextAttemptAt).toBe(world.now() + 1000);
		// Still down: the rows not yet tried are due at once, and go the same way, 500 events a
		// request; seq 500, the last of the block cut at 500, waits in its backed-off row.
		expect(await syncer.flush()).toMatchObject({ ok: false, failure: { code: 'internal' } });
		expect(await syncer.flush()).toMatchObject({ ok: false, failure: { code: 'internal' } });
		expect(await syncer.flush()).toEqual({ ok: true, sent: 0 });
		expect(requests.seen.map((r) => r.events)).toEqual([500, 500, 233]);
		expect(requests.seen.flatMap((r) => r.ids)).not.toContain(
			(await firstSeqs()).get(401)!.events.at(-1)!.id
		);
		for (const row of await db.getAll('outbox'))
			expect(row).toMatchObject({ attempts: 1, nextAttemptAt: world.now() + 1000 });
		expect(await unsentEvents(db, tech)).toEqual({ waiting: 1234, parked: 0 });
		expect(world.broker.auditLog()).toHaveLength(0);

		// Back up, but the reply to the stored batch is lost on the way.
		world.broker.faults.clear();
		loseNextReply(world);
		world.advance(1000);
		expect(await syncer.flush()).toMatchObject({ ok: false, failure: { code: 'unavailable' } });
		const lost = requests.seen.at(-1)!.ids;
		expect(lost).toHaveLength(500);
		expect(world.broker.auditLog().map((l) => l.event.id)).toEqual(lost);
		expect(await unsentEvents(db, tech)).toEqual({ waiting: 1234, parked: 0 });

		// Reload: a new connection, sign-in and syncer; everything is due again.
		syncer.stop();
		db.close();
		db = await openDb(name);
		client = await world.signedInClient();
		world.advance(2000);
		const before = requests.seen.length;
		const after = new AuditSyncer({ db, broker: client, ...options });
		expect(await after.flush()).toEqual({ ok: true, sent: 1234 });
		requests.stop();
		const reloaded = requests.seen.slice(before);
		expect(reloaded.map((r) => r.events)).toEqual([500, 500, 234]);
		const resent = reloaded.flatMap((r) => r.ids);
		expect(new Set(resent).size).toBe(1234);
		expect(resent.sort()).toEqual(idsOf(all).sort());
		// The 500 the broker already held went again under their ids, and were kept once.
		expect(resent).toEqual(expect.arrayContaining(lost));
		const log = world.broker.auditLog();
		expect(log).toHaveLength(1234);
		expect(new Set(log.map((l) => l.event.id)).size).toBe(1234);
		expectLogged(log, all, tech);
		expect(await db.count('outbox')).toBe(0);
		expect(await after.flush()).toEqual({ ok: true, sent: 0 });
	});

	it('settles part of a block: events a reply leaves out go again later, one the broker cannot take is parked alone', async () => {
		const world = await brokerWorld();
		const name = `history-audit-${crypto.randomUUID()}`;
		names.push(name);
		const db = await openDb(name);
		const tech = camille.id;
		const sessionId = base64urlEncode(randomBytes(16));
		const t0 = world.now() - 60_000;
		const events = chat(10, t0);
		// Event 4 is over the broker's 16 KiB of data: no request can ever carry it.
		events[4] = { ...events[4]!, data: { ...events[4]!.data, text: 'x'.repeat(17_000) } };
		expect(
			await appendBatch(db, [
				{ sessionId, head: EMPTY_HEAD, create: sessionRow(sessionId, tech, t0), events }
			])
		).toMatchObject({ ok: true });
		const [block] = await db.getAll('outbox');
		const ids = block!.events.map((e) => e.id);
		expect(ids).toHaveLength(10);

		// The broker stores the batch but its reply forgets events 7 and 8.
		worker.use(
			http.post(
				'/api/v1/audit',
				async ({ request }) => {
					const token = request.headers.get('Authorization')!.slice('Bearer '.length);
					const reply = world.broker.audit(
						token,
						await request.json(),
						request.headers.get('Idempotency-Key')
					);
					if (!reply.ok) return HttpResponse.json(reply.body, { status: reply.status });
					const forgotten = new Set([ids[7], ids[8]]);
					return HttpResponse.json({
						accepted: reply.body.accepted.filter((id) => !forgotten.has(id)),
						duplicates: reply.body.duplicates
					});
				},
				{ once: true }
			)
		);
		const requests = watchRequests();
		const syncer = new AuditSyncer({
			db,
			broker: await world.signedInClient(),
			technicianId: () => tech,
			now: world.now,
			random: () => 1,
			baseDelayMs: 1000
		});
		expect(await syncer.flush()).toEqual({ ok: true, sent: 7 });
		// The block's row keeps only 7 and 8, backing off; event 4 sits parked in a row of its own.
		const rows = await db.getAll('outbox');
		expect(rows).toHaveLength(2);
		const waiting = rows.find((r) => r.id === block!.id)!;
		expect(waiting.events.map((e) => [e.seq, e.id])).toEqual([
			[7, ids[7]],
			[8, ids[8]]
		]);
		expect(waiting).toMatchObject({ attempts: 1, nextAttemptAt: world.now() + 1000 });
		const parked = rows.find((r) => r.id !== block!.id)!;
		expect(parked).toMatchObject({
			sessionId,
			technicianId: tech,
			attempts: 1,
			nextAttemptAt: Number.MAX_SAFE_INTEGER
		});
		expect(parked.events.map((e) => [e.seq, e.id])).toEqual([[4, ids[4]]]);
		expect(await syncer.pending()).toEqual({ waiting: 2, parked: 1 });

		// Later, 7 and 8 go again under the same ids; the broker already has them: kept once.
		world.advance(1000);
		expect(await syncer.flush()).toEqual({ ok: true, sent: 2 });
		requests.stop();
		expect(requests.seen.map((r) => r.ids)).toEqual([
			ids.filter((_, i) => i !== 4),
			[ids[7], ids[8]]
		]);
		const log = world.broker.auditLog();
		expect(log.map((l) => l.event.id)).toEqual(ids.filter((_, i) => i !== 4));
		expect(await db.getAll('outbox')).toEqual([parked]);
		expect(await syncer.pending()).toEqual({ waiting: 0, parked: 1 });
	});
});

describe('counting unsent events', () => {
	/** Waiting, backing-off and parked rows of many events each, through the app's own writers. */
	async function outbox() {
		const name = `history-audit-${crypto.randomUUID()}`;
		names.push(name);
		const db = await openDb(name);
		const t0 = 1_000_000;
		const big = { from: 'customer' as const, messageId: 0, text: 'x'.repeat(17_000) };
		// t1: 230 events in blocks of 100, 100, 30; three of them too big for the broker.
		const a = chat(230, t0);
		for (const k of [5, 120, 121]) a[k] = { ...a[k]!, data: big };
		// t2: a batch of 40, then 3 live events (a row each).
		const [sa, sb] = ['a', 'b'].map(() => base64urlEncode(randomBytes(16))) as [string, string];
		const written = await appendBatch(db, [
			{ sessionId: sa, head: EMPTY_HEAD, create: sessionRow(sa, 't1', t0), events: a },
			{ sessionId: sb, head: EMPTY_HEAD, create: sessionRow(sb, 't2', t0), events: chat(40, t0) }
		]);
		if (!written.ok) throw new Error(written.code);
		let head = written.heads[1]!;
		for (const e of chat(3, t0 + 100)) {
			const live = await appendEvent(db, sb, head, e);
			if (!live.ok) throw new Error(live.code);
			head = live.head;
		}
		// t1's sync, twice: the broker is down, so each try backs off the block it sent (one a
		// request) and parks its big events in a row of their own; the third block stays fresh.
		const syncer = new AuditSyncer({
			db,
			technicianId: () => 't1',
			now: () => t0 + 10_000,
			broker: {
				signedIn: true,
				audit: async () => ({ ok: false, failure: { code: 'unavailable', status: 503 } })
			}
		});
		for (let i = 0; i < 2; i++)
			expect(await syncer.flush()).toMatchObject({ ok: false, failure: { code: 'unavailable' } });
		return db;
	}

	/** What the rows themselves hold. */
	async function truth(db: HistoryDb, technicianId?: string) {
		const out = { waiting: 0, parked: 0 };
		for (const row of await db.getAll('outbox'))
			if (technicianId === undefined || row.technicianId === technicianId)
				out[row.nextAttemptAt === Number.MAX_SAFE_INTEGER ? 'parked' : 'waiting'] +=
					row.events.length;
		return out;
	}

	it('counts waiting and parked events per technician and in all, without reading a row', async () => {
		const db = await outbox();
		const rows = await db.getAll('outbox');
		// Parked rows of their own, and rows still holding many events each.
		expect(rows.filter((r) => r.nextAttemptAt === Number.MAX_SAFE_INTEGER).length).toBe(2);
		expect(rows.filter((r) => r.events.length > 1).length).toBeGreaterThanOrEqual(4);
		const reads = [
			vi.spyOn(IDBObjectStore.prototype, 'getAll'),
			vi.spyOn(IDBObjectStore.prototype, 'openCursor'),
			vi.spyOn(IDBObjectStore.prototype, 'get'),
			vi.spyOn(IDBIndex.prototype, 'getAll'),
			vi.spyOn(IDBIndex.prototype, 'openCursor'),
			vi.spyOn(IDBIndex.prototype, 'get')
		];
		try {
			expect(await unsentEvents(db, 't1')).toEqual({ waiting: 227, parked: 3 });
			expect(await unsentEvents(db, 't2')).toEqual({ waiting: 43, parked: 0 });
			expect(await unsentEvents(db, 'nobody')).toEqual({ waiting: 0, parked: 0 });
			expect(await unsentEvents(db)).toEqual({ waiting: 270, parked: 3 });
			for (const read of reads) expect(read).not.toHaveBeenCalled();
		} finally {
			for (const read of reads) read.mockRestore();
		}
		expect(await unsentEvents(db, 't1')).toEqual(await truth(db, 't1'));
		expect(await unsentEvents(db)).toEqual(await truth(db));
	});

	it('still counts a row written without its index key, by reading the rows', async () => {
		const db = await outbox();
		const row = (await db.getAll('outbox')).find(
			(r) => r.technicianId === 't2' && r.events.length === 40
		)!;
		// As a writer that skipped withOutboxKeys would leave it: absent from the count index.
		const { unsent: _, ...bare } = row;
		const raw = await openDB(db.name);
		await raw.put('outbox', { ...bare, id: 'no-key' });
		raw.close();
		expect(await db.countFromIndex('outbox', 'by-unsent')).toBe((await db.count('outbox')) - 1);
		expect(await unsentEvents(db, 't2')).toEqual({ waiting: 43 + 40, parked: 0 });
		expect(await unsentEvents(db, 't1')).toEqual({ waiting: 227, parked: 3 });
		expect(await unsentEvents(db)).toEqual({ waiting: 270 + 40, parked: 3 });
	});
});
