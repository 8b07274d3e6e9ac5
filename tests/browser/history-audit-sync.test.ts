/**
 * Audit sync with real IndexedDB and the reference broker behind MSW: the outbox reaches the
 * broker's audit log exactly once across a broker outage (injected faults, then a reply lost
 * after the broker stored the batch) and a reload (a new syncer, a new database connection and a
 * new sign-in), backing off exponentially in between; signed out, nothing is sent.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { http, HttpResponse } from 'msw';
import { setupWorker } from 'msw/browser';
import { deleteDB } from 'idb';
import { BrokerClient } from '$lib/broker/client';
import { AuditSyncer, batchKey, toAuditEvent } from '$lib/history/audit-sync';
import { openHistoryDb, type HistoryDb } from '$lib/history/db';
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

/** Every audit request MSW sees: its Idempotency-Key and how many events it carried. */
function watchRequests() {
	const seen: { key: string | null; events: number }[] = [];
	const listener = async ({ request }: { request: Request }) => {
		if (!request.url.endsWith('/api/v1/audit')) return;
		const body = (await request.clone().json()) as { events: unknown[] };
		seen.push({ key: request.headers.get('Idempotency-Key'), events: body.events.length });
	};
	worker.events.on('request:start', listener);
	return { seen, stop: () => worker.events.removeListener('request:start', listener) };
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
		const mine = (await db.getAll('outbox')).filter((o) => o.technicianId === tech);
		expect(mine).toHaveLength(14 + 10);
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
		expect(log.map((l) => l.event.id).sort()).toEqual(mine.map((o) => o.id).sort());
		for (const row of mine) {
			const stored = log.find((l) => l.event.id === row.id)!;
			expect(stored.technicianId).toBe(tech);
			expect(stored.event).toEqual({
				id: row.id,
				sessionId: row.event.sessionId,
				type: row.event.type,
				at: new Date(row.event.at).toISOString(),
				data: row.event.data,
				prevHash: base64urlEncode(fromHex(row.event.prevHash)),
				hash: base64urlEncode(fromHex(row.event.hash))
			});
		}
		// Only the colleague's rows are left, untouched.
		const left = await db.getAll('outbox');
		expect(left.every((o) => o.technicianId === 'tech-0002' && o.attempts === 0)).toBe(true);
		expect(left.map((o) => o.event.sessionId)).toEqual(left.map(() => other.sessionId));
		expect(await after.flush()).toEqual({ ok: true, sent: 0 });
	});

	it('derives one idempotency key per batch, and maps events to the wire as Part 1 says', async () => {
		const ids = [crypto.randomUUID(), crypto.randomUUID()];
		const key = await batchKey(ids);
		expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
		expect(await batchKey([...ids].reverse())).toBe(key);
		expect(await batchKey([ids[0]!])).not.toBe(key);
		const row = {
			id: ids[0]!,
			technicianId: 't',
			attempts: 0,
			nextAttemptAt: 0,
			event: {
				sessionId: 'local-id',
				seq: 0,
				at: 0,
				type: 'chat',
				data: 'x',
				prevHash: '0'.repeat(64),
				hash: 'f'.repeat(64)
			}
		};
		// A local (non-broker) session id is left out; a non-object datum is wrapped.
		expect(toAuditEvent(row)).toEqual({
			id: ids[0],
			type: 'chat',
			at: '1970-01-01T00:00:00.000Z',
			data: { value: 'x' },
			prevHash: 'A'.repeat(43),
			hash: base64urlEncode(new Uint8Array(32).fill(255))
		});
		expect(toAuditEvent({ ...row, event: { ...row.event, type: 'Bad Type' } })).toBeNull();
		expect(
			toAuditEvent({ ...row, event: { ...row.event, data: { text: 'x'.repeat(17_000) } } })
		).toBeNull();
	});
});
