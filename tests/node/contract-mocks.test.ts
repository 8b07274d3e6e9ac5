/**
 * The mocks are the reference implementation of docs/protocol.md: every documented endpoint and
 * every documented message is exercised against them here, and what crosses the wire is
 * recorded from the bytes themselves, not from what the code meant to send.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	BROKER_API_METHODS,
	BROKER_API_PATHS,
	type BrokerEndpoint
} from '../../src/lib/protocol/broker-api';
import { utf8 } from '../../src/lib/protocol/bytes';
import { FrameDecoder } from '../../src/lib/protocol/framing';
import { sha256 } from '../../src/lib/protocol/kdf';
import { CATALOGUE, typeOfId, type MessageType } from '../../src/lib/protocol/messages';
import { makeAgent, openSession } from '../shared/agent-harness';
import { BrokerHarness } from './broker-harness';
import { DEMO_CREDENTIALS } from '../../mocks/broker/model';

describe('the mock broker implements every endpoint of Part 1', () => {
	const h = new BrokerHarness();
	const hit = new Set<string>();
	beforeAll(() => {
		h.server.listen({ onUnhandledRequest: 'error' });
		h.server.events.on('request:match', ({ request }) => {
			const path = new URL(request.url).pathname;
			for (const [name, pattern] of Object.entries(BROKER_API_PATHS)) {
				const re = new RegExp(`^${pattern.replace(/\{\w+\}/g, '[^/]+')}$`);
				if (re.test(path) && request.method === BROKER_API_METHODS[name as BrokerEndpoint])
					hit.add(name);
			}
		});
	});
	afterAll(() => h.server.close());

	it('answers each endpoint with a reply its validator accepts', async () => {
		h.reset();
		await h.enrolAgents();
		const camille = DEMO_CREDENTIALS.camille;
		await h.succeed('health');
		expect(await h.refuse('authWebAuthnOptions', { body: {} })).toBe('bad-request');
		expect(await h.refuse('authWebAuthnVerify', { body: {} })).toBe('bad-request');
		const { token, device } = await h.technician(camille); // password, totp, devices, device, approve
		// Passkeys: registration and sign-in run whole in tests/node/broker-passkeys.test.ts.
		const { publicKey } = await h.succeed('passkeyOptions', { token });
		expect(publicKey.attestation).toBe('none');
		expect(await h.refuse('passkeys', { token, body: { credential: {}, label: 'x' } })).toBe(
			'bad-request'
		);
		await h.succeed('device', { params: { deviceId: device.deviceId } });
		const page = await h.succeed('instruments', { token });
		const online = page.instruments.find((i) => i.online)!;
		const session = await h.succeed('sessions', { token, body: { instrumentId: online.id } });
		expect(session.relayUrl).toMatch(/\/relay\/v1\//);
		const event = {
			id: crypto.randomUUID(),
			type: 'connect-requested',
			at: new Date(h.now()).toISOString(),
			data: {}
		};
		await h.succeed('audit', {
			token,
			body: { events: [event] },
			headers: { 'Idempotency-Key': crypto.randomUUID() }
		});
		await h.succeed('authSignOut', { token });
		expect([...hit].sort()).toEqual(Object.keys(BROKER_API_PATHS).sort());
	});
});

describe('the mock agent speaks every message of Part 2', () => {
	it('sends and receives each catalogue type on the wire', { timeout: 15_000 }, async () => {
		const seen = new Set<MessageType>();
		const decoders = { c2a: new FrameDecoder(), a2c: new FrameDecoder() };
		const tap = (dir: 'c2a' | 'a2c', bytes: Uint8Array) => {
			for (const f of decoders[dir].push(bytes)) {
				const type = f.kind === 'alert' ? undefined : typeOfId(f.type);
				if (type) seen.add(type);
			}
		};
		const { agent, screen, device } = await makeAgent();
		agent.customer.setPolicy('file-transfer', { kind: 'ask' });
		const s = await openSession(agent, device, { tap, channel: { rekeyAfterRecords: 8 } });
		await s.next('session-info');
		const ticket = await s.ticket();
		await s.consent('view');
		await s.startStream();
		screen.emit(0, 2);
		await s.next('video-chunk');
		await s.send({ type: 'keyframe-request', screenId: 0, reason: 'start' });
		await s.next('stats'); // every 2 s while streaming
		await s.send({ type: 'stream-stop', screenId: 0 });
		await s.consent('control');
		await s.send({ type: 'pointer', screenId: 0, x: 5, y: 5, buttons: 0, action: 'move' });
		await s.send({ type: 'wheel', screenId: 0, x: 5, y: 5, dx: 0, dy: 120 });
		await s.send({ type: 'key', code: 'Enter', down: true, modifiers: 0, text: '' });
		await s.send({ type: 'secure-attention' });
		await s.consent('clipboard');
		await s.send({ type: 'clipboard', text: 'LOT 24A117' });
		await expect.poll(() => agent.clipboardText).toBe('LOT 24A117');
		await s.send({ type: 'consent-release', capability: 'control' });
		// File transfer: asked, denied, asked again, granted.
		const denied = s.consent('file-transfer');
		await expect.poll(() => agent.customer.pending.length).toBe(1);
		agent.customer.deny(agent.customer.pending[0]!.requestId);
		expect(await denied).toMatchObject({ type: 'consent-deny' });
		const granted = s.consent('file-transfer');
		await expect.poll(() => agent.customer.pending.length).toBe(1);
		agent.customer.approve(agent.customer.pending[0]!.requestId);
		await granted;
		await s.next('file-list');
		const data = utf8.encode('x'.repeat(1000));
		await s.send({
			type: 'file-offer',
			transferId: 1,
			name: 'a.txt',
			size: 1000,
			sha256: await sha256(data),
			mime: 'text/plain'
		});
		await s.next('file-accept');
		await s.send({ type: 'file-chunk', transferId: 1, offset: 0, data });
		await s.next('file-complete');
		await s.send({ type: 'file-request', transferId: 2, name: 'analyser.cfg' });
		const offer = await s.next('file-offer');
		await s.send({ type: 'file-accept', transferId: 2, offset: 0 });
		const chunk = await s.next('file-chunk');
		await s.send({ type: 'file-ack', transferId: 2, received: chunk.data.length });
		await s.send({ type: 'file-complete', transferId: 2, sha256: offer.sha256 });
		await s.send({
			type: 'file-offer',
			transferId: 3,
			name: 'b.txt',
			size: 10,
			sha256: new Uint8Array(32),
			mime: ''
		});
		await s.next('file-accept', s.received.length);
		await s.send({ type: 'file-abort', transferId: 3, reason: 'cancelled', message: '' });
		await s.send({ type: 'file-request', transferId: 4, name: 'missing.txt' });
		await s.next('file-abort');
		await agent.say('Bonjour');
		await s.next('chat');
		await s.send({ type: 'chat', messageId: 1, at: 1, text: 'Hello' });
		await s.next('chat-ack');
		await s.send({ type: 'ping', nonce: 1, sentAt: 1 });
		await s.next('pong');
		await s.agentSide()!.revoke('file-transfer');
		await s.next('consent-revoke');
		// A dropped socket, then the resumption (resume-hello, resume-accept, resume-finished).
		s.agentSide()!.drop();
		await s.closed;
		const r = await openSession(agent, device, {
			sessionId: s.sessionId,
			announce: false,
			resume: ticket,
			tap
		});
		await r.next('session-info');
		await r.conn.end('ended-by-technician');
		await expect.poll(() => s.agent.logEntries.some((e) => e.type === 'goodbye')).toBe(true);
		expect([...seen].sort()).toEqual(Object.keys(CATALOGUE).sort());
	});
});
