import { describe, expect, it, vi } from 'vitest';
import { concat } from '../../src/lib/protocol/bytes';
import { SecureChannel } from '../../src/lib/protocol/channel';
import { encodeFrame, type Frame } from '../../src/lib/protocol/framing';
import { APPLICATION, type AppMessage } from '../../src/lib/protocol/messages';
import { APP_SAMPLES } from './samples';
import { connect, frames, world } from './harness';

const chat = (n: number): AppMessage => ({
	type: 'chat',
	messageId: n,
	at: n,
	text: `message ${n}`
});

async function sealed(from: SecureChannel, ...messages: AppMessage[]): Promise<Frame[]> {
	const out: Frame[] = [];
	for (const m of messages) out.push(...frames(...(await from.seal(m))));
	return out;
}

/**
 * Makes the first `encrypt` or `decrypt` call finish 30 ms after the others. The inputs are copied
 * at the call, as WebCrypto does (the channel reuses its nonce and AAD buffers).
 */
function firstFinishesLast(name: 'encrypt' | 'decrypt') {
	const real = crypto.subtle[name].bind(crypto.subtle);
	let calls = 0;
	return vi.spyOn(crypto.subtle, name).mockImplementation((algorithm, key, data) => {
		const p = algorithm as AesGcmParams;
		const copied = {
			...p,
			iv: new Uint8Array(p.iv as Uint8Array),
			additionalData: new Uint8Array(p.additionalData as Uint8Array)
		};
		const bytes = new Uint8Array(data as Uint8Array);
		const delay = calls++ === 0 ? 30 : 0;
		return new Promise((resolve) => setTimeout(resolve, delay)).then(() =>
			real(copied, key, bytes)
		);
	});
}

/**
 * `decrypt` answers only when the test releases each call (in any order), with the real result.
 * Inputs are copied at the call, as WebCrypto does.
 */
function decryptOnRelease() {
	const real = crypto.subtle.decrypt.bind(crypto.subtle);
	const gates: { release: () => void; answered: Promise<void> }[] = [];
	const spy = vi.spyOn(crypto.subtle, 'decrypt').mockImplementation((algorithm, key, data) => {
		const p = algorithm as AesGcmParams;
		const result = real(
			{
				...p,
				iv: new Uint8Array(p.iv as Uint8Array),
				additionalData: new Uint8Array(p.additionalData as Uint8Array)
			},
			key,
			new Uint8Array(data as Uint8Array)
		);
		let release!: () => void;
		const gate = new Promise<void>((r) => (release = r));
		return new Promise<ArrayBuffer>((resolve, reject) => {
			// Computed at once; handed over (a plain resolve) only when released.
			const answered = result.then((plain) => gate.then(() => resolve(plain)), reject);
			gates.push({ release, answered });
		});
	});
	return { gates, spy };
}

async function pair() {
	return connect(await world());
}

describe('sealed records', () => {
	it('carry every application message its sender may send, unchanged', async () => {
		const { console: c, agent: a } = await pair();
		for (const m of Object.values(APP_SAMPLES)) {
			if (m.type === 'rekey') continue; // only the channel itself sends these
			const from = APPLICATION[m.type].from === 'agent' ? [a, c] : [c, a];
			const [f] = await sealed(from[0]!, m);
			expect(await from[1]!.open(f!)).toEqual(m);
		}
	});

	it('are unreadable on the wire: no plaintext byte run survives encryption', async () => {
		const { console: c } = await pair();
		const text = 'SERIAL 8841-ZX calibration lot LOT-24A117';
		const [f] = await sealed(c, { type: 'chat', messageId: 1, at: 1, text });
		expect(new TextDecoder().decode(f!.payload)).not.toContain('SERIAL');
		expect(f!.payload.length).toBe(4 + 8 + 2 + text.length + 16);
	});

	it('reject a replayed record and close the channel', async () => {
		const { console: c, agent: a } = await pair();
		const [r0, r1] = await sealed(c, chat(0), chat(1));
		await a.open(r0!);
		await expect(a.open(r0!)).rejects.toMatchObject({ code: 'replay' });
		await expect(a.open(r1!)).rejects.toMatchObject({ code: 'channel-closed' });
		expect(a.closedReason).toBe('replay');
	});

	it('reject reordered and dropped records', async () => {
		const { console: c, agent: a } = await pair();
		const [r0, r1] = await sealed(c, chat(0), chat(1));
		await expect(a.open(r1!)).rejects.toMatchObject({
			code: 'gap',
			detail: { expected: 0, seq: 1 }
		});
		const p = await pair();
		const [, s1] = await sealed(p.console, chat(0), chat(1));
		await expect(p.agent.open(s1!)).rejects.toMatchObject({ code: 'gap' });
		expect(r0).toBeDefined();
	});

	it('hand out records sealed all at once in call order, whatever each takes to encrypt', async () => {
		const { console: c, agent: a } = await pair();
		const spy = firstFinishesLast('encrypt');
		const order: number[] = [];
		let written: Uint8Array[][];
		try {
			const sealing = [chat(0), chat(1), chat(2), chat(3)].map((m, i) =>
				c.seal(m).then((buffers) => {
					order.push(i);
					return buffers;
				})
			);
			written = await Promise.all(sealing);
		} finally {
			spy.mockRestore();
		}
		expect(order).toEqual([0, 1, 2, 3]);
		// Written to the wire in that order, the peer opens all four.
		const opened = [];
		for (const f of frames(...written.flat()))
			opened.push((await a.open(f)) as { messageId: number });
		expect(opened.map((m) => m.messageId)).toEqual([0, 1, 2, 3]);
	});

	it('deliver records opened all at once in arrival order, and nothing after a forged one', async () => {
		const { console: c, agent: a } = await pair();
		const big: AppMessage = {
			type: 'file-chunk',
			transferId: 3,
			offset: 0,
			data: new Uint8Array(1 << 20).fill(7)
		};
		const records = await sealed(c, big, chat(1), chat(2), chat(3), chat(4), chat(5));
		records[3] = { ...records[3]!, payload: records[3]!.payload.map((b, i) => (i ? b : b ^ 1)) };
		const settled: string[] = [];
		// The first record (the large one) is made to finish decrypting last.
		const spy = firstFinishesLast('decrypt');
		try {
			const opening = records.map((r, i) =>
				a.open(r).then(
					(m) => settled.push(`${i}:${m.type}`),
					(e: { code: string }) => settled.push(`${i}:${e.code}`)
				)
			);
			await Promise.all(opening);
		} finally {
			spy.mockRestore();
		}
		expect(settled).toEqual([
			'0:file-chunk',
			'1:chat',
			'2:chat',
			'3:auth-tag',
			'4:channel-closed',
			'5:channel-closed'
		]);
		expect(a.closedReason).toBe('auth-tag');
	});

	it('deliver in arrival order when later records decrypt first, one just as the first goes out', async () => {
		const { console: c, agent: a } = await pair();
		const records = await sealed(c, chat(0), chat(1), chat(2));
		const { gates, spy } = decryptOnRelease();
		const order: number[] = [];
		try {
			const opening = records.map((r) => a.open(r));
			opening.forEach((p, i) => p.then(() => order.push(i)));
			expect(gates).toHaveLength(3);
			// Record 1 decrypts first: it must wait for record 0.
			gates[1]!.release();
			await gates[1]!.answered;
			await new Promise((r) => setTimeout(r, 0));
			// Record 2 decrypts in the very moment record 0 is handed out, while record 1 follows it.
			void opening[0]!.then(() => gates[2]!.release());
			gates[0]!.release();
			await Promise.all(opening);
			await new Promise((r) => setTimeout(r, 0));
		} finally {
			spy.mockRestore();
		}
		expect(order).toEqual([0, 1, 2]);
	});

	it('reject a forged tag, a flipped ciphertext bit and a truncated record', async () => {
		for (const forge of [
			(f: Frame) => ({
				...f,
				payload: concat(f.payload.subarray(0, -1), Uint8Array.of(f.payload.at(-1)! ^ 1))
			}),
			(f: Frame) => ({
				...f,
				payload: concat(Uint8Array.of(f.payload[0]! ^ 0x80), f.payload.subarray(1))
			}),
			(f: Frame) => ({ ...f, payload: f.payload.subarray(0, 10) })
		]) {
			const { console: c, agent: a } = await pair();
			const [f] = await sealed(c, chat(0));
			const err = await a.open(forge(f!)).catch((e) => e);
			expect(['auth-tag', 'frame-truncated']).toContain(err.code);
			expect(a.closedReason).toBe(err.code);
		}
	});

	it('bind the header: a record relabelled as another type fails authentication', async () => {
		const { console: c, agent: a } = await pair();
		const [f] = await sealed(c, { type: 'clipboard', text: 'x' });
		// 0x62 clipboard relabelled 0x60 chat: same sender, so only the tag can catch it.
		await expect(a.open({ ...f!, type: 0x60 })).rejects.toMatchObject({ code: 'auth-tag' });
	});

	it('bind the session: a record from another session with the same keys fails', async () => {
		const w = await world();
		const { console: c } = await connect(w);
		const [f] = await sealed(c, chat(0));
		const other = await connect({ ...w, sessionId: w.sessionId.map((b) => b ^ 1) });
		await expect(other.agent.open(f!)).rejects.toMatchObject({ code: 'auth-tag' });
	});

	it('reject a record reflected back to its sender', async () => {
		const { console: c } = await pair();
		const [f] = await sealed(c, chat(0));
		await expect(c.open(f!)).rejects.toMatchObject({ code: 'auth-tag' });
	});

	it('reject a message the sender’s role may not send, even correctly sealed', async () => {
		const { console: c, agent: a } = await pair();
		const [f] = await sealed(c, APP_SAMPLES['consent-grant']);
		await expect(a.open(f!)).rejects.toMatchObject({ code: 'wrong-direction' });
	});

	it('reject unknown record types before decrypting', async () => {
		const { console: c, agent: a } = await pair();
		const [f] = await sealed(c, chat(0));
		await expect(a.open({ ...f!, type: 0x99 })).rejects.toMatchObject({ code: 'unknown-message' });
	});

	it('never reuse a (key, nonce) pair: the directions use different keys and nonce prefixes', async () => {
		// Force the worst case: both directions given the same secret. The direction byte in the
		// nonce still keeps their records apart, so each side rejects the other's as forged.
		const secret = new Uint8Array(32).fill(7);
		const sessionId = new Uint8Array(16);
		const c = new SecureChannel('console', { sessionId, send: secret, receive: secret });
		const a = new SecureChannel('agent', { sessionId, send: secret, receive: secret });
		const [fromConsole] = await sealed(c, chat(0));
		const [fromAgent] = await sealed(a, { type: 'pong', nonce: 0, sentAt: 0 });
		expect(fromConsole!.payload).not.toEqual(fromAgent!.payload);
		// A console record replayed as if the agent had sent it (same seq 0, same key): rejected.
		await expect(c.open({ ...fromConsole! })).rejects.toMatchObject({ code: 'auth-tag' });
		expect(await a.open(fromConsole!)).toEqual(chat(0));
	});

	it('rekey after the record budget, in step on both sides, and refuse the old epoch', async () => {
		const w = await world();
		const c = await connect(w, { console: { channel: { rekeyAfterRecords: 3 } } });
		const out = await sealed(c.console, ...[0, 1, 2, 3, 4, 5, 6].map(chat));
		expect(out.map((f) => `${f.type.toString(16)}@${f.epoch}`)).toEqual([
			'60@0',
			'60@0',
			'60@0',
			'7e@0',
			'60@1',
			'60@1',
			'60@1',
			'7e@1',
			'60@2'
		]);
		const opened = [];
		for (const f of out) opened.push(await c.agent.open(f));
		expect(
			opened.filter((m) => m.type === 'chat').map((m) => (m as { messageId: number }).messageId)
		).toEqual([0, 1, 2, 3, 4, 5, 6]);
		// A record claiming the next epoch without a rekey is refused.
		const [late] = await sealed(c.console, chat(7));
		await expect(c.agent.open({ ...late!, epoch: late!.epoch + 1 })).rejects.toMatchObject({
			code: 'epoch'
		});
	});

	it('rekey after the time budget too', async () => {
		let now = 0;
		const w = await world();
		const c = await connect(w, { console: { channel: { rekeyAfterMs: 1000, now: () => now } } });
		now = 999;
		expect((await sealed(c.console, chat(0))).map((f) => f.epoch)).toEqual([0]);
		now = 1000;
		expect((await sealed(c.console, chat(1))).map((f) => f.type)).toEqual([0x7e, 0x60]);
	});

	it('survive any split of the sealed stream on the way', async () => {
		const { console: c, agent: a } = await pair();
		const parts: Uint8Array[] = [];
		for (let i = 0; i < 5; i++) parts.push(...(await c.seal(chat(i))));
		const stream = concat(...parts);
		const received = frames(
			...Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1))
		);
		const opened = [];
		for (const f of received) opened.push(await a.open(f));
		expect(opened).toEqual([0, 1, 2, 3, 4].map(chat));
		expect(encodeFrame(received[0]!, received[0]!.payload)).toEqual(concat(parts[0]!, parts[1]!));
	});
});

describe('signed consent answers', () => {
	it('verify under the agent key, and fail once anything signed is changed', async () => {
		const { signConsent, verifyConsent } = await import('../../src/lib/protocol/consent');
		const { generateIdentity } = await import('../../src/lib/protocol/identity');
		const agent = await generateIdentity();
		const sessionId = new Uint8Array(16).fill(3);
		const grant = await signConsent(agent, sessionId, {
			type: 'consent-grant',
			requestId: 4,
			capability: 'control',
			scope: 'session',
			at: 1_700_000_000_000
		});
		expect(await verifyConsent(agent.publicKey, sessionId, grant)).toBe(true);
		expect(
			await verifyConsent(agent.publicKey, sessionId, { ...grant, capability: 'file-transfer' })
		).toBe(false);
		expect(await verifyConsent(agent.publicKey, sessionId, { ...grant, at: grant.at + 1 })).toBe(
			false
		);
		expect(await verifyConsent(agent.publicKey, new Uint8Array(16), grant)).toBe(false);
		const other = await generateIdentity();
		expect(await verifyConsent(other.publicKey, sessionId, grant)).toBe(false);
	});
});

describe('drafts of bulk records', () => {
	it('seal data written in place into the same bytes as seal() of the whole message', async () => {
		const { console: c, agent: a } = await pair();
		const data = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
		const draft = c.draft('file-chunk', data.length);
		draft.data.set(data);
		const [f] = await sealed(c, { type: 'file-chunk', transferId: 1, offset: 0, data });
		const fromDraft = frames(...(await c.sealDraft(draft, { transferId: 1, offset: 3000 })));
		expect(await a.open(f!)).toEqual({ type: 'file-chunk', transferId: 1, offset: 0, data });
		expect(await a.open(fromDraft[0]!)).toEqual({
			type: 'file-chunk',
			transferId: 1,
			offset: 3000,
			data
		});
		const video = c.draft('video-chunk', 4);
		video.data.set([1, 2, 3, 4]);
		const v = frames(
			...(await c.sealDraft(video, { screenId: 1, key: true, timestamp: 5, duration: 6 }))
		);
		await expect(a.open(v[0]!)).rejects.toMatchObject({ code: 'wrong-direction' });
	});
});
