/**
 * The message catalogue of the agent channel (docs/protocol.md, Part 2). One entry per message:
 * its type byte, who may send it, and its body. Handshake messages travel in clear frames;
 * application messages only inside sealed records. Types are inferred from the bodies.
 */
import {
	bool,
	bytes,
	enumeration,
	fixed,
	i16,
	list,
	str,
	struct,
	tail,
	u16,
	u32,
	u64,
	u8,
	type Codec,
	type StructCodec,
	type StructOf,
	type Fields
} from './codec';

export const CAPABILITIES = ['view', 'control', 'file-transfer', 'clipboard'] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const capability = enumeration(CAPABILITIES);
/** File transfer may be approved per file or for the rest of the session. */
export const consentScope = enumeration(['once', 'session'] as const);

/** Largest payload of one record: video key frames and file chunks stay below it. */
export const MAX_PAYLOAD = 16 * 1024 * 1024;
const NAME = 255;
const TEXT = 4096;
/** Clipboard text, in UTF-8 bytes: larger text is refused before it is sent. */
export const MAX_CLIPBOARD_BYTES = 65535;

const screen = struct({ id: u8, name: str(64), width: u16, height: u16, primary: bool });

type Sender = 'console' | 'agent' | 'both';
interface Entry<F extends Fields> {
	readonly id: number;
	readonly from: Sender;
	readonly body: StructCodec<F>;
}
const m = <F extends Fields>(id: number, from: Sender, fields: F): Entry<F> => ({
	id,
	from,
	body: struct(fields)
});

/** Sent in clear frames (kind 1) before any key exists. */
export const HANDSHAKE = {
	'client-hello': m(0x01, 'console', {
		versions: list(u16, 8),
		sessionId: fixed(16),
		share: fixed(32),
		technicianId: str(128),
		deviceKey: fixed(65)
	}),
	'server-hello': m(0x02, 'agent', {
		version: u16,
		versions: list(u16, 8),
		share: fixed(32),
		agentKeyId: str(64),
		signature: fixed(64),
		confirm: fixed(32)
	}),
	'client-finished': m(0x03, 'console', { signature: fixed(64), confirm: fixed(32) }),
	// Resumption after a dropped socket (docs/protocol.md, "Resumption"): a fresh ECDH P-256
	// share, keyed with the resumption secret of the previous connection's key schedule.
	'resume-hello': m(0x04, 'console', {
		versions: list(u16, 8),
		sessionId: fixed(16),
		ticketId: fixed(16),
		share: fixed(65)
	}),
	'resume-accept': m(0x05, 'agent', { version: u16, share: fixed(65), confirm: fixed(32) }),
	'resume-finished': m(0x06, 'console', { signature: fixed(64), confirm: fixed(32) })
} as const;

export const ALERT_CODES = [
	'handshake-failed',
	'retry-later',
	'password-replaced',
	'no-common-version',
	'device-not-whitelisted',
	'unknown-session',
	'busy',
	'protocol-error',
	'resume-refused'
] as const;
export type AlertCode = (typeof ALERT_CODES)[number];
/** Sent in clear frames (kind 3): the only thing said to a peer whose keys are not confirmed. */
export const alertBody = struct({
	code: enumeration(ALERT_CODES),
	retryAfterMs: u32,
	message: str(512)
});
export type Alert = StructOf<typeof alertBody.fields>;

export const GOODBYE_REASONS = [
	'ended-by-technician',
	'ended-by-customer',
	'consent-withdrawn',
	'protocol-error',
	'idle-timeout',
	'agent-shutdown',
	'replaced'
] as const;

export const DENY_REASONS = ['customer', 'phi', 'policy', 'unsupported', 'timeout'] as const;

/** Sent only inside sealed records (kind 2). */
export const APPLICATION = {
	'session-info': m(0x10, 'agent', {
		instrumentId: str(64),
		agentVersion: str(32),
		phi: bool,
		capabilities: list(capability, 8),
		screens: list(screen, 16),
		codecs: list(str(64), 16)
	}),
	/** The agent allows a resumption: a handle for the secret both sides derived (never sent). */
	'resume-ticket': m(0x11, 'agent', { ticketId: fixed(16), lifetimeMs: u32 }),
	'consent-request': m(0x20, 'console', {
		requestId: u32,
		capability,
		scope: consentScope,
		note: str(TEXT)
	}),
	'consent-grant': m(0x21, 'agent', {
		requestId: u32,
		capability,
		scope: consentScope,
		at: u64,
		signature: fixed(64)
	}),
	'consent-deny': m(0x22, 'agent', {
		requestId: u32,
		capability,
		reason: enumeration(DENY_REASONS),
		at: u64,
		signature: fixed(64)
	}),
	'consent-revoke': m(0x23, 'agent', { capability, at: u64, signature: fixed(64) }),
	'consent-release': m(0x24, 'console', { capability }),
	'stream-start': m(0x30, 'console', {
		screenId: u8,
		codecs: list(str(64), 16),
		maxWidth: u16,
		maxHeight: u16
	}),
	'video-config': m(0x31, 'agent', {
		screenId: u8,
		codec: str(64),
		width: u16,
		height: u16,
		description: bytes(4096),
		// VideoColorSpaceInit; '' is unspecified. VP8 and VP9 streams do not carry the range
		// in-band, and a decoder left to guess decodes full-range video as limited.
		primaries: str(16),
		transfer: str(16),
		matrix: str(16),
		range: enumeration(['unspecified', 'limited', 'full'] as const)
	}),
	'video-chunk': m(0x32, 'agent', {
		screenId: u8,
		key: bool,
		timestamp: u64,
		duration: u32,
		data: tail
	}),
	'keyframe-request': m(0x33, 'console', {
		screenId: u8,
		reason: enumeration(['start', 'decoder-error', 'gap', 'dropped', 'resize'] as const)
	}),
	'stream-stop': m(0x34, 'console', { screenId: u8 }),
	pointer: m(0x40, 'console', {
		screenId: u8,
		x: u16,
		y: u16,
		buttons: u8,
		action: enumeration(['move', 'down', 'up'] as const)
	}),
	wheel: m(0x41, 'console', { screenId: u8, x: u16, y: u16, dx: i16, dy: i16 }),
	key: m(0x42, 'console', {
		code: str(32),
		down: bool,
		modifiers: u8,
		text: str(16)
	}),
	'secure-attention': m(0x43, 'console', {}),
	'file-offer': m(0x50, 'both', {
		transferId: u32,
		name: str(NAME),
		size: u64,
		sha256: fixed(32),
		mime: str(128)
	}),
	'file-accept': m(0x51, 'both', { transferId: u32, offset: u64 }),
	'file-chunk': m(0x52, 'both', { transferId: u32, offset: u64, data: tail }),
	'file-ack': m(0x53, 'both', { transferId: u32, received: u64 }),
	'file-complete': m(0x54, 'both', { transferId: u32, sha256: fixed(32) }),
	'file-abort': m(0x55, 'both', {
		transferId: u32,
		reason: enumeration([
			'cancelled',
			'denied',
			'revoked',
			'phi',
			'integrity',
			'io-error',
			'too-large',
			'bad-offset'
		] as const),
		message: str(512)
	}),
	'file-list': m(0x56, 'agent', {
		files: list(struct({ name: str(NAME), size: u64, mime: str(128) }), 64)
	}),
	'file-request': m(0x57, 'console', { transferId: u32, name: str(NAME) }),
	chat: m(0x60, 'both', { messageId: u32, at: u64, text: str(TEXT) }),
	'chat-ack': m(0x61, 'both', { messageId: u32 }),
	clipboard: m(0x62, 'both', { text: str(MAX_CLIPBOARD_BYTES) }),
	ping: m(0x70, 'both', { nonce: u32, sentAt: u64 }),
	pong: m(0x71, 'both', { nonce: u32, sentAt: u64 }),
	stats: m(0x72, 'agent', {
		fps: u16,
		bitrateKbps: u32,
		encodeMs: u16,
		queue: u16
	}),
	rekey: m(0x7e, 'both', { epoch: u32 }),
	goodbye: m(0x7f, 'both', { reason: enumeration(GOODBYE_REASONS), message: str(512) })
} as const;

type Catalogue = typeof HANDSHAKE & typeof APPLICATION;
type BodyOf<E> = E extends Entry<infer F> ? StructOf<F> : never;

export type HandshakeType = keyof typeof HANDSHAKE;
export type AppType = keyof typeof APPLICATION;
export type MessageType = keyof Catalogue;
export type Body<T extends MessageType> = BodyOf<Catalogue[T]>;

/** A discriminated union of every application message: `{ type: 'chat', messageId, at, text }`. */
export type AppMessage = { [T in AppType]: { type: T } & Body<T> }[AppType];
export type HandshakeMessage = { [T in HandshakeType]: { type: T } & Body<T> }[HandshakeType];

export const CATALOGUE: Record<MessageType, Entry<Fields>> = { ...HANDSHAKE, ...APPLICATION };

const byId = new Map<number, MessageType>(
	Object.entries(CATALOGUE).map(([name, e]) => [e.id, name as MessageType])
);
export function typeOfId(id: number): MessageType | undefined {
	return byId.get(id);
}
export function isAppType(t: MessageType): t is AppType {
	return t in APPLICATION;
}

/** The body codec of a message type, typed by its name. */
export function bodyCodec<T extends MessageType>(type: T): Codec<Body<T>> {
	return CATALOGUE[type].body as unknown as Codec<Body<T>>;
}
