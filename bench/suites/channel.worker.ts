/**
 * The channel suite's measurements, all in this one dedicated worker so the page's event loop
 * never interferes: the record layer side by side with bare AES-256-GCM on the same payloads,
 * and the whole in-memory handshake. It returns raw per-round samples; channel.bench.ts turns
 * them into figures.
 */
import { expose } from 'comlink';
import { concat, equalBytes, randomBytes } from '../../src/lib/protocol/bytes';
import { SecureChannel, type RecordDraft } from '../../src/lib/protocol/channel';
import { FrameDecoder, type Frame } from '../../src/lib/protocol/framing';
import { PasswordGuard } from '../../src/lib/protocol/guard';
import { AgentHandshake, ConsoleHandshake } from '../../src/lib/protocol/handshake';
import { generateIdentity, type Identity } from '../../src/lib/protocol/identity';
import { aesKey } from '../../src/lib/protocol/kdf';
import type { AppMessage } from '../../src/lib/protocol/messages';
import { randomPayload, timeOps, type Sample } from '../lib/measure';

export interface RecordOptions {
	sizes: number[];
	rounds: number;
	roundMs: number;
	warmupMs: number;
	minOps: number;
}

type SequentialKind = 'encrypt' | 'decrypt' | 'seal' | 'sealCopy' | 'open';
/** The same operations with a whole batch in flight at once: throughput, as a burst is handled. */
type PipelinedKind = 'encryptBurst' | 'decryptBurst' | 'sealBurst' | 'openBurst';
type Kind = SequentialKind | PipelinedKind;
export type SizeSamples = { bytes: number } & Record<Kind, Sample[]>;

/**
 * A console/agent pair on random traffic secrets: the record path does not depend on where its
 * secrets came from, so the handshake stays out of these figures.
 */
function channelPair() {
	const sessionId = randomBytes(16);
	const c2a = randomBytes(32);
	const a2c = randomBytes(32);
	return {
		console: new SecureChannel('console', { sessionId, send: c2a, receive: a2c }),
		agent: new SecureChannel('agent', { sessionId, send: a2c, receive: c2a })
	};
}

function check(ok: boolean, what: string) {
	if (!ok) throw new Error(`sanity check failed: ${what}`);
}

async function measureSize(bytes: number, o: RecordOptions): Promise<SizeSamples> {
	const payload = randomPayload(bytes);
	const key = await aesKey(randomBytes(32), ['encrypt', 'decrypt']);
	const gcm = (iv: Uint8Array<ArrayBuffer>) => ({ name: 'AES-GCM', iv });
	const freshIv = () => crypto.getRandomValues(new Uint8Array(12));
	let offset = 0;
	const chunk = (): AppMessage => ({
		type: 'file-chunk',
		transferId: 7,
		offset: (offset += bytes),
		data: payload
	});
	// Seal rounds use their own pair, whose records are dropped; open rounds seal each batch
	// untimed on the console side and time only the agent's open(), in strict sequence.
	const sealer = channelPair().console;
	const opening = channelPair();
	const decoder = new FrameDecoder();
	let frames: Frame[] = [];
	let sealed: { iv: Uint8Array<ArrayBuffer>; data: ArrayBuffer }[] = [];
	let draft: RecordDraft<'file-chunk'> | undefined;

	{
		const iv = freshIv();
		const back = await crypto.subtle.decrypt(
			gcm(iv),
			key,
			await crypto.subtle.encrypt(gcm(iv), key, payload)
		);
		check(equalBytes(new Uint8Array(back), payload), 'bare AES-GCM round trip');
		const opened = await opening.agent.open(one(decoder, await opening.console.seal(chunk())));
		check(opened.type === 'file-chunk' && equalBytes(opened.data, payload), 'channel round trip');
	}

	// Enough operations per batch to dwarf the timer's resolution, at most ~8 MiB in flight.
	const batch = Math.max(4, Math.min(256, Math.floor((8 << 20) / bytes)));
	const plans: Record<SequentialKind, Omit<Parameters<typeof timeOps>[0], 'minMs' | 'minOps'>> = {
		encrypt: { batch, op: () => crypto.subtle.encrypt(gcm(freshIv()), key, payload) },
		decrypt: {
			batch,
			async prepare(n) {
				sealed = [];
				for (let i = 0; i < n; i++) {
					const iv = freshIv();
					sealed.push({ iv, data: await crypto.subtle.encrypt(gcm(iv), key, payload) });
				}
			},
			op: (i) => crypto.subtle.decrypt(gcm(sealed[i]!.iv), key, sealed[i]!.data)
		},
		// The record path as the pipeline uses it: data written in place into a draft once
		// (untimed, like the bare side's ready-made payload, and reused like it), sealed per op.
		seal: {
			batch,
			async prepare() {
				draft ??= sealer.draft('file-chunk', bytes);
				draft.data.set(payload);
			},
			op: () => sealer.sealDraft(draft!, { transferId: 7, offset: (offset += bytes) })
		},
		// The convenience path: seal() of a whole message copies its data into the body first.
		sealCopy: { batch, op: () => sealer.seal(chunk()) },
		open: {
			batch,
			async prepare(n) {
				frames = [];
				for (let i = 0; i < n; i++) {
					// As the transport sends them: header and ciphertext as separate messages.
					for (const part of await opening.console.seal(chunk()))
						frames.push(...decoder.push(part));
				}
			},
			async op(i) {
				const m = await opening.agent.open(frames[i]!);
				if (m.type !== 'file-chunk' || m.data.length !== bytes) throw new Error('wrong record');
			}
		}
	};

	const burst = (kind: SequentialKind) => ({ ...plans[kind], pipelined: true });
	const all: Record<Kind, Omit<Parameters<typeof timeOps>[0], 'minMs' | 'minOps'>> = {
		...plans,
		encryptBurst: burst('encrypt'),
		decryptBurst: burst('decrypt'),
		sealBurst: burst('seal'),
		openBurst: burst('open')
	};
	const out = { bytes } as SizeSamples;
	for (const kind of Object.keys(all) as Kind[]) out[kind] = [];
	const orders: Kind[][] = [
		['encrypt', 'seal', 'sealCopy', 'decrypt', 'open'],
		['encryptBurst', 'sealBurst', 'decryptBurst', 'openBurst'],
		['sealCopy', 'seal', 'encrypt', 'open', 'decrypt'],
		['sealBurst', 'encryptBurst', 'openBurst', 'decryptBurst']
	];
	for (const kind of [...orders[0]!, ...orders[1]!]) {
		await timeOps({ ...all[kind], minMs: o.warmupMs, minOps: 1 });
	}
	for (let round = 0; round < o.rounds; round++) {
		// Alternating which side goes first keeps drift (clock, heat, GC) from favouring one.
		for (const kind of [...orders[(round % 2) * 2]!, ...orders[(round % 2) * 2 + 1]!]) {
			out[kind].push(await timeOps({ ...all[kind], minMs: o.roundMs, minOps: o.minOps }));
		}
	}
	return out;
}

function one(decoder: FrameDecoder, parts: Uint8Array[]): Frame {
	const frames = decoder.push(concat(...parts));
	if (frames.length !== 1) throw new Error(`expected one frame, got ${frames.length}`);
	return frames[0]!;
}

const pingMessage: AppMessage = { type: 'ping', nonce: 1, sentAt: 0 };

export interface HandshakeTimes {
	totalMs: number;
	consoleMs: number;
}

/** One whole handshake in memory, as tests/shared/harness.ts runs it, with the console's share timed. */
async function handshakeOnce(device: Identity, agentKey: Identity & { keyId: string }) {
	const sessionId = randomBytes(16);
	const password = 'K7QF-2MXP';
	const wire = new FrameDecoder();
	const start = performance.now();
	let t = start;
	const c = new ConsoleHandshake({
		password,
		instrumentId: 'HX-2041',
		sessionId,
		technicianId: 'tech-17',
		device,
		pinnedAgentKey: agentKey.publicKey
	});
	const hello = c.start();
	let consoleMs = performance.now() - t;
	const a = new AgentHandshake({
		instrumentId: 'HX-2041',
		sessionId,
		password: () => password,
		identity: agentKey,
		isDeviceAllowed: (tech, key) => tech === 'tech-17' && equalBytes(key, device.publicKey),
		guard: new PasswordGuard()
	});
	const step = await a.receive(one(wire, [hello]));
	if (step.outcome !== 'continue') throw new Error(`agent answered ${step.outcome} to the hello`);
	t = performance.now();
	const done = await c.receive(one(wire, step.send));
	consoleMs += performance.now() - t;
	const fin = await a.receive(one(wire, [done.finished]));
	const totalMs = performance.now() - start;
	if (fin.outcome !== 'established') throw new Error(`agent ended in ${fin.outcome}`);
	const ping = await fin.channel.open(one(wire, await done.channel.seal(pingMessage)));
	check(ping.type === 'ping', 'channel after the handshake');
	return { totalMs, consoleMs };
}

const api = {
	async records(o: RecordOptions): Promise<SizeSamples[]> {
		const out: SizeSamples[] = [];
		for (const bytes of o.sizes) out.push(await measureSize(bytes, o));
		return out;
	},

	/** `runs` timed handshakes after `warmup` untimed ones; identity keys are made once, untimed. */
	async handshake(runs: number, warmup: number): Promise<HandshakeTimes[]> {
		const device = await generateIdentity();
		const agentKey = { ...(await generateIdentity()), keyId: 'agent-key-1' };
		for (let i = 0; i < warmup; i++) await handshakeOnce(device, agentKey);
		const out: HandshakeTimes[] = [];
		for (let i = 0; i < runs; i++) out.push(await handshakeOnce(device, agentKey));
		return out;
	}
};

expose(api);
export type ChannelBenchApi = typeof api;
