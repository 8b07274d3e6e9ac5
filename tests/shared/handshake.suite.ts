import { describe, expect, it } from 'vitest';
import { concat, utf8 } from '../../src/lib/protocol/bytes';
import { decode, encode } from '../../src/lib/protocol/codec';
import { encodeFrame } from '../../src/lib/protocol/framing';
import { generateIdentity } from '../../src/lib/protocol/identity';
import { sha256 } from '../../src/lib/protocol/kdf';
import { bodyCodec } from '../../src/lib/protocol/messages';
import { normalizePassword, PasswordGuard } from '../../src/lib/protocol/guard';
import { connect, deliver, one, world } from './harness';

/** Rewrites the body of one handshake message on the wire. */
function rewrite<T extends 'client-hello' | 'server-hello'>(
	type: T,
	bytes: Uint8Array,
	edit: (b: ReturnType<typeof decode<never>>) => void
) {
	const frame = one(bytes);
	const body = decode(bodyCodec(type), frame.payload) as never;
	edit(body);
	return encodeFrame(frame, encode(bodyCodec(type), body));
}

function includes(hay: Uint8Array, needle: Uint8Array) {
	outer: for (let i = 0; i + needle.length <= hay.length; i++) {
		for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
		return true;
	}
	return false;
}

describe('the handshake', () => {
	it('opens a channel both ways with the password the customer reads out', async () => {
		const w = await world();
		const c = await connect(w, { typed: ' k7qf 2mxp ' });
		expect(c.version).toBe(1);
		const [chat] = await deliver(c.console, c.agent, {
			type: 'chat',
			messageId: 1,
			at: 5,
			text: 'hello'
		});
		expect(chat).toEqual({ type: 'chat', messageId: 1, at: 5, text: 'hello' });
		const [pong] = await deliver(c.agent, c.console, { type: 'pong', nonce: 7, sentAt: 9 });
		expect(pong).toEqual({ type: 'pong', nonce: 7, sentAt: 9 });
		expect(w.guard.failures).toBe(0);
	});

	it('never puts the password, or a hash of it, on the wire', async () => {
		const w = await world({ password: 'QWER-TYUP' });
		await connect(w);
		const wire = concat(...w.wire);
		expect(wire.length).toBeGreaterThan(300);
		const normal = utf8.encode(normalizePassword(w.password));
		for (const secret of [
			utf8.encode(w.password),
			normal,
			await sha256(normal),
			await sha256(utf8.encode(w.password))
		]) {
			expect(includes(wire, secret)).toBe(false);
		}
	});

	it('gives fresh keys every session: the same password twice never repeats a share', async () => {
		const w = await world();
		await connect(w);
		const first = w.wire.map((b) => b.slice());
		w.wire.length = 0;
		await connect(w);
		expect(first[0]).not.toEqual(w.wire[0]);
		expect(first[1]).not.toEqual(w.wire[1]);
	});

	it('refuses a wrong password on both sides and counts the failure on the agent', async () => {
		const w = await world();
		await expect(connect(w, { typed: 'AAAA-BBBB' })).rejects.toMatchObject({
			code: 'key-confirmation'
		});
		expect(w.guard.failures).toBe(1);
	});

	it('stops at once when the agent cannot prove the key pinned from the broker (key swap)', async () => {
		const w = await world();
		const brokerSwapped = await generateIdentity();
		await expect(connect(w, { pinned: brokerSwapped.publicKey })).rejects.toMatchObject({
			code: 'agent-key-mismatch'
		});
	});

	it('stops when a man in the middle answers with his own key, even knowing the password', async () => {
		const w = await world();
		const mallory = { ...(await generateIdentity()), keyId: 'agent-key-1' };
		// Mallory runs the agent side himself with his key; the console pinned the real one.
		await expect(
			connect({ ...w, agentKey: mallory }, { pinned: w.agentKey.publicKey })
		).rejects.toMatchObject({
			code: 'agent-key-mismatch'
		});
	});

	it('fails a version downgrade: versions stripped from the hello are caught', async () => {
		const w = await world();
		const strip = (dir: string, b: Uint8Array) =>
			dir === 'c2a' && b[6] === 0x01
				? rewrite('client-hello', b, (body: { versions: number[] }) => (body.versions = [1]))
				: b;
		await expect(
			connect(w, { consoleVersions: [1, 2], agentVersions: [1, 2], mitm: strip })
		).rejects.toMatchObject({ code: 'downgrade' });
		// The agent cannot tell an aborted downgrade from a wrong password: it counted one.
		expect(w.guard.failures).toBe(1);
		// Without the attacker the same peers agree on the highest version.
		const fresh = await world();
		expect((await connect(fresh, { consoleVersions: [1, 2], agentVersions: [1, 2] })).version).toBe(
			2
		);
	});

	it('fails a downgrade that also rewrites the agent’s version list: the keys disagree', async () => {
		const w = await world();
		const mitm = (dir: string, b: Uint8Array) => {
			if (dir === 'c2a' && b[6] === 0x01)
				return rewrite('client-hello', b, (x: { versions: number[] }) => (x.versions = [1]));
			if (dir === 'a2c' && b[6] === 0x02)
				return rewrite('server-hello', b, (x: { versions: number[] }) => (x.versions = [1]));
			return b;
		};
		await expect(
			connect(w, { consoleVersions: [1, 2], agentVersions: [1, 2], mitm })
		).rejects.toMatchObject({
			code: 'key-confirmation'
		});
	});

	it('refuses a technician or device that is not on the whitelist before any password is tried', async () => {
		const w = await world();
		await expect(connect(w, { allowed: false })).rejects.toMatchObject({
			code: 'device-not-whitelisted',
			consoleSaw: 'device-not-whitelisted'
		});
		expect(w.guard.failures).toBe(0);
	});

	it('refuses a device that cannot sign with the key it announced', async () => {
		const w = await world();
		const thief = await generateIdentity();
		// Announces the whitelisted public key but holds another private key.
		const device = { publicKey: w.device.publicKey, privateKey: thief.privateKey };
		await expect(connect(w, { console: { device } })).rejects.toMatchObject({
			code: 'device-signature'
		});
	});

	it('rejects an invalid CPace share (identity element) without crashing', async () => {
		const w = await world();
		const zero = (dir: string, b: Uint8Array) =>
			dir === 'c2a' && b[6] === 0x01
				? rewrite('client-hello', b, (x: { share: Uint8Array }) => (x.share = new Uint8Array(32)))
				: b;
		await expect(connect(w, { mitm: zero })).rejects.toMatchObject({
			code: 'invalid-share',
			consoleSaw: 'peer-alert'
		});
	});
});

describe('password attempts on the agent', () => {
	it('makes each retry wait longer and replaces the password after three failures, across connections', async () => {
		let now = 1_000_000;
		let rotations = 0;
		const w = await world({
			guard: new PasswordGuard({ now: () => now, onRotate: () => rotations++ })
		});
		const waits: number[] = [];
		for (let i = 0; i < 3; i++) {
			await expect(connect(w, { typed: `WRNG-PAS${i}` })).rejects.toMatchObject({
				code: i < 2 ? 'key-confirmation' : 'password-replaced'
			});
			// Reconnecting at once is refused with the wait in the alert.
			const early = await connect(w).catch((e) => e);
			expect(early.code).toBe('retry-later');
			waits.push(early.detail.retryAfterMs);
			now += early.detail.retryAfterMs;
		}
		expect(waits).toEqual([1000, 2000, 4000]);
		expect(rotations).toBe(1);
		// The right password, after the wait, works and clears the count.
		const c = await connect(w);
		expect(c.version).toBe(1);
		expect(w.guard.failures).toBe(0);
	});

	it('allows one attempt at a time: a parallel connection cannot skip the wait', () => {
		const guard = new PasswordGuard({ now: () => 0 });
		expect(guard.check()).toEqual({ ok: true });
		guard.begin();
		expect(guard.check()).toEqual({ ok: false, retryAfterMs: 1000 });
		guard.succeed();
		expect(guard.check()).toEqual({ ok: true });
	});

	it('counts an attempt abandoned after the agent answered', async () => {
		const w = await world();
		const cut = (dir: string, b: Uint8Array) => {
			if (dir === 'a2c') throw new Error('socket closed');
			return b;
		};
		await expect(connect(w, { mitm: cut })).rejects.toThrow('socket closed');
		// The harness abandons the agent handshake when the console side throws.
		expect(w.guard.failures).toBe(1);
	});
});
