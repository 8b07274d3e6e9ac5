/**
 * The channel suite's measurements, all in this one dedicated worker so the page's event loop
 * never interferes: the record layer side by side with bare AES-256-GCM on the same payloads,
 * and the whole in-memory handshake. It returns raw per-round samples; channel.bench.ts turns
 * them into figures.
 */
import { expose } from 'comlink';
import { concat, equalBytes, randomBytes } from '../../src/lib/protocol/bytes';
import { SecureChannel, type RecordDraft } from '../../src/lib/protocol/channel';
import { FrameDecoder, HEADER_REST, type Frame } from '../../src/lib/protocol/framing';
import { PasswordGuard } from '../../src/lib/protocol/guard';
import { AgentHandshake, ConsoleHandshake } from '../../src/lib/protocol/handshake';
import { generateIdentity, type Identity } from '../../src/lib/protocol/identity';
import { aesKey } from '../../src/lib/protocol/kdf';
import { APPLICATION, type AppMessage } from '../../src/lib/protocol/messages';
import { collectGarbage, interleaveOps, randomPayload, timeOps, type Sample } from '../lib/measure';

export interface RecordOptions {
	/**
	 * Each size with its number of rounds (more where a goal is judged) and the batches of each
	 * kind per round (see interleaveOps).
	 */
	sizes: { bytes: number; rounds: number; reps: number }[];
	warmupMs: number;
	/** Timed work per round of each stubbed kind. */
	ownMs: number;
}

type BaseKind = 'encrypt' | 'decrypt' | 'seal' | 'sealCopy' | 'open';
/** Seal and open with the cipher stubbed out: the record layer's own work. */
type OwnKind = 'sealOwn' | 'openOwn';
type SequentialKind = BaseKind | OwnKind;
type Plan = Omit<Parameters<typeof timeOps>[0], 'minMs' | 'minOps'>;
/** The same operations with a whole batch in flight at once: throughput, as a burst is handled. */
type PipelinedKind = 'encryptBurst' | 'decryptBurst' | 'sealBurst' | 'openBurst';
/** Bare decrypt measured a second time in another slot of the round: the comparison's noise. */
type SameKind = 'decryptAgain' | 'decryptBurstAgain';
type Kind = SequentialKind | PipelinedKind | SameKind;
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

async function measureSize(
	bytes: number,
	rounds: number,
	reps: number,
	o: RecordOptions
): Promise<SizeSamples> {
	check(collectGarbage(), 'the browser exposes gc() (bench/run.mjs passes --js-flags=--expose-gc)');
	const payload = randomPayload(bytes);
	const key = await aesKey(randomBytes(32), ['encrypt', 'decrypt']);
	// The bare side works on what the record layer encrypts: a body of the record's length (the
	// message's prefix and the payload) under associated data of the record's length.
	const bodyLength = channelPair().console.draft('file-chunk', bytes).body.length;
	const aad = randomBytes(16 + HEADER_REST);
	const gcm = (iv: Uint8Array<ArrayBuffer>) => ({ name: 'AES-GCM', iv, additionalData: aad });
	const bareBody = randomPayload(bodyLength);
	/** A body made as `seal()` makes one (a fresh buffer, the payload copied in), for decrypt's inputs. */
	const freshBody = () => {
		const body = new Uint8Array(bodyLength);
		body.set(payload, bodyLength - bytes);
		return body;
	};
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
			await crypto.subtle.encrypt(gcm(iv), key, bareBody)
		);
		check(equalBytes(new Uint8Array(back), bareBody), 'bare AES-GCM round trip');
		const opened = await opening.agent.open(one(decoder, await opening.console.seal(chunk())));
		check(opened.type === 'file-chunk' && equalBytes(opened.data, payload), 'channel round trip');
	}

	/**
	 * Inputs for both bare decrypt and channel open, made together before either is timed: the
	 * same allocations precede both, so garbage collection of one side's inputs does not land in
	 * the other side's timing (made apart, the bare side looked 10 % faster for that alone).
	 */
	const spare = channelPair().console; // seals frames for the decrypt side, never opened
	const prepareOpening = (via: SecureChannel, framer: FrameDecoder) => async (n: number) => {
		sealed = [];
		frames = [];
		for (let i = 0; i < n; i++) {
			const iv = freshIv();
			sealed.push({ iv, data: await crypto.subtle.encrypt(gcm(iv), key, freshBody()) });
			// As the transport sends them: header and ciphertext as separate messages.
			for (const part of await via.seal(chunk())) frames.push(...framer.push(part));
		}
	};

	// Enough operations per batch to dwarf the timer's resolution, at most ~8 MiB in flight.
	const batch = Math.max(4, Math.min(256, Math.floor((8 << 20) / bytes)));
	const plans: Record<BaseKind, Plan> = {
		encrypt: { batch, op: () => crypto.subtle.encrypt(gcm(freshIv()), key, bareBody) },
		decrypt: {
			batch,
			prepare: prepareOpening(spare, new FrameDecoder()),
			async op(i) {
				const plain = await crypto.subtle.decrypt(gcm(sealed[i]!.iv), key, sealed[i]!.data);
				if (plain.byteLength !== bodyLength) throw new Error('wrong plaintext');
			}
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
			prepare: prepareOpening(opening.console, decoder),
			async op(i) {
				const m = await opening.agent.open(frames[i]!);
				if (m.type !== 'file-chunk' || m.data.length !== bytes) throw new Error('wrong record');
			}
		}
	};

	// The channel's own work per record: seal and open with crypto.subtle answering at once from
	// a ready buffer (stubbed for the duration of the call only), so what is left is everything
	// the record layer does around the cipher. Stable where the side-by-side ratio is noisy.
	const subtle = crypto.subtle;
	const cipherOut = new ArrayBuffer(bodyLength + 16);
	const plainOut = channelPair().console.draft('file-chunk', bytes).body.buffer as ArrayBuffer;
	const stubbed = <T>(name: 'encrypt' | 'decrypt', out: ArrayBuffer, call: () => T): T => {
		const real = subtle[name];
		subtle[name] = () => Promise.resolve(out);
		try {
			return call();
		} finally {
			subtle[name] = real;
		}
	};
	const own = channelPair().agent;
	const fileChunk = APPLICATION['file-chunk'].id;
	const ownPayload = new Uint8Array(bodyLength + 16); // never read: the cipher is stubbed
	let ownSeq = 0;
	const ownPlans: Record<OwnKind, Plan> = {
		sealOwn: {
			batch,
			prepare: plans.seal.prepare,
			op: () =>
				stubbed('encrypt', cipherOut, () =>
					sealer.sealDraft(draft!, { transferId: 7, offset: (offset += bytes) })
				)
		},
		openOwn: {
			batch,
			// Frames as the peer would send them, made without encrypting: their bytes are never read.
			async prepare(n) {
				frames = [];
				for (let i = 0; i < n; i++)
					frames.push({
						kind: 'record',
						type: fileChunk,
						epoch: 0,
						seq: ownSeq++,
						payload: ownPayload
					});
			},
			async op(i) {
				const m = await stubbed('decrypt', plainOut, () => own.open(frames[i]!));
				if (m.type !== 'file-chunk' || m.data.length !== bytes) throw new Error('wrong record');
			}
		}
	};

	const burst = (kind: BaseKind) => ({ ...plans[kind], pipelined: true });
	const all: Record<Kind, Plan> = {
		...plans,
		...ownPlans,
		encryptBurst: burst('encrypt'),
		decryptBurst: burst('decrypt'),
		sealBurst: burst('seal'),
		openBurst: burst('open'),
		decryptAgain: plans.decrypt,
		decryptBurstAgain: burst('decrypt')
	};
	const out = { bytes } as SizeSamples;
	for (const kind of Object.keys(all) as Kind[]) out[kind] = [];
	// Compared kinds interleave batch by batch (interleaveOps); each group holds a bare operation,
	// what is compared with it and, for the noise figure, the bare operation again.
	const groups: Kind[][] = [
		['encrypt', 'seal', 'sealCopy'],
		['decrypt', 'open', 'decryptAgain'],
		['encryptBurst', 'sealBurst'],
		['decryptBurst', 'openBurst', 'decryptBurstAgain']
	];
	// The stubbed kinds: slots of their own, after every round of the real ones. Swapping
	// crypto.subtle's methods throws away the optimised code of every caller: measured within the
	// rounds, the next real batches ran slower for it (open one at a time by 20-50 %), and a
	// collection before each of their short batches made them cost 3 times more.
	const stubKinds: OwnKind[] = ['sealOwn', 'openOwn'];
	for (const group of groups)
		await interleaveOps(
			group.map((kind) => all[kind]),
			1
		);
	for (const kind of groups.flat()) await timeOps({ ...all[kind], minMs: o.warmupMs, minOps: 1 });
	for (let round = 0; round < rounds; round++) {
		for (const group of groups) {
			const samples = await interleaveOps(
				group.map((kind) => all[kind]),
				reps,
				round * reps
			);
			group.forEach((kind, i) => out[kind].push(samples[i]!));
		}
	}
	for (let round = 0; round < rounds; round++) {
		for (const kind of stubKinds)
			out[kind].push(await timeOps({ ...all[kind], minMs: o.ownMs, minOps: 10 }));
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
		for (const { bytes, rounds, reps } of o.sizes)
			out.push(await measureSize(bytes, rounds, reps, o));
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
