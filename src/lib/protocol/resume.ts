/**
 * Resumption after a dropped socket (docs/protocol.md, "Resumption"). No password: the console
 * proves the resumption secret both sides derived from the previous connection's key schedule,
 * over a fresh ECDH P-256 exchange (new traffic keys, forward secrecy), with key confirmation
 * both ways and the trusted device's signature. The agent's ticket is single use and expires.
 */
import { bufferSource, concat, equalBytes } from './bytes';
import { encode, fixed, struct, u16 } from './codec';
import { ProtocolError } from './errors';
import type { Frame } from './framing';
import {
	alertFrame,
	consoleFinished,
	expectHandshake,
	handshakeFrame,
	SUPPORTED_VERSIONS,
	type AgentStep,
	type Established
} from './handshake';
import { hkdf, hmacSha256, sha256, label } from './kdf';
import { SecureChannel, deriveSecrets, type ChannelOptions } from './channel';
import { verify, type Identity } from './identity';
import { bodyCodec, type Body } from './messages';

const ECDH = { name: 'ECDH', namedCurve: 'P-256' } as const;
const acceptCore = struct({ version: u16, share: fixed(65) });

/** What the console keeps (in the stream worker's memory only) to resume a session. */
export interface ResumeTicket {
	ticketId: Uint8Array;
	/** The resumption secret of the connection that received the ticket. */
	secret: Uint8Array;
	/** The protocol version of that connection: a resumption keeps it. */
	version: number;
}

async function ephemeral() {
	const pair = await crypto.subtle.generateKey(ECDH, false, ['deriveBits']);
	const share = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
	return { privateKey: pair.privateKey, share };
}

async function sharedSecret(own: CryptoKey, peer: Uint8Array): Promise<Uint8Array> {
	let key: CryptoKey;
	try {
		key = await crypto.subtle.importKey('raw', bufferSource(peer), ECDH, false, []);
	} catch {
		throw new ProtocolError('invalid-share', 'not a P-256 point');
	}
	return new Uint8Array(await crypto.subtle.deriveBits({ name: 'ECDH', public: key }, own, 256));
}

/** Both sides' secrets for the resumed connection, bound to the transcript so far (TH1). */
async function resumeSecrets(
	secret: Uint8Array,
	dh: Uint8Array,
	sessionId: Uint8Array,
	th1: Uint8Array
) {
	const isk = await hkdf(concat(secret, dh), sessionId, concat(label('resume'), th1));
	return deriveSecrets(isk, sessionId);
}

const th1Of = (rh: Uint8Array, core: Body<'resume-accept'>) =>
	sha256(concat(label('resume th1'), rh, encode(acceptCore, core)));
const th2Of = (th1: Uint8Array, ra: Uint8Array) => sha256(concat(label('resume th2'), th1, ra));

export interface ConsoleResumeInput {
	ticket: ResumeTicket;
	sessionId: Uint8Array;
	device: Identity;
	versions?: readonly number[];
	channel?: ChannelOptions;
}

/** The console's side, shaped like `ConsoleHandshake`: `start()`, then `receive(resume-accept)`. */
export class ConsoleResume {
	readonly #in: ConsoleResumeInput;
	readonly #key: { privateKey: CryptoKey; share: Uint8Array };
	#hello: Uint8Array | null = null;
	#done = false;

	private constructor(
		input: ConsoleResumeInput,
		key: { privateKey: CryptoKey; share: Uint8Array }
	) {
		this.#in = input;
		this.#key = key;
	}

	static async create(input: ConsoleResumeInput): Promise<ConsoleResume> {
		return new ConsoleResume(input, await ephemeral());
	}

	start(): Uint8Array {
		if (this.#hello) throw new ProtocolError('handshake-state', 'already started');
		const body = {
			versions: [...(this.#in.versions ?? SUPPORTED_VERSIONS)],
			sessionId: this.#in.sessionId,
			ticketId: this.#in.ticket.ticketId,
			share: this.#key.share
		};
		this.#hello = encode(bodyCodec('resume-hello'), body);
		return handshakeFrame('resume-hello', body);
	}

	async receive(frame: Frame): Promise<Established & { finished: Uint8Array }> {
		if (!this.#hello || this.#done) throw new ProtocolError('handshake-state', 'not expected');
		this.#done = true;
		const { ticket, sessionId, device } = this.#in;
		const ra = expectHandshake(frame, 'resume-accept');
		if (ra.version !== ticket.version)
			throw new ProtocolError('downgrade', `resumed as v${ra.version}, was v${ticket.version}`);
		const th1 = await th1Of(this.#hello, ra);
		const dh = await sharedSecret(this.#key.privateKey, ra.share);
		const secrets = await resumeSecrets(ticket.secret, dh, sessionId, th1);
		// Only the agent that holds the resumption secret can confirm: a third party cannot.
		if (!equalBytes(await hmacSha256(secrets.agentConfirm, th1), ra.confirm))
			throw new ProtocolError('key-confirmation', 'the agent did not prove the resumption secret');
		const th2 = await th2Of(th1, encode(bodyCodec('resume-accept'), ra));
		return consoleFinished('resume-finished', 'console resume signature', th2, secrets, {
			sessionId,
			device,
			version: ra.version,
			...(this.#in.channel ? { channel: this.#in.channel } : {})
		});
	}
}

/** What the agent kept when it issued a ticket. */
export interface AgentTicket {
	secret: Uint8Array;
	version: number;
	technicianId: string;
	/** The trusted device of the connection that got the ticket: only it may resume. */
	deviceKey: Uint8Array;
}

export type TicketLookup =
	| { ok: true; ticket: AgentTicket }
	| { ok: false; reason: 'unknown' | 'used' | 'expired' | 'other-session' };

export interface AgentResumeInput {
	sessionId: Uint8Array;
	/** Takes the ticket out of the agent's store: a ticket is good for one attempt only. */
	take(ticketId: Uint8Array): TicketLookup;
	channel?: ChannelOptions;
}

/** The same steps as the first handshake's agent side. */
export type AgentResumeStep = AgentStep;

/** The agent's side: `receive(resume-hello)`, then `receive(resume-finished)`. */
export class AgentResume {
	readonly #in: AgentResumeInput;
	#state: 'awaiting-hello' | 'awaiting-finished' | 'done' = 'awaiting-hello';
	#pending: {
		ticket: AgentTicket;
		th1: Uint8Array;
		ra: Uint8Array;
		secrets: Awaited<ReturnType<typeof deriveSecrets>>;
	} | null = null;

	constructor(input: AgentResumeInput) {
		this.#in = input;
	}

	async receive(frame: Frame): Promise<AgentResumeStep> {
		try {
			if (this.#state === 'awaiting-hello')
				return await this.#onHello(expectHandshake(frame, 'resume-hello'));
			if (this.#state === 'awaiting-finished')
				return await this.#onFinished(expectHandshake(frame, 'resume-finished'));
			throw new ProtocolError('handshake-state', 'resumption already done');
		} catch (e) {
			if (!(e instanceof ProtocolError)) throw e;
			return this.#fail(e);
		}
	}

	#fail(error: ProtocolError): AgentResumeStep {
		this.#state = 'done';
		const code = error.code === 'resume-refused' ? 'resume-refused' : 'protocol-error';
		return { outcome: 'failed', send: [alertFrame(code, error.message)], error };
	}

	async #onHello(rh: Body<'resume-hello'>): Promise<AgentResumeStep> {
		if (!equalBytes(rh.sessionId, this.#in.sessionId))
			throw new ProtocolError('resume-refused', 'other session');
		const found = this.#in.take(rh.ticketId);
		if (!found.ok) throw new ProtocolError('resume-refused', `ticket ${found.reason}`);
		const { ticket } = found;
		if (!rh.versions.includes(ticket.version))
			throw new ProtocolError('resume-refused', 'version no longer offered');
		const key = await ephemeral();
		const core = { version: ticket.version, share: key.share, confirm: new Uint8Array(32) };
		const th1 = await th1Of(encode(bodyCodec('resume-hello'), rh), core);
		const dh = await sharedSecret(key.privateKey, rh.share);
		const secrets = await resumeSecrets(ticket.secret, dh, this.#in.sessionId, th1);
		const ra = { ...core, confirm: await hmacSha256(secrets.agentConfirm, th1) };
		this.#pending = { ticket, th1, ra: encode(bodyCodec('resume-accept'), ra), secrets };
		this.#state = 'awaiting-finished';
		return { outcome: 'continue', send: [handshakeFrame('resume-accept', ra)] };
	}

	async #onFinished(rf: Body<'resume-finished'>): Promise<AgentResumeStep> {
		const p = this.#pending!;
		const th2 = await th2Of(p.th1, p.ra);
		if (!equalBytes(await hmacSha256(p.secrets.consoleConfirm, th2), rf.confirm))
			throw new ProtocolError('resume-refused', 'key confirmation failed');
		const message = concat(label('console resume signature'), th2);
		if (!(await verify(p.ticket.deviceKey, rf.signature, message)))
			throw new ProtocolError('resume-refused', 'not the device the ticket was issued to');
		this.#state = 'done';
		const channel = new SecureChannel(
			'agent',
			{
				sessionId: this.#in.sessionId,
				send: p.secrets.agentTraffic,
				receive: p.secrets.consoleTraffic
			},
			this.#in.channel
		);
		return {
			outcome: 'established',
			send: [],
			channel,
			version: p.ticket.version,
			technicianId: p.ticket.technicianId,
			deviceKey: p.ticket.deviceKey,
			resumption: p.secrets.resumption
		};
	}
}
