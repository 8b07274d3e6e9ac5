/**
 * The handshake (docs/protocol.md, "Handshake"): CPace on the one-time password, then both
 * sides prove the key (HMAC over the transcript) and sign the transcript with their identity
 * keys. Three clear frames: client-hello, server-hello, client-finished. Nothing about the
 * password crosses the wire, so neither the broker nor a man in the middle can test guesses
 * offline; the agent's key is pinned from the broker's record; versions are in the transcript.
 */
import { concat, equalBytes, utf8 } from './bytes';
import { decode, encode, list, str, struct, u16, fixed } from './codec';
import { cpaceIsk, cpaceShare, CpaceError, lvCat, type CpaceShare } from './cpace';
import { ProtocolError } from './errors';
import { encodeFrame, type Frame } from './framing';
import { hmacSha256, sha256, label } from './kdf';
import { HANDSHAKE, alertBody, bodyCodec, type Alert, type AlertCode, type Body } from './messages';
import { SecureChannel, deriveSecrets, type ChannelOptions } from './channel';
import { sign, verify, type Identity } from './identity';
import { normalizePassword } from './guard';

export const SUPPORTED_VERSIONS: readonly number[] = [1];

const clientAd = struct({ versions: list(u16, 8), technicianId: str(128), deviceKey: fixed(65) });
const serverCore = struct({
	version: u16,
	versions: list(u16, 8),
	share: fixed(32),
	agentKeyId: str(64)
});
const serverAd = struct({ version: u16, versions: list(u16, 8), agentKeyId: str(64) });

/** CPace's channel identifier: the protocol and the instrument this password belongs to. */
function channelId(instrumentId: string) {
	return lvCat(utf8.encode('benchside/1'), utf8.encode(instrumentId));
}

function prs(password: string) {
	return utf8.encode(normalizePassword(password));
}

export function handshakeFrame<T extends keyof typeof HANDSHAKE>(
	type: T,
	body: Body<T>
): Uint8Array {
	const entry = HANDSHAKE[type];
	return encodeFrame(
		{ kind: 'handshake', type: entry.id, epoch: 0, seq: 0 },
		encode(bodyCodec(type), body)
	);
}

export function alertFrame(code: AlertCode, message: string, retryAfterMs = 0): Uint8Array {
	return encodeFrame(
		{ kind: 'alert', type: 0, epoch: 0, seq: 0 },
		encode(alertBody, { code, retryAfterMs: Math.ceil(retryAfterMs), message })
	);
}

export function expectHandshake<T extends keyof typeof HANDSHAKE>(frame: Frame, type: T): Body<T> {
	if (frame.kind === 'alert') throw alertError(decode(alertBody, frame.payload));
	const entry = HANDSHAKE[type];
	if (frame.kind !== 'handshake' || frame.type !== entry.id) {
		throw new ProtocolError('handshake-state', `expected ${type}`);
	}
	return decode(bodyCodec(type), frame.payload);
}

/** An alert from the peer, as the error the UI explains. */
export function alertError(alert: Alert): ProtocolError {
	const detail = { alert: alert.code, retryAfterMs: alert.retryAfterMs };
	switch (alert.code) {
		case 'retry-later':
			return new ProtocolError('retry-later', alert.message, detail);
		case 'password-replaced':
			return new ProtocolError('password-replaced', alert.message, detail);
		case 'no-common-version':
			return new ProtocolError('no-common-version', alert.message, detail);
		case 'device-not-whitelisted':
			return new ProtocolError('device-not-whitelisted', alert.message, detail);
		case 'handshake-failed':
			return new ProtocolError('key-confirmation', alert.message, detail);
		case 'resume-refused':
			return new ProtocolError('resume-refused', alert.message, detail);
		case 'unknown-session':
		case 'busy':
		case 'protocol-error':
			return new ProtocolError('peer-alert', alert.message, detail);
		default: {
			const never: never = alert.code;
			throw new Error(`unhandled alert ${String(never)}`);
		}
	}
}

function highestCommon(a: readonly number[], b: readonly number[]): number | undefined {
	return Math.max(...a.filter((v) => b.includes(v)), -1) >= 0
		? Math.max(...a.filter((v) => b.includes(v)))
		: undefined;
}

async function transcript1(ch: Uint8Array, sh: Body<'server-hello'>) {
	return sha256(concat(label('th1'), ch, encode(serverCore, sh)));
}

async function transcript2(th1: Uint8Array, sh: Uint8Array) {
	return sha256(concat(label('th2'), th1, sh));
}

function isk(
	role: 'initiator' | 'responder',
	own: CpaceShare,
	ownAd: Uint8Array,
	peer: Uint8Array,
	peerAd: Uint8Array,
	sid: Uint8Array
) {
	try {
		return cpaceIsk(role, own, ownAd, peer, peerAd, sid);
	} catch (e) {
		if (e instanceof CpaceError) throw new ProtocolError('invalid-share', e.message);
		throw e;
	}
}

export interface Established {
	channel: SecureChannel;
	version: number;
	/** Keys a later resumption (docs/protocol.md, "Resumption"); held in memory only. */
	resumption: Uint8Array;
}

export interface ConsoleHandshakeInput {
	password: string;
	instrumentId: string;
	sessionId: Uint8Array;
	technicianId: string;
	device: Identity;
	/** The agent's public key from the broker's instrument record: never learnt from the agent. */
	pinnedAgentKey: Uint8Array;
	versions?: readonly number[];
	channel?: ChannelOptions;
}

type ConsoleState = 'new' | 'hello-sent' | 'established' | 'failed';

/** The console's side: `start()`, then `receive(server-hello)` yields client-finished and the channel. */
export class ConsoleHandshake {
	readonly #in: ConsoleHandshakeInput;
	readonly #versions: readonly number[];
	#state: ConsoleState = 'new';
	#share: CpaceShare | null = null;
	#hello: Uint8Array | null = null;

	constructor(input: ConsoleHandshakeInput) {
		this.#in = input;
		this.#versions = input.versions ?? SUPPORTED_VERSIONS;
	}

	get state(): ConsoleState {
		return this.#state;
	}

	/** After a failed key confirmation: tells the agent, which answers with the wait to observe. */
	abortFrame(): Uint8Array {
		return alertFrame('handshake-failed', 'key confirmation failed');
	}

	/** Reads the agent's answer to `abortFrame()` as the error to show. */
	static answer(frame: Frame): ProtocolError {
		if (frame.kind !== 'alert') return new ProtocolError('handshake-state', 'expected an alert');
		return alertError(decode(alertBody, frame.payload));
	}

	start(): Uint8Array {
		if (this.#state !== 'new') throw new ProtocolError('handshake-state', 'already started');
		const { sessionId, technicianId, device, instrumentId } = this.#in;
		this.#share = cpaceShare(prs(this.#in.password), channelId(instrumentId), sessionId);
		const body = {
			versions: [...this.#versions],
			sessionId,
			share: this.#share.share,
			technicianId,
			deviceKey: device.publicKey
		};
		this.#hello = encode(bodyCodec('client-hello'), body);
		this.#state = 'hello-sent';
		return handshakeFrame('client-hello', body);
	}

	/** Resolves to the client-finished frame and the open channel, or rejects with the reason. */
	async receive(frame: Frame): Promise<Established & { finished: Uint8Array }> {
		if (this.#state !== 'hello-sent')
			throw new ProtocolError('handshake-state', `in state ${this.#state}`);
		try {
			const out = await this.#onServerHello(expectHandshake(frame, 'server-hello'));
			this.#state = 'established';
			return out;
		} catch (e) {
			this.#state = 'failed';
			throw e;
		}
	}

	async #onServerHello(sh: Body<'server-hello'>) {
		const { sessionId, technicianId, device, pinnedAgentKey } = this.#in;
		const best = highestCommon(this.#versions, sh.versions);
		if (best === undefined)
			throw new ProtocolError('no-common-version', 'no protocol version in common');
		// The agent must pick the highest version both sides list; both lists are in the keys.
		if (sh.version !== best)
			throw new ProtocolError('downgrade', `agent chose v${sh.version}, expected v${best}`);
		const ownAd = encode(clientAd, {
			versions: [...this.#versions],
			technicianId,
			deviceKey: device.publicKey
		});
		const key = isk('initiator', this.#share!, ownAd, sh.share, encode(serverAd, sh), sessionId);
		const secrets = await deriveSecrets(key, sessionId);
		const th1 = await transcript1(this.#hello!, sh);
		if (!equalBytes(await hmacSha256(secrets.agentConfirm, th1), sh.confirm)) {
			throw new ProtocolError('key-confirmation', 'wrong password or a tampered connection');
		}
		if (!(await verify(pinnedAgentKey, sh.signature, concat(label('agent signature'), th1)))) {
			throw new ProtocolError(
				'agent-key-mismatch',
				'the agent did not prove the pinned identity key'
			);
		}
		const th2 = await transcript2(th1, encode(bodyCodec('server-hello'), sh));
		return consoleFinished('client-finished', 'console signature', th2, secrets, {
			sessionId,
			device,
			version: sh.version,
			...(this.#in.channel ? { channel: this.#in.channel } : {})
		});
	}
}

/** What the console's last step needs of a key schedule (first handshake or resumption). */
export interface ConsoleSecrets {
	consoleConfirm: Uint8Array;
	consoleTraffic: Uint8Array;
	agentTraffic: Uint8Array;
	resumption: Uint8Array;
}

/**
 * The console's last step, the same after a first handshake and after a resumption: its device
 * signs the transcript `th2` under `signatureLabel`, confirms the key, and opens its channel.
 */
export async function consoleFinished(
	type: 'client-finished' | 'resume-finished',
	signatureLabel: string,
	th2: Uint8Array,
	secrets: ConsoleSecrets,
	o: {
		sessionId: Uint8Array;
		device: { privateKey: CryptoKey };
		version: number;
		channel?: ChannelOptions;
	}
): Promise<Established & { finished: Uint8Array }> {
	const finished = handshakeFrame(type, {
		signature: await sign(o.device.privateKey, concat(label(signatureLabel), th2)),
		confirm: await hmacSha256(secrets.consoleConfirm, th2)
	});
	const channel = new SecureChannel(
		'console',
		{ sessionId: o.sessionId, send: secrets.consoleTraffic, receive: secrets.agentTraffic },
		o.channel
	);
	return { finished, channel, version: o.version, resumption: secrets.resumption };
}

export interface AgentHandshakeInput {
	instrumentId: string;
	/** The session the broker announced to this agent. */
	sessionId: Uint8Array;
	/** The current one-time password (read at each attempt: it may have been replaced). */
	password: () => string;
	identity: Identity & { keyId: string };
	/** The broker's whitelist: may this technician, on this device, reach this instrument? */
	isDeviceAllowed: (technicianId: string, deviceKey: Uint8Array) => boolean;
	guard: {
		check(): { ok: true } | { ok: false; retryAfterMs: number };
		begin(): void;
		fail(): { rotated: boolean; retryAfterMs: number };
		succeed(): void;
	};
	versions?: readonly number[];
	channel?: ChannelOptions;
}

export type AgentStep =
	| { outcome: 'continue'; send: Uint8Array[] }
	| {
			outcome: 'established';
			send: Uint8Array[];
			channel: SecureChannel;
			version: number;
			technicianId: string;
			deviceKey: Uint8Array;
			resumption: Uint8Array;
	  }
	| { outcome: 'failed'; send: Uint8Array[]; error: ProtocolError };

type AgentState = 'awaiting-hello' | 'awaiting-finished' | 'established' | 'failed';

/** The agent's side: feed it frames; it says what to send and when the channel is open. */
export class AgentHandshake {
	readonly #in: AgentHandshakeInput;
	readonly #versions: readonly number[];
	#state: AgentState = 'awaiting-hello';
	#pending: {
		th1: Uint8Array;
		sh: Uint8Array;
		secrets: Awaited<ReturnType<typeof deriveSecrets>>;
		ch: Body<'client-hello'>;
		version: number;
	} | null = null;

	constructor(input: AgentHandshakeInput) {
		this.#in = input;
		this.#versions = input.versions ?? SUPPORTED_VERSIONS;
	}

	get state(): AgentState {
		return this.#state;
	}

	async receive(frame: Frame): Promise<AgentStep> {
		if (frame.kind === 'alert' && this.#state === 'awaiting-finished') {
			// The console found the key confirmation wrong (a wrong password) and says so: count it,
			// and answer with the wait before the next try, or that the password was replaced.
			const { rotated, retryAfterMs } = this.#in.guard.fail();
			const error = new ProtocolError('key-confirmation', 'wrong password', { retryAfterMs });
			return this.#fail(error, rotated ? 'password-replaced' : 'handshake-failed', retryAfterMs);
		}
		try {
			if (this.#state === 'awaiting-hello')
				return await this.#onHello(expectHandshake(frame, 'client-hello'));
			if (this.#state === 'awaiting-finished')
				return await this.#onFinished(expectHandshake(frame, 'client-finished'));
			throw new ProtocolError('handshake-state', `in state ${this.#state}`);
		} catch (e) {
			if (!(e instanceof ProtocolError)) throw e;
			return this.#fail(e, 'protocol-error');
		}
	}

	/** The connection closed mid-handshake: a started attempt counts as a failure. */
	abandon() {
		if (this.#state === 'awaiting-finished') this.#in.guard.fail();
		if (this.#state !== 'established') this.#state = 'failed';
	}

	#fail(error: ProtocolError, code: AlertCode, retryAfterMs = 0): AgentStep {
		this.#state = 'failed';
		return { outcome: 'failed', send: [alertFrame(code, error.message, retryAfterMs)], error };
	}

	async #onHello(ch: Body<'client-hello'>): Promise<AgentStep> {
		const { guard, sessionId, instrumentId, identity } = this.#in;
		const gate = guard.check();
		if (!gate.ok) {
			return this.#fail(
				new ProtocolError('retry-later', 'too many attempts', { retryAfterMs: gate.retryAfterMs }),
				'retry-later',
				gate.retryAfterMs
			);
		}
		if (!equalBytes(ch.sessionId, sessionId)) {
			return this.#fail(new ProtocolError('peer-alert', 'unknown session'), 'unknown-session');
		}
		const version = highestCommon(this.#versions, ch.versions);
		if (version === undefined) {
			return this.#fail(
				new ProtocolError('no-common-version', 'no protocol version in common'),
				'no-common-version'
			);
		}
		if (!this.#in.isDeviceAllowed(ch.technicianId, ch.deviceKey)) {
			return this.#fail(
				new ProtocolError('device-not-whitelisted', 'this technician or device may not connect'),
				'device-not-whitelisted'
			);
		}
		guard.begin();
		const own = cpaceShare(prs(this.#in.password()), channelId(instrumentId), sessionId);
		const core = {
			version,
			versions: [...this.#versions],
			share: own.share,
			agentKeyId: identity.keyId
		};
		const peerAd = encode(clientAd, ch);
		let key: Uint8Array;
		try {
			key = isk('responder', own, encode(serverAd, core), ch.share, peerAd, sessionId);
		} catch (e) {
			guard.fail();
			throw e;
		}
		const secrets = await deriveSecrets(key, sessionId);
		const th1 = await transcript1(encode(bodyCodec('client-hello'), ch), {
			...core,
			signature: new Uint8Array(64),
			confirm: new Uint8Array(32)
		});
		const sh = {
			...core,
			signature: await sign(identity.privateKey, concat(label('agent signature'), th1)),
			confirm: await hmacSha256(secrets.agentConfirm, th1)
		};
		this.#pending = { th1, sh: encode(bodyCodec('server-hello'), sh), secrets, ch, version };
		this.#state = 'awaiting-finished';
		return { outcome: 'continue', send: [handshakeFrame('server-hello', sh)] };
	}

	async #onFinished(cf: Body<'client-finished'>): Promise<AgentStep> {
		const p = this.#pending!;
		const { guard, sessionId } = this.#in;
		const th2 = await transcript2(p.th1, p.sh);
		const confirmed = equalBytes(await hmacSha256(p.secrets.consoleConfirm, th2), cf.confirm);
		const signed =
			confirmed &&
			(await verify(p.ch.deviceKey, cf.signature, concat(label('console signature'), th2)));
		if (!signed) {
			const { rotated, retryAfterMs } = guard.fail();
			const error = confirmed
				? new ProtocolError('device-signature', 'the device did not prove its key')
				: new ProtocolError('key-confirmation', 'wrong password');
			return this.#fail(error, rotated ? 'password-replaced' : 'handshake-failed', retryAfterMs);
		}
		guard.succeed();
		this.#state = 'established';
		const channel = new SecureChannel(
			'agent',
			{ sessionId, send: p.secrets.agentTraffic, receive: p.secrets.consoleTraffic },
			this.#in.channel
		);
		return {
			outcome: 'established',
			send: [],
			channel,
			version: p.version,
			technicianId: p.ch.technicianId,
			deviceKey: p.ch.deviceKey,
			resumption: p.secrets.resumption
		};
	}
}
