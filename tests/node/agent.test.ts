/**
 * The reference agent (mocks/agent) against the console's own connection code: what a
 * technician's console would see, message by message, including the hostile scenarios.
 */
import { describe, expect, it } from 'vitest';
import { toHex, utf8 } from '../../src/lib/protocol/bytes';
import { verifyConsent } from '../../src/lib/protocol/consent';
import { FrameDecoder } from '../../src/lib/protocol/framing';
import { sha256 } from '../../src/lib/protocol/kdf';
import { makeAgent, openSession } from '../shared/agent-harness';

async function connected(spec: Parameters<typeof makeAgent>[0] = {}) {
	const { agent, screen, device } = await makeAgent(spec);
	const s = await openSession(agent, device);
	await s.next('session-info');
	return { ...s, screen, device };
}

describe('the simulated agent', () => {
	it('opens with session-info once the one-time password is right', async () => {
		const s = await connected();
		expect(s.conn.state).toBe('open');
		expect(await s.next('session-info')).toMatchObject({
			instrumentId: 'HX-2041',
			phi: false,
			capabilities: ['view', 'control', 'file-transfer', 'clipboard'],
			codecs: ['vp8', 'vp09.00.10.08']
		});
		expect(s.agent.logEntries.map((e) => e.type)).toContain('connected');
	});

	it('takes clipboard text only with clipboard and control granted, never on PHI even forced', async () => {
		const s = await connected();
		await s.send({ type: 'clipboard', text: 'too early' });
		await s.consent('clipboard');
		await s.send({ type: 'clipboard', text: 'still no control' });
		await expect.poll(() => s.agent.logEntries.filter((e) => e.type === 'refused').length).toBe(2);
		expect(await s.agentSide()!.copy('not yet')).toBe(false);
		await s.consent('control');
		await s.send({ type: 'clipboard', text: 'LOT 24A117' });
		await expect.poll(() => s.agent.clipboardText).toBe('LOT 24A117');
		expect(await s.agentSide()!.copy('Calibrator 7781')).toBe(true);
		expect(await s.next('clipboard')).toMatchObject({ text: 'Calibrator 7781' });

		const phi = await connected({ phi: true });
		expect(await phi.consent('clipboard')).toMatchObject({ type: 'consent-deny', reason: 'phi' });
		await phi.consent('control');
		// A console that sends it anyway, at the protocol level: the agent drops it.
		await phi.send({ type: 'clipboard', text: 'patient 4711' });
		await expect.poll(() => phi.agent.logEntries.some((e) => e.type === 'refused')).toBe(true);
		expect(phi.agent.clipboardText).toBe('');
		expect(await phi.agentSide()!.copy('patient 4711')).toBe(false);
	});

	it('signs every consent answer with the key the broker publishes', async () => {
		const s = await connected();
		const grant = await s.consent('view');
		expect(grant).toMatchObject({ type: 'consent-grant', capability: 'view', scope: 'session' });
		if (grant.type !== 'consent-grant') throw new Error('not granted');
		expect(await verifyConsent(s.agent.identity.publicKey, s.sessionId, grant)).toBe(true);
		expect(
			await verifyConsent(s.agent.identity.publicKey, s.sessionId, {
				...grant,
				capability: 'control'
			})
		).toBe(false);
	});

	it('streams only after view is granted, and sends a key frame first', async () => {
		const s = await connected();
		await s.send({
			type: 'stream-start',
			screenId: 0,
			codecs: ['av01.0.04M.08', 'vp8'],
			maxWidth: 1920,
			maxHeight: 1080
		});
		await new Promise((r) => setTimeout(r, 30));
		expect(s.received.some((m) => m.type === 'video-config')).toBe(false);
		await s.consent('view');
		await s.send({
			type: 'stream-start',
			screenId: 0,
			codecs: ['av01.0.04M.08', 'vp8'],
			maxWidth: 1920,
			maxHeight: 1080
		});
		expect(await s.next('video-config')).toMatchObject({ codec: 'vp8', width: 1920, height: 1080 });
		s.screen.emit(0, 3);
		const chunk = await s.next('video-chunk');
		expect(chunk).toMatchObject({ screenId: 0, key: true, timestamp: 0 });
		await s.send({ type: 'keyframe-request', screenId: 0, reason: 'decoder-error' });
		await expect.poll(() => s.screen.keyRequests).toBe(1);
	});

	it('writes each record as one socket message: a whole frame, nothing more (spec: Transport)', async () => {
		const { agent, screen, device } = await makeAgent();
		const toConsole: Uint8Array[] = [];
		const s = await openSession(agent, device, {
			tap: (direction, bytes) => direction === 'a2c' && toConsole.push(bytes)
		});
		await s.next('session-info');
		await s.consent('view');
		await s.startStream();
		screen.emit(0, 5, 3000);
		await expect.poll(() => s.received.filter((m) => m.type === 'video-chunk').length).toBe(5);
		const records = toConsole.map((bytes) => new FrameDecoder().push(bytes));
		const afterHandshake = records.filter((frames) => frames[0]?.kind === 'record');
		// session-info, consent answer, video-config and five chunks at least.
		expect(afterHandshake.length).toBeGreaterThanOrEqual(8);
		for (const frames of afterHandshake) {
			expect(frames).toHaveLength(1);
			expect(frames[0]!.payload.length).toBeGreaterThan(16);
		}
		const chunkBytes = afterHandshake.filter((f) => f[0]!.payload.length > 3000);
		expect(chunkBytes).toHaveLength(5);
	});

	it('drops input without control consent, and passes it on once granted', async () => {
		const s = await connected();
		const click = {
			type: 'pointer',
			screenId: 0,
			x: 10,
			y: 20,
			buttons: 1,
			action: 'down'
		} as const;
		await s.send(click);
		await expect
			.poll(() => s.agent.logEntries.some((e) => e.detail === 'pointer without control consent'))
			.toBe(true);
		expect(s.screen.inputs).toEqual([]);
		await s.consent('control');
		await s.send(click);
		await s.send({ type: 'key', code: 'KeyA', down: true, modifiers: 0, text: 'a' });
		await expect.poll(() => s.screen.inputs.length).toBe(2);
		expect(s.screen.inputs[0]).toEqual(click);
	});

	it('revokes control at the customer’s word: the console is told, and input stops', async () => {
		const s = await connected();
		await s.consent('control');
		await s.agentSide()!.revoke('control');
		const revoke = await s.next('consent-revoke');
		expect(revoke.capability).toBe('control');
		expect(await verifyConsent(s.agent.identity.publicKey, s.sessionId, revoke)).toBe(true);
		await s.send({ type: 'pointer', screenId: 0, x: 1, y: 1, buttons: 0, action: 'move' });
		await expect.poll(() => s.agent.logEntries.filter((e) => e.type === 'refused').length).toBe(1);
		expect(s.screen.inputs).toEqual([]);
	});

	it('asks the customer when the policy says so, and answers when the customer does', async () => {
		const { agent, device } = await makeAgent();
		agent.customer.setPolicy('control', { kind: 'ask' });
		const s = await openSession(agent, device);
		await s.next('session-info');
		const answer = s.consent('control');
		await expect.poll(() => agent.customer.pending.length).toBe(1);
		expect(s.received.some((m) => m.type === 'consent-grant')).toBe(false);
		agent.customer.approve(agent.customer.pending[0]!.requestId);
		expect(await answer).toMatchObject({ type: 'consent-grant', capability: 'control' });
		const denied = s.consent('control');
		await expect.poll(() => agent.customer.pending.length).toBe(1);
		agent.customer.deny(agent.customer.pending[0]!.requestId);
		expect(await denied).toMatchObject({ type: 'consent-deny', reason: 'customer' });
	});
});

describe('files through the simulated agent', () => {
	it('receives an upload chunk by chunk and confirms its SHA-256', async () => {
		const s = await connected();
		await s.consent('file-transfer');
		const data = utf8.encode('probe offset 0.125\n'.repeat(9000));
		const hash = await sha256(data);
		await s.send({
			type: 'file-offer',
			transferId: 1,
			name: '../../etc/passwd\u202e.cfg',
			size: data.length,
			sha256: hash,
			mime: 'text/plain'
		});
		expect(await s.next('file-accept')).toEqual({ type: 'file-accept', transferId: 1, offset: 0 });
		for (let at = 0; at < data.length; at += 65536) {
			await s.send({
				type: 'file-chunk',
				transferId: 1,
				offset: at,
				data: data.subarray(at, at + 65536)
			});
		}
		const done = await s.next('file-complete');
		expect(toHex(done.sha256)).toBe(toHex(hash));
		// The hostile name was reduced to its last component, without the bidi override.
		expect([...s.agent.files.received.keys()]).toEqual(['passwd.cfg']);
		expect(s.agent.files.received.get('passwd.cfg')!.data).toEqual(data);
	});

	it('lists its exports once file transfer is granted and sends one on request', async () => {
		const s = await connected();
		await s.consent('file-transfer');
		const list = await s.next('file-list');
		expect(list.files.map((f) => f.name)).toEqual(['event-log-2026-11-28.txt', 'analyser.cfg']);
		await s.send({ type: 'file-request', transferId: 2, name: 'event-log-2026-11-28.txt' });
		const offer = await s.next('file-offer');
		await s.send({ type: 'file-accept', transferId: 2, offset: 0 });
		await expect
			.poll(() =>
				s.received
					.filter((m) => m.type === 'file-chunk')
					.reduce((n, m) => n + (m.type === 'file-chunk' ? m.data.length : 0), 0)
			)
			.toBe(offer.size);
		const parts = s.received.flatMap((m) => (m.type === 'file-chunk' ? [m.data] : []));
		const whole = new Uint8Array(offer.size);
		let at = 0;
		for (const p of parts) {
			whole.set(p, at);
			at += p.length;
		}
		expect(toHex(await sha256(whole))).toBe(toHex(offer.sha256));
	});

	it('sends a download from a resumed offset at one of its chunks, and refuses any other', async () => {
		const s = await connected();
		await s.consent('file-transfer');
		const name = 'event-log-2026-11-28.txt';
		const chunksOf = (id: number) =>
			s.received.flatMap((m) => (m.type === 'file-chunk' && m.transferId === id ? [m] : []));
		// Not at a chunk the agent sends (64 KiB steps), and beyond the end: refused, nothing sent.
		for (const [id, offset] of [
			[3, 1000],
			[4, 10 * 1024 ** 2]
		] as const) {
			await s.send({ type: 'file-request', transferId: id, name });
			await s.next('file-offer', s.received.length);
			const mark = s.received.length;
			await s.send({ type: 'file-accept', transferId: id, offset });
			expect(await s.next('file-abort', mark)).toMatchObject({
				transferId: id,
				reason: 'bad-offset'
			});
		}
		// At a chunk boundary: the chunks on the wire start there, and make up the rest of the file.
		await s.send({ type: 'file-request', transferId: 5, name });
		const offer = await s.next('file-offer', s.received.length);
		await s.send({ type: 'file-accept', transferId: 5, offset: 65_536 });
		const rest = offer.size - 65_536;
		await expect.poll(() => chunksOf(5).reduce((n, m) => n + m.data.length, 0)).toBe(rest);
		expect(chunksOf(5)[0]!.offset).toBe(65_536);
		const whole = new Uint8Array(offer.size);
		whole.set(s.agent.files.download(name)!.data.subarray(0, 65_536));
		for (const c of chunksOf(5)) whole.set(c.data, c.offset);
		expect(toHex(await sha256(whole))).toBe(toHex(offer.sha256));
		expect(chunksOf(3)).toEqual([]);
		expect(chunksOf(4)).toEqual([]);
	});

	it('at an offset equal to the size sends no chunk and takes the console’s file-complete', async () => {
		const s = await connected();
		await s.consent('file-transfer');
		const name = 'event-log-2026-11-28.txt';
		await s.send({ type: 'file-request', transferId: 6, name });
		const offer = await s.next('file-offer');
		await s.send({ type: 'file-accept', transferId: 6, offset: offer.size });
		await s.send({ type: 'file-complete', transferId: 6, sha256: offer.sha256 });
		await expect
			.poll(() => s.agent.logEntries.filter((e) => e.type === 'file-sent').map((e) => e.detail))
			.toEqual([name]);
		// A pong sent after the agent handled both: anything it sent for the file is here before it.
		await s.send({ type: 'ping', nonce: 6, sentAt: 6 });
		await s.next('pong');
		expect(s.received.filter((m) => 'transferId' in m && m.transferId === 6)).toEqual([offer]);
		expect(s.agent.logEntries.map((e) => e.detail)).toContain(`${name} from ${offer.size}`);
	});

	it('accepts an upload it already holds whole at its size, and completes it at once', async () => {
		const s = await connected();
		await s.consent('file-transfer');
		const data = utf8.encode('gain=1.12\n'.repeat(20_000));
		const hash = await sha256(data);
		// Every byte of an earlier attempt arrived before it was cut (docs/protocol.md, "Files").
		s.agent.files.partial.set('optics.cfg', {
			name: 'optics.cfg',
			size: data.length,
			sha256: hash,
			received: [data.subarray(0, 65_536), data.subarray(65_536)],
			receivedBytes: data.length
		});
		await s.send({
			type: 'file-offer',
			transferId: 7,
			name: 'optics.cfg',
			size: data.length,
			sha256: hash,
			mime: 'text/plain'
		});
		expect(await s.next('file-accept')).toEqual({
			type: 'file-accept',
			transferId: 7,
			offset: data.length
		});
		const done = await s.next('file-complete');
		expect(done).toMatchObject({ transferId: 7 });
		expect(toHex(done.sha256)).toBe(toHex(hash));
		expect(s.agent.files.received.get('optics.cfg')!.data).toEqual(data);
		expect(s.agent.files.partial.has('optics.cfg')).toBe(false);
	});

	it('refuses a corrupted upload at the end', async () => {
		const s = await connected();
		await s.consent('file-transfer');
		const data = new Uint8Array(1000).fill(1);
		await s.send({
			type: 'file-offer',
			transferId: 3,
			name: 'a.bin',
			size: 1000,
			sha256: await sha256(data),
			mime: ''
		});
		await s.next('file-accept');
		await s.send({
			type: 'file-chunk',
			transferId: 3,
			offset: 0,
			data: new Uint8Array(1000).fill(2)
		});
		expect(await s.next('file-abort')).toMatchObject({ transferId: 3, reason: 'integrity' });
		expect(s.agent.files.received.size).toBe(0);
	});

	it('never transfers files on a PHI instrument, even when the console forces it', async () => {
		const s = await connected({
			phi: true,
			capabilities: ['view', 'control', 'file-transfer', 'clipboard']
		});
		expect((await s.next('session-info')).capabilities).toEqual(['view', 'control']);
		expect(await s.consent('file-transfer')).toMatchObject({ type: 'consent-deny', reason: 'phi' });
		expect(await s.consent('clipboard')).toMatchObject({ type: 'consent-deny', reason: 'phi' });
		// Forced: an offer and a request without any grant.
		await s.send({
			type: 'file-offer',
			transferId: 4,
			name: 'x.txt',
			size: 1,
			sha256: new Uint8Array(32),
			mime: ''
		});
		expect(await s.next('file-abort')).toMatchObject({ transferId: 4, reason: 'phi' });
		await s.send({ type: 'file-request', transferId: 5, name: 'analyser.cfg' });
		await expect.poll(() => s.received.filter((m) => m.type === 'file-abort').length).toBe(2);
		expect(s.received.some((m) => m.type === 'file-offer' || m.type === 'file-list')).toBe(false);
	});

	it('spends a once grant on one file, which still finishes', async () => {
		const s = await connected();
		await s.consent('file-transfer', 'once');
		const data = new Uint8Array(150_000).fill(7);
		await s.send({
			type: 'file-offer',
			transferId: 6,
			name: 'a.bin',
			size: data.length,
			sha256: await sha256(data),
			mime: ''
		});
		await s.next('file-accept');
		for (let at = 0; at < data.length; at += 65536) {
			await s.send({
				type: 'file-chunk',
				transferId: 6,
				offset: at,
				data: data.subarray(at, at + 65536)
			});
		}
		expect(await s.next('file-complete')).toMatchObject({ transferId: 6 });
		await s.send({
			type: 'file-offer',
			transferId: 7,
			name: 'b.txt',
			size: 0,
			sha256: await sha256(new Uint8Array(0)),
			mime: ''
		});
		expect(await s.next('file-abort')).toMatchObject({ transferId: 7, reason: 'denied' });
	});
});

describe('the agent’s guard and hostile scenarios', () => {
	it('keeps the password the customer read out until a session has used it', async () => {
		const { agent, device } = await makeAgent();
		const shown = agent.password();
		const s = await openSession(agent, device, { password: shown });
		await s.next('session-info');
		expect(agent.password()).toBe(shown);
		await s.conn.end();
		await expect.poll(() => agent.password()).not.toBe(shown);
		// The used password opens nothing any more.
		const again = await openSession(agent, device, { password: shown });
		expect(await again.closed).toMatchObject({ code: 'key-confirmation' });
	});

	it('refuses a session the broker never announced', async () => {
		const { agent, device } = await makeAgent();
		const s = await openSession(agent, device, { announce: false });
		expect(await s.closed).toMatchObject({ code: 'socket-closed', detail: { socketCode: 4404 } });
	});

	it('replaces the password after three wrong ones, across connections', async () => {
		let now = 0;
		const { agent, device } = await makeAgent({ now: () => now });
		const first = agent.password();
		const codes = [];
		for (let i = 0; i < 3; i++) {
			const s = await openSession(agent, device, { password: 'ZZZZ-ZZZZ' });
			const info = await s.closed;
			codes.push(info.code);
			now += Number(info.detail?.retryAfterMs ?? 0);
		}
		expect(codes).toEqual(['key-confirmation', 'key-confirmation', 'password-replaced']);
		expect(agent.password()).not.toBe(first);
		const s = await openSession(agent, device, {
			password: first,
			sessionId: new Uint8Array(16).fill(9),
			announce: true
		});
		expect(await s.closed).toMatchObject({ code: 'key-confirmation' });
	});

	it.each([
		['corrupt-tag', 'auth-tag'],
		['replay-record', 'replay'],
		['reorder-records', 'gap']
	] as const)(
		'%s: the console rejects the record and ends the channel with %s',
		async (scenario, code) => {
			const s = await connected();
			s.agent.setScenario(scenario);
			for (let i = 0; i < 20; i++) await s.send({ type: 'ping', nonce: i, sentAt: i });
			expect(await s.closed).toMatchObject({ code });
		}
	);

	it('split-merge: frames cut into 1-7 byte messages across boundaries still arrive intact', async () => {
		const s = await connected();
		s.agent.setScenario('split-merge');
		for (let i = 0; i < 20; i++) await s.send({ type: 'ping', nonce: i, sentAt: i });
		await expect.poll(() => s.received.filter((m) => m.type === 'pong').length).toBe(20);
		expect(s.conn.state).toBe('open');
	});

	it('drop-socket: the console sees the socket close mid-stream', async () => {
		const s = await connected();
		s.agent.setScenario('drop-socket');
		for (let i = 0; i < 20; i++)
			await s.send({ type: 'ping', nonce: i, sentAt: i }).catch(() => {});
		expect(await s.closed).toMatchObject({ code: 'socket-closed' });
	});

	it('deny-all: every request is denied by the customer', async () => {
		const s = await connected();
		s.agent.setScenario('deny-all');
		expect(await s.consent('view')).toMatchObject({ type: 'consent-deny', reason: 'customer' });
	});

	it('lets go of what the console held down when control ends: revoked, given back, or link lost', async () => {
		const s = await connected();
		const released = () => s.agent.logEntries.filter((e) => e.type === 'input-released');
		await s.consent('control');
		await s.send({ type: 'pointer', screenId: 0, x: 30, y: 40, buttons: 1, action: 'down' });
		await s.send({ type: 'key', code: 'ShiftLeft', down: true, modifiers: 1, text: '' });
		await s.send({ type: 'key', code: 'KeyA', down: true, modifiers: 1, text: 'A' });
		await s.send({ type: 'key', code: 'KeyA', down: false, modifiers: 1, text: '' });
		await expect.poll(() => s.screen.inputs.length).toBe(4);
		await s.agentSide()!.revoke('control');
		// The customer took control mid-press: the button and Shift are let go on the instrument.
		expect(s.screen.inputs.slice(4)).toEqual([
			{ type: 'pointer', screenId: 0, x: 30, y: 40, buttons: 0, action: 'up' },
			{ type: 'key', code: 'ShiftLeft', down: false, modifiers: 0, text: '' }
		]);
		expect(released().map((e) => e.detail)).toEqual(['buttons 1, ShiftLeft']);

		// Granted again, pressed and let go by the console itself: nothing left to let go.
		await s.consent('control');
		await s.send({ type: 'pointer', screenId: 0, x: 5, y: 6, buttons: 2, action: 'down' });
		await s.send({ type: 'pointer', screenId: 0, x: 7, y: 8, buttons: 0, action: 'up' });
		await s.send({ type: 'key', code: 'ControlLeft', down: true, modifiers: 2, text: '' });
		await expect.poll(() => s.screen.inputs.length).toBe(9);
		// Given back by the console with Control still down: let go.
		await s.send({ type: 'consent-release', capability: 'control' });
		await expect.poll(() => s.screen.inputs.length).toBe(10);
		expect(s.screen.inputs[9]).toEqual({
			type: 'key',
			code: 'ControlLeft',
			down: false,
			modifiers: 0,
			text: ''
		});

		// Pressed when the link is lost: let go as the connection ends.
		await s.consent('control');
		await s.send({ type: 'pointer', screenId: 0, x: 100, y: 200, buttons: 1, action: 'down' });
		await expect.poll(() => s.screen.inputs.length).toBe(11);
		s.agentSide()!.drop();
		await expect.poll(() => s.screen.inputs.length).toBe(12);
		expect(s.screen.inputs[11]).toEqual({
			type: 'pointer',
			screenId: 0,
			x: 100,
			y: 200,
			buttons: 0,
			action: 'up'
		});
		expect(released()).toHaveLength(3);
	});

	it('revoke-control-mid-drag: the customer takes control back during a drag, input stops', async () => {
		const s = await connected();
		await s.consent('control');
		s.agent.setScenario('revoke-control-mid-drag');
		await s.send({ type: 'pointer', screenId: 0, x: 10, y: 10, buttons: 1, action: 'down' });
		for (let i = 1; i <= 6; i++) {
			await s.send({ type: 'pointer', screenId: 0, x: 10 + i, y: 10, buttons: 1, action: 'move' });
		}
		expect(await s.next('consent-revoke')).toMatchObject({ capability: 'control' });
		await expect.poll(() => s.agent.logEntries.some((e) => e.type === 'refused')).toBe(true);
		// The drag's first moves reached the screen; nothing after the revocation did.
		expect(s.screen.inputs.length).toBeLessThan(7);
		expect(s.screen.inputs.length).toBeGreaterThan(0);
	});

	it(
		'throttle: the agent’s bytes arrive no faster than the throttled bandwidth',
		{ timeout: 30_000 },
		async () => {
			const s = await connected();
			await s.consent('file-transfer');
			await s.next('file-list');
			s.agent.setScenario('throttle');
			const started = Date.now();
			await s.send({ type: 'file-request', transferId: 1, name: 'event-log-2026-11-28.txt' });
			const offer = await s.next('file-offer');
			await s.send({ type: 'file-accept', transferId: 1, offset: 0 });
			const bytes = () =>
				s.received.reduce((n, m) => n + (m.type === 'file-chunk' ? m.data.length : 0), 0);
			await expect.poll(bytes, { timeout: 15_000 }).toBe(offer.size);
			const seconds = (Date.now() - started) / 1000;
			// 64 KiB/s: the ~300 kB log takes several seconds instead of milliseconds.
			expect(offer.size / seconds).toBeLessThan(80 * 1024);
		}
	);
});
