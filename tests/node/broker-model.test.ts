/**
 * The reference broker as the console meets it: real fetch through msw/node to BrokerModel.
 * The harness checks every reply against docs/protocol.md Part 1 (validator, status, envelope).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { base64urlDecode, base64urlEncode } from '$lib/protocol/base64url';
import { brokerPath, parseBrokerError } from '$lib/protocol/broker-api';
import { randomBytes } from '$lib/protocol/bytes';
import { generateIdentity } from '$lib/protocol/identity';
import { DEMO_CREDENTIALS, type SessionCreatedEvent } from '$mocks/broker/model';
import { BrokerHarness } from './broker-harness';

const BASE = 'http://broker.test';
const h = new BrokerHarness(BASE);
const { call, succeed, refuse, login, nextCode, register, signIn, technician } = h;
const { enrolAgents } = h;
const { camille, jonas } = DEMO_CREDENTIALS;

beforeAll(() => h.server.listen({ onUnhandledRequest: 'error' }));
beforeEach(() => h.reset());
afterAll(() => h.server.close());

describe('the reference broker, over HTTP as the console calls it', () => {
	it('signs a technician in: password, TOTP, device registration, approval, device proof', async () => {
		expect(await succeed('health')).toEqual({
			status: 'ok',
			protocol: 1,
			broker: 'benchside-mock-broker'
		});
		const pw = await succeed('authPassword', login(camille));
		expect(pw.methods).toEqual(['totp']);
		expect(pw.deviceChallenge).toBeUndefined();
		const early = {
			challengeId: pw.challengeId,
			deviceId: base64urlEncode(randomBytes(16)),
			publicKey: base64urlEncode((await generateIdentity()).publicKey),
			label: 'Too early',
			userAgent: 'Chrome'
		};
		expect(await refuse('devices', { body: early })).toBe('second-factor-required');

		const device = await register(camille);
		expect(await succeed('device', { params: { deviceId: device.deviceId } })).toMatchObject({
			status: 'pending'
		});
		expect(await refuse('authPassword', login(camille, device.deviceId))).toBe('device-pending');
		const [mail, ...others] = h.broker.pendingApprovals();
		expect(others).toEqual([]);
		expect(mail).toMatchObject({
			deviceId: device.deviceId,
			label: 'Service laptop',
			technician: { name: 'Camille Martin' }
		});
		const params = { deviceId: device.deviceId };
		expect(await refuse('deviceApprove', { params, body: { approvalToken: 'apv_guessed' } })).toBe(
			'forbidden'
		);
		const approval = { params, body: { approvalToken: mail!.approvalToken } };
		const approved = { deviceId: device.deviceId, status: 'approved' };
		expect(await succeed('deviceApprove', approval)).toEqual(approved);
		// Repeating an approval that succeeded gets the same reply.
		expect(await succeed('deviceApprove', approval)).toEqual(approved);
		expect(h.broker.pendingApprovals()).toEqual([]);
		expect(await succeed('device', { params })).toEqual({
			deviceId: device.deviceId,
			status: 'approved'
		});

		const token = await signIn(camille, device);
		expect(h.broker.technicianForToken(token)).toMatchObject({
			id: camille.id,
			name: 'Camille Martin'
		});
		expect(await succeed('instruments', { token })).toEqual({ instruments: [] }); // no agent enrolled yet
		expect(await call('authSignOut', { token })).toEqual({ ok: true, body: null });
		expect(await refuse('instruments', { token })).toBe('unauthorized');
		expect(await call('authSignOut', { token })).toEqual({ ok: true, body: null });
		expect(await refuse('authSignOut')).toBe('unauthorized');
	});

	it('refuses a TOTP code already accepted, wrong codes, and a challenge after five of them', async () => {
		await register(camille); // accepts the code of the current step
		const { challengeId } = await succeed('authPassword', login(camille));
		const used = h.broker.currentTotp(camille.email)!;
		expect(await refuse('authTotp', { body: { challengeId, code: used } })).toBe('totp-reused');
		const wrong = used === '000000' ? '111111' : '000000';
		for (let i = 0; i < 4; i++) {
			expect(await refuse('authTotp', { body: { challengeId, code: wrong } })).toBe('totp-invalid');
		}
		expect(await refuse('authTotp', { body: { challengeId, code: nextCode(camille) } })).toBe(
			'challenge-expired'
		);
	});

	it('answers wrong passwords with invalid-credentials, then rate-limited even for the right one', async () => {
		const wrong = { body: { email: jonas.email, password: 'not-it' } };
		for (let i = 0; i < 5; i++)
			expect(await refuse('authPassword', wrong)).toBe('invalid-credentials');
		const locked = await call('authPassword', login(jonas));
		expect(locked).toMatchObject({ ok: false, error: { code: 'rate-limited', retryAfter: 900 } });
		expect(!locked.ok && locked.headers.get('Retry-After')).toBe('900');
		const stranger = { body: { email: 'nobody@benchside.test', password: 'x' } };
		expect(await refuse('authPassword', stranger)).toBe('invalid-credentials');
		const huge = { body: { email: jonas.email, password: 'x'.repeat(70_000) } };
		expect(await refuse('authPassword', huge)).toBe('payload-too-large');
		h.advance(15 * 60_000 + 1);
		expect(await succeed('authPassword', login(jonas))).toMatchObject({ step: 'second-factor' });
	});

	it('checks the device proof, and refuses unknown, revoked and foreign devices', async () => {
		const { device } = await technician(camille);
		const impostor = await generateIdentity();
		await expect(signIn(camille, device, impostor)).rejects.toThrow('device-signature-invalid');
		const pw = await succeed('authPassword', login(camille, device.deviceId));
		const bare = { challengeId: pw.challengeId, code: nextCode(camille) };
		expect(await refuse('authTotp', { body: bare })).toBe('device-signature-invalid');
		expect(await refuse('authTotp', { body: bare })).toBe('challenge-expired');
		const plain = await succeed('authPassword', login(camille));
		const signature = base64urlEncode(randomBytes(64));
		const body = {
			challengeId: plain.challengeId,
			code: nextCode(camille),
			deviceSignature: signature
		};
		expect(await refuse('authTotp', { body })).toBe('bad-request');
		expect(await refuse('authPassword', login(jonas, device.deviceId))).toBe('device-unknown');
		const unknown = base64urlEncode(randomBytes(16));
		expect(await refuse('device', { params: { deviceId: unknown } })).toBe('device-unknown');
		expect(h.broker.revokeDevice(device.deviceId)).toBe(true);
		expect(await succeed('device', { params: { deviceId: device.deviceId } })).toMatchObject({
			status: 'revoked'
		});
		expect(await refuse('authPassword', login(camille, device.deviceId))).toBe('device-revoked');
	});

	it('lists whitelisted instruments with enrolled agents, page by page, as valid records', async () => {
		await enrolAgents();
		const { token } = await technician(camille);
		const seen: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await succeed('instruments', {
				token,
				query: { limit: '3', ...(cursor ? { cursor } : {}) }
			});
			expect(page.instruments.length).toBeLessThanOrEqual(3);
			seen.push(...page.instruments.map((i) => i.id));
			cursor = page.nextCursor;
		} while (cursor);
		const all = (await succeed('instruments', { token })).instruments;
		expect(seen).toEqual(all.map((i) => i.id));
		expect(all.map((i) => i.id)).toEqual(
			h.broker
				.instruments()
				.map((i) => i.id)
				.filter((id) => id !== 'ins-6120')
		);
		expect(new Set(all.map((i) => i.kind)).size).toBeGreaterThanOrEqual(5);
		expect(new Set(all.map((i) => i.site.country))).toEqual(
			new Set(['FR', 'DE', 'GB', 'US', 'AT', 'CH'])
		);
		expect(all.some((i) => !i.online) && all.some((i) => i.screens === 2)).toBe(true);
		const phi = all.filter((i) => i.phi);
		expect(phi.map((i) => i.kind)).toEqual(expect.arrayContaining(['flow-cytometry', 'other']));
		for (const i of phi) expect(i.capabilities).not.toContain('file-transfer');
		for (const i of phi) expect(i.capabilities).not.toContain('clipboard');

		const second = await technician(jonas);
		const theirs = await succeed('instruments', { token: second.token, query: { limit: '2' } });
		expect(theirs.instruments.every((i) => ['DE', 'AT', 'CH'].includes(i.site.country))).toBe(true);
		const foreignCursor = { token, query: { cursor: theirs.nextCursor! } };
		expect(await refuse('instruments', foreignCursor)).toBe('bad-request');
		for (const limit of ['0', '501', 'ten']) {
			expect(await refuse('instruments', { token, query: { limit } })).toBe('bad-request');
		}
		expect(await refuse('instruments', { token, query: { cursor: 'forged' } })).toBe('bad-request');
		expect(await refuse('instruments')).toBe('unauthorized');
	});

	it('opens sessions on whitelisted online instruments and refuses the rest as documented', async () => {
		await enrolAgents();
		const { token, device } = await technician(camille);
		const events: SessionCreatedEvent[] = [];
		h.broker.onSessionCreated((e) => events.push(e));
		const open = (instrumentId: string, t = token) =>
			call('sessions', { token: t, body: { instrumentId } });

		const session = await succeed('sessions', { token, body: { instrumentId: 'ins-0815' } });
		expect(session.relayUrl).toBe(`wss://relay.benchside.test/relay/v1/${session.sessionId}`);
		expect(session.instrument).toMatchObject({
			id: 'ins-0815',
			phi: true,
			capabilities: ['view', 'control']
		});
		expect(events).toEqual([
			{
				sessionId: base64urlDecode(session.sessionId),
				sessionIdText: session.sessionId,
				instrumentId: 'ins-0815',
				technicianId: camille.id
			}
		]);
		expect(await open('ins-0815')).toMatchObject({ error: { code: 'agent-busy' } });
		expect(h.broker.endSession(session.sessionId)).toBe(true);
		expect(await open('ins-0815')).toMatchObject({ ok: true });
		h.advance(61_000); // nobody connected within the window: the agent is free again
		expect(await open('ins-0815')).toMatchObject({ ok: true });

		expect(await open('ins-7702')).toMatchObject({ error: { code: 'instrument-offline' } });
		expect(await open('ins-6120')).toMatchObject({ error: { code: 'instrument-offline' } });
		h.broker.setOnline('ins-2041', false);
		expect(await open('ins-2041')).toMatchObject({ error: { code: 'instrument-offline' } });
		expect(await open('ins-does-not-exist')).toMatchObject({ error: { code: 'not-whitelisted' } });
		expect(await refuse('sessions', { token, body: {} })).toBe('bad-request');
		const other = await technician(jonas);
		expect(await open('ins-2288', other.token)).toMatchObject({
			error: { code: 'not-whitelisted' }
		});
		// The broker's own record of every request, created or refused, in order.
		expect(
			h.broker
				.sessionRequests()
				.map((r) => [r.technicianId, r.instrumentId, 'sessionId' in r ? 'created' : r.refused])
		).toEqual([
			[camille.id, 'ins-0815', 'created'],
			[camille.id, 'ins-0815', 'agent-busy'],
			[camille.id, 'ins-0815', 'created'],
			[camille.id, 'ins-0815', 'created'],
			[camille.id, 'ins-7702', 'instrument-offline'],
			[camille.id, 'ins-6120', 'instrument-offline'],
			[camille.id, 'ins-2041', 'instrument-offline'],
			[camille.id, 'ins-does-not-exist', 'not-whitelisted'],
			[camille.id, null, 'bad-request'],
			[jonas.id, 'ins-2288', 'not-whitelisted']
		]);
		expect(h.broker.sessionRequests()[0]).toMatchObject({ sessionId: session.sessionId });

		expect(h.broker.isDeviceAllowed('ins-0815', camille.id, device.identity.publicKey)).toBe(true);
		expect(h.broker.isDeviceAllowed('ins-2288', jonas.id, other.device.identity.publicKey)).toBe(
			false
		);
		expect(h.broker.isDeviceAllowed('ins-0815', camille.id, other.device.identity.publicKey)).toBe(
			false
		);
	});

	it('stores audit batches in order, idempotent by event id and by Idempotency-Key', async () => {
		await enrolAgents();
		const { token } = await technician(camille);
		const { sessionId } = await succeed('sessions', { token, body: { instrumentId: 'ins-3317' } });
		const event = (type: string, extra: object = {}) => ({
			id: crypto.randomUUID(),
			type,
			at: new Date(h.now()).toISOString(),
			data: { by: 'test' },
			...extra
		});
		const batch = [event('session-start', { sessionId }), event('consent-grant', { sessionId })];
		const send = (events: unknown[], key = crypto.randomUUID(), t = token) =>
			call('audit', { token: t, body: { events }, headers: { 'Idempotency-Key': key } });
		const ids = batch.map((e) => e.id);

		const key = crypto.randomUUID();
		expect(await send(batch, key)).toEqual({ ok: true, body: { accepted: ids, duplicates: [] } });
		expect(await send(batch)).toEqual({ ok: true, body: { accepted: [], duplicates: ids } });
		expect(await send([event('other')], key)).toEqual({
			ok: true,
			body: { accepted: ids, duplicates: [] }
		});
		const changed = { ...batch[0]!, data: { by: 'someone else' } };
		const third = event('session-end');
		expect(await send([changed, third])).toEqual({
			ok: true,
			body: { accepted: [third.id], duplicates: [ids[0]] }
		});

		expect(await send([event('fine'), event('Not A Type')])).toMatchObject({
			error: { code: 'bad-request' }
		});
		expect(await send(Array.from({ length: 501 }, () => event('x')))).toMatchObject({
			error: { code: 'payload-too-large' }
		});
		expect(await refuse('audit', { token, body: { events: [event('x')] } })).toBe('bad-request');
		const jonasToken = (await technician(jonas)).token;
		expect(await send([event('peek', { sessionId })], undefined, jonasToken)).toMatchObject({
			error: { code: 'forbidden' }
		});

		const log = h.broker.auditLog();
		expect(log.map((s) => s.event.id)).toEqual([...ids, third.id]);
		expect(log[0]).toMatchObject({ technicianId: camille.id, event: { data: { by: 'test' } } });
	});

	it('offers WebAuthn only to accounts with a passkey, and answers unknown paths with not-found', async () => {
		const { challengeId, methods } = await succeed('authPassword', login(camille));
		expect(methods).toEqual(['totp']);
		expect(await refuse('authWebAuthnOptions', { body: { challengeId } })).toBe('not-found');
		expect(await refuse('authWebAuthnOptions', { body: { challengeId: 'ch_x' } })).toBe(
			'challenge-expired'
		);
		expect(await refuse('authWebAuthnVerify', { body: { challengeId } })).toBe('bad-request');
		const res = await fetch(`${BASE}/api/v1/nothing-here`);
		expect(parseBrokerError(await res.json())).toMatchObject({
			ok: true,
			value: { error: { code: 'not-found' } }
		});
	});

	it('gives the documented failure for each injected fault', async () => {
		h.broker.faults.set('http-500');
		expect(await call('health')).toMatchObject({ error: { code: 'internal' } });
		expect(await refuse('authPassword', login(camille))).toBe('internal');
		h.broker.faults.clear();
		h.broker.faults.set('http-401', 'instruments');
		expect(await refuse('instruments', { token: 'a'.repeat(43) })).toBe('unauthorized');
		expect(await succeed('health')).toMatchObject({ status: 'ok' });
		h.broker.faults.set('malformed-json', 'authPassword');
		const res = await fetch(BASE + brokerPath('authPassword'), { method: 'POST', body: '{}' });
		expect(res.status).toBe(200);
		await expect(res.json()).rejects.toThrow(SyntaxError);
		h.broker.faults.set('slow', 'health');
		const late = fetch(BASE + brokerPath('health'), { signal: AbortSignal.timeout(300) });
		await expect(late).rejects.toThrow(/abort|timeout/i);
		h.broker.faults.slowMs = 10;
		expect(await succeed('health')).toMatchObject({ status: 'ok' });
	});

	it('serves a generated fleet of 5000 in valid pages of 500', async () => {
		h.reset({ fleetSize: 5000 });
		const { publicKey } = await generateIdentity();
		for (const { id } of h.broker.instruments())
			h.broker.registerAgent(id, { publicKey, keyId: 'agk-1' });
		const { token } = await technician(camille);
		const ids = new Set<string>();
		let cursor: string | undefined;
		let pages = 0;
		do {
			const page = await succeed('instruments', {
				token,
				query: { limit: '500', ...(cursor ? { cursor } : {}) }
			});
			for (const i of page.instruments) ids.add(i.id);
			cursor = page.nextCursor;
			pages++;
		} while (cursor);
		expect([ids.size, pages]).toEqual([5000, 10]);
	});
});
