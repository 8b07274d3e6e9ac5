/**
 * Broker REST API v1 (docs/protocol.md, Part 1): the DTOs the console and the broker exchange and
 * strict validators for every reply the console reads. A validator never throws: it returns the
 * value or the path of the first bad field (`$.instruments[2].agentKey`). Its value holds only
 * the documented fields, so whatever else a broker sends never reaches the app.
 */
import { base64urlDecode } from './base64url';
import { utf8 } from './bytes';
import { CAPABILITIES, type Capability } from './messages';

export const BROKER_PROTOCOL_VERSION = 1;

export const BROKER_API_PATHS = {
	health: '/api/v1/health',
	authPassword: '/api/v1/auth/password',
	authTotp: '/api/v1/auth/totp',
	authWebAuthnOptions: '/api/v1/auth/webauthn/options',
	authWebAuthnVerify: '/api/v1/auth/webauthn/verify',
	authSignOut: '/api/v1/auth/sign-out',
	passkeyOptions: '/api/v1/account/passkeys/options',
	passkeys: '/api/v1/account/passkeys',
	devices: '/api/v1/devices',
	device: '/api/v1/devices/{deviceId}',
	deviceApprove: '/api/v1/devices/{deviceId}/approve',
	instruments: '/api/v1/instruments',
	sessions: '/api/v1/sessions',
	audit: '/api/v1/audit'
} as const;
export type BrokerEndpoint = keyof typeof BROKER_API_PATHS;

export const BROKER_API_METHODS: Record<BrokerEndpoint, 'GET' | 'POST'> = {
	health: 'GET',
	authPassword: 'POST',
	authTotp: 'POST',
	authWebAuthnOptions: 'POST',
	authWebAuthnVerify: 'POST',
	authSignOut: 'POST',
	passkeyOptions: 'POST',
	passkeys: 'POST',
	devices: 'POST',
	device: 'GET',
	deviceApprove: 'POST',
	instruments: 'GET',
	sessions: 'POST',
	audit: 'POST'
};

/** The path of an endpoint with its `{name}` placeholders filled in, percent-encoded. */
export function brokerPath(endpoint: BrokerEndpoint, params: Record<string, string> = {}): string {
	return BROKER_API_PATHS[endpoint].replace(/\{(\w+)\}/g, (_, name: string) => {
		const value = params[name];
		if (value === undefined) throw new RangeError(`missing path parameter ${name}`);
		return encodeURIComponent(value);
	});
}

export const MAX_TEXT = 1000;
export const MAX_AUDIT_BATCH = 500;
export const MAX_INSTRUMENTS_LIMIT = 500;

/** HTTP status of every error code (Part 1, "Errors"). The list is closed for v1. */
export const BROKER_ERROR_STATUS = {
	'bad-request': 400,
	'invalid-credentials': 401,
	'second-factor-required': 401,
	'totp-invalid': 401,
	'totp-reused': 401,
	'webauthn-invalid': 401,
	'challenge-expired': 401,
	'device-unknown': 403,
	'device-pending': 403,
	'device-revoked': 403,
	'device-signature-invalid': 401,
	unauthorized: 401,
	forbidden: 403,
	'not-whitelisted': 403,
	'not-found': 404,
	'instrument-offline': 409,
	'agent-busy': 409,
	'payload-too-large': 413,
	'rate-limited': 429,
	internal: 500,
	unavailable: 503
} as const;
export type BrokerErrorCode = keyof typeof BROKER_ERROR_STATUS;
export const BROKER_ERROR_CODES = Object.keys(BROKER_ERROR_STATUS) as BrokerErrorCode[];

// ---------------------------------------------------------------- the relay (Part 1, "Relay")

export const RELAY_PATH = '/relay/v1/{sessionId}';
export const RELAY_SUBPROTOCOL = 'benchside.v1';
export const RELAY_TOKEN_PREFIX = 'benchside.token.';
/** Browsers cannot set headers on a WebSocket: the token rides in the second subprotocol. */
export function relaySubprotocols(accessToken: string): [string, string] {
	return [RELAY_SUBPROTOCOL, RELAY_TOKEN_PREFIX + accessToken];
}
/** Close codes the relay sends (4000-4999 are private use, RFC 6455 §7.4.2): 4000 + HTTP status. */
export const RELAY_CLOSE_CODES = {
	unauthorized: 4401,
	forbidden: 4403,
	'session-unknown': 4404,
	'session-taken': 4409,
	'peer-gone': 4410,
	'rate-limited': 4429
} as const;

/** What the device key signs at sign-in: domain-separated, bound to the sign-in challenge. */
export function deviceProofMessage(challengeId: string, deviceChallenge: string): Uint8Array {
	return utf8.encode(`benchside-device-proof-v1\n${challengeId}\n${deviceChallenge}`);
}

// ---------------------------------------------------------------- DTOs

export const INSTRUMENT_KINDS = [
	'haematology',
	'chemistry',
	'flow-cytometry',
	'liquid-handler',
	'immunoassay',
	'other'
] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];
export const SECOND_FACTOR_METHODS = ['totp', 'webauthn'] as const;
export type SecondFactorMethod = (typeof SECOND_FACTOR_METHODS)[number];
export const DEVICE_STATUSES = ['pending', 'approved', 'revoked'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

/** Timestamps are UTC as `Date.prototype.toISOString()` writes them. */
type IsoTime = string;
/** Unpadded base64url (src/lib/protocol/base64url.ts). */
type Base64url = string;

export interface HealthResponse {
	status: 'ok';
	protocol: number;
	broker: string;
}
export interface PasswordRequest {
	email: string;
	password: string;
	deviceId?: Base64url;
}
export interface PasswordResponse {
	step: 'second-factor';
	challengeId: string;
	methods: SecondFactorMethod[];
	expiresAt: IsoTime;
	/** 32 random bytes; present exactly when the request named a deviceId. */
	deviceChallenge?: Base64url;
}
export interface TotpRequest {
	challengeId: string;
	code: string;
	deviceSignature?: Base64url;
}
export interface Technician {
	id: string;
	name: string;
	email: string;
	trainedRegions?: string[];
}
/** The reply to the second factor, TOTP or WebAuthn alike. */
export type SecondFactorResponse =
	| { step: 'device-registration-required'; challengeId: string; expiresAt: IsoTime }
	| { step: 'signed-in'; accessToken: string; expiresAt: IsoTime; technician: Technician };
export interface WebAuthnOptionsRequest {
	challengeId: string;
}
/** `publicKey` is PublicKeyCredentialRequestOptionsJSON (WebAuthn Level 3). */
export interface WebAuthnOptionsResponse {
	publicKey: {
		challenge: Base64url;
		rpId: string;
		timeout?: number;
		allowCredentials?: { type: 'public-key'; id: Base64url; transports?: string[] }[];
		userVerification?: 'required' | 'preferred' | 'discouraged';
	};
}
export interface WebAuthnVerifyRequest {
	challengeId: string;
	/** PublicKeyCredential.toJSON() of the assertion (AuthenticationResponseJSON). */
	credential: {
		id: Base64url;
		rawId: Base64url;
		type: 'public-key';
		response: {
			clientDataJSON: Base64url;
			authenticatorData: Base64url;
			signature: Base64url;
			userHandle?: Base64url;
		};
		authenticatorAttachment?: string;
		clientExtensionResults: Record<string, JsonValue>;
	};
	deviceSignature?: Base64url;
}
/** `publicKey` is PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3), ES256 only. */
export interface PasskeyOptionsResponse {
	publicKey: {
		challenge: Base64url;
		rp: { id: string; name: string };
		user: { id: Base64url; name: string; displayName: string };
		pubKeyCredParams: { type: 'public-key'; alg: number }[];
		timeout?: number;
		excludeCredentials?: { type: 'public-key'; id: Base64url; transports?: string[] }[];
		authenticatorSelection?: {
			residentKey?: 'discouraged' | 'preferred' | 'required';
			userVerification?: 'required' | 'preferred' | 'discouraged';
		};
		attestation?: 'none';
	};
}
export interface PasskeyRegistrationRequest {
	/** PublicKeyCredential.toJSON() of the new credential (RegistrationResponseJSON). */
	credential: {
		id: Base64url;
		rawId: Base64url;
		type: 'public-key';
		response: {
			clientDataJSON: Base64url;
			attestationObject: Base64url;
			transports?: string[];
		};
		authenticatorAttachment?: string;
		clientExtensionResults: Record<string, JsonValue>;
	};
	label: string;
}
export interface PasskeyRegistered {
	credentialId: Base64url;
	label: string;
	createdAt: IsoTime;
}
export interface DeviceRegistrationRequest {
	challengeId: string;
	deviceId: Base64url;
	publicKey: Base64url;
	label: string;
	userAgent: string;
}
export interface DeviceRegisteredResponse {
	status: 'pending-approval';
	deviceId: Base64url;
}
export interface DeviceStatusResponse {
	deviceId: Base64url;
	status: DeviceStatus;
}
export interface DeviceApprovalRequest {
	approvalToken: string;
}
export interface Site {
	id: string;
	name: string;
	/** ISO 3166-1 alpha-2. */
	country: string;
}
export interface Instrument {
	id: string;
	name: string;
	kind: InstrumentKind;
	model: string;
	serial: string;
	site: Site;
	softwareVersion: string;
	online: boolean;
	lastSeenAt: IsoTime | null;
	agentKey: Base64url;
	agentKeyId: string;
	/** Present after a rotation the agent announced: the keyId this key replaces. */
	previousAgentKeyId?: string;
	/** When the broker published the rotated key; present exactly with previousAgentKeyId. */
	agentKeyRotatedAt?: IsoTime;
	phi: boolean;
	capabilities: Capability[];
	screens: number;
}
export interface InstrumentsQuery {
	cursor?: string;
	limit?: number;
}
export interface InstrumentsPage {
	instruments: Instrument[];
	nextCursor?: string;
}
export interface SessionRequest {
	instrumentId: string;
}
export interface SessionCreated {
	sessionId: Base64url;
	relayUrl: string;
	expiresAt: IsoTime;
	instrument: Instrument;
}
export type JsonValue =
	null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export interface AuditEvent {
	id: string;
	sessionId?: Base64url;
	type: string;
	at: IsoTime;
	data: { [key: string]: JsonValue };
	prevHash?: Base64url;
	hash?: Base64url;
}
export interface AuditBatch {
	events: AuditEvent[];
}
export interface AuditResult {
	accepted: string[];
	duplicates: string[];
}
export interface BrokerErrorBody {
	error: { code: BrokerErrorCode; message: string; retryAfter?: number };
}

// ---------------------------------------------------------------- combinators

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };
type P<T> = (v: unknown, path: string) => T;
interface Opt<T> {
	readonly opt: P<T>;
}
type Shape = Record<string, P<unknown> | Opt<unknown>>;
type Out<S extends Shape> = {
	[K in keyof S as S[K] extends Opt<unknown> ? never : K]: S[K] extends P<infer T> ? T : never;
} & {
	[K in keyof S as S[K] extends Opt<unknown> ? K : never]?: S[K] extends Opt<infer T> ? T : never;
};

class Invalid {
	constructor(readonly path: string) {}
}
const bad = (path: string): never => {
	throw new Invalid(path);
};

/** Control characters and bidi overrides: no place in names shown to people or written to logs. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const str =
	(max = MAX_TEXT, pattern?: RegExp): P<string> =>
	(v, p) =>
		typeof v === 'string' && v.length > 0 && v.length <= max && !UNSAFE.test(v)
			? pattern && !pattern.test(v)
				? bad(p)
				: v
			: bad(p);
const int =
	(min: number, max: number): P<number> =>
	(v, p) =>
		typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? v : bad(p);
const bool: P<boolean> = (v, p) => (typeof v === 'boolean' ? v : bad(p));
const oneOf =
	<const T extends readonly string[]>(values: T): P<T[number]> =>
	(v, p) =>
		(values as readonly unknown[]).includes(v) ? (v as T[number]) : bad(p);
const optional = <T>(opt: P<T>): Opt<T> => ({ opt });
const nullable =
	<T>(inner: P<T>): P<T | null> =>
	(v, p) =>
		v === null ? null : inner(v, p);
const arr =
	<T>(item: P<T>, max: number, min = 0, unique = false): P<T[]> =>
	(v, p) => {
		if (!Array.isArray(v) || v.length < min || v.length > max) return bad(p);
		const out = v.map((x, i) => item(x, `${p}[${i}]`));
		const dup = unique ? out.findIndex((x, i) => out.indexOf(x) !== i) : -1;
		return dup < 0 ? out : bad(`${p}[${dup}]`);
	};
const obj =
	<S extends Shape>(shape: S): P<Out<S>> =>
	(v, p) => {
		if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(p);
		const out: Record<string, unknown> = {};
		for (const [key, field] of Object.entries(shape)) {
			const has = Object.hasOwn(v, key);
			const value = has ? (v as Record<string, unknown>)[key] : undefined;
			if (typeof field === 'function') out[key] = field(value, `${p}.${key}`);
			else if (has) out[key] = field.opt(value, `${p}.${key}`);
		}
		return out as Out<S>;
	};
/** A union told apart by `key`; each variant checks its own tag. */
const tagged =
	<V extends Record<string, P<object>>>(key: string, variants: V): P<ReturnType<V[keyof V]>> =>
	(v, p) => {
		if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(p);
		const tag = Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined;
		if (typeof tag !== 'string' || !Object.hasOwn(variants, tag)) return bad(`${p}.${key}`);
		return variants[tag]!(v, p) as ReturnType<V[keyof V]>;
	};
/** base64url of minBytes..maxBytes bytes, optionally with a fixed first byte. */
const b64 =
	(minBytes: number, maxBytes = minBytes, first?: number): P<string> =>
	(v, p) => {
		const bytes = typeof v === 'string' && v.length <= 2 * maxBytes ? base64urlDecode(v) : null;
		const fits = bytes && bytes.length >= minBytes && bytes.length <= maxBytes;
		return fits && (first === undefined || bytes[0] === first) ? (v as string) : bad(p);
	};
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const time: P<IsoTime> = (v, p) =>
	typeof v === 'string' && ISO_TIME.test(v) && !Number.isNaN(Date.parse(v)) ? v : bad(p);

function parser<T>(parse: P<T>): (json: unknown) => Parsed<T> {
	return (json) => {
		try {
			return { ok: true, value: parse(json, '$') };
		} catch (e) {
			// Only Invalid is expected; anything else (a hostile Proxy, say) is still a refusal.
			return { ok: false, error: e instanceof Invalid ? e.path : '$' };
		}
	};
}

// ---------------------------------------------------------------- the replies

/** Opaque ids: safe in URLs, logs and the agent handshake's str(64) fields. */
const id = str(64, /^[A-Za-z0-9._~:-]+$/);
const id16 = b64(16);
const text = str();
const uuid = str(36, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
/** An RFC 7230 token, so that it can travel as a WebSocket subprotocol. */
const accessToken = str(2048, /^[A-Za-z0-9._~-]{16,}$/);
const email = str(320, /^[^\s@]+@[^\s@]+$/);

const healthP: P<HealthResponse> = obj({
	status: oneOf(['ok']),
	protocol: int(1, 0xffff),
	broker: text
});
const passwordP: P<PasswordResponse> = obj({
	step: oneOf(['second-factor']),
	challengeId: id,
	methods: arr(oneOf(SECOND_FACTOR_METHODS), 2, 1, true),
	expiresAt: time,
	deviceChallenge: optional(b64(32))
});
const secondFactorP: P<SecondFactorResponse> = tagged('step', {
	'device-registration-required': obj({
		step: oneOf(['device-registration-required']),
		challengeId: id,
		expiresAt: time
	}),
	'signed-in': obj({
		step: oneOf(['signed-in']),
		accessToken,
		expiresAt: time,
		technician: obj({
			id,
			name: text,
			email,
			trainedRegions: optional(arr(str(100), 500, 0, true))
		})
	})
});
const credentialDescriptors = optional(
	arr(
		obj({
			type: oneOf(['public-key']),
			id: b64(1, 1023),
			transports: optional(arr(str(32, /^[a-z-]+$/), 8))
		}),
		100
	)
);
const userVerification = optional(oneOf(['required', 'preferred', 'discouraged']));
const webAuthnOptionsP: P<WebAuthnOptionsResponse> = obj({
	publicKey: obj({
		challenge: b64(16, 64),
		rpId: str(253, /^[a-z0-9.-]+$/),
		timeout: optional(int(1000, 600_000)),
		allowCredentials: credentialDescriptors,
		userVerification
	})
});
const passkeyOptionsP: P<PasskeyOptionsResponse> = obj({
	publicKey: obj({
		challenge: b64(16, 64),
		rp: obj({ id: str(253, /^[a-z0-9.-]+$/), name: str(100) }),
		user: obj({ id: b64(1, 64), name: str(320), displayName: str(100) }),
		pubKeyCredParams: arr(obj({ type: oneOf(['public-key']), alg: int(-65535, 65535) }), 10, 1),
		timeout: optional(int(1000, 600_000)),
		excludeCredentials: credentialDescriptors,
		authenticatorSelection: optional(
			obj({
				residentKey: optional(oneOf(['discouraged', 'preferred', 'required'])),
				userVerification
			})
		),
		attestation: optional(oneOf(['none']))
	})
});
const passkeyRegisteredP: P<PasskeyRegistered> = obj({
	credentialId: b64(1, 1023),
	label: str(100),
	createdAt: time
});
const deviceRegisteredP: P<DeviceRegisteredResponse> = obj({
	status: oneOf(['pending-approval']),
	deviceId: id16
});
const deviceStatusP: P<DeviceStatusResponse> = obj({
	deviceId: id16,
	status: oneOf(DEVICE_STATUSES)
});
const instrumentFields = obj({
	id,
	name: text,
	kind: oneOf(INSTRUMENT_KINDS),
	model: text,
	serial: text,
	site: obj({ id, name: text, country: str(2, /^[A-Z]{2}$/) }),
	softwareVersion: text,
	online: bool,
	lastSeenAt: nullable(time),
	agentKey: b64(65, 65, 0x04),
	agentKeyId: id,
	previousAgentKeyId: optional(id),
	agentKeyRotatedAt: optional(time),
	phi: bool,
	capabilities: arr(oneOf(CAPABILITIES), CAPABILITIES.length, 0, true),
	screens: int(0, 16)
});
/**
 * Instruments with protected health information never offer file transfer or clipboard; the
 * rotation fields come together and name another key.
 */
const instrumentP: P<Instrument> = (v, p) => {
	const instrument = instrumentFields(v, p);
	const leaky = instrument.capabilities.some((c) => c === 'file-transfer' || c === 'clipboard');
	if (instrument.phi && leaky) return bad(`${p}.capabilities`);
	const { previousAgentKeyId: previous, agentKeyRotatedAt: at } = instrument;
	if ((previous === undefined) !== (at === undefined)) return bad(`${p}.agentKeyRotatedAt`);
	return previous === instrument.agentKeyId ? bad(`${p}.previousAgentKeyId`) : instrument;
};
const instrumentsPageP: P<InstrumentsPage> = obj({
	instruments: arr(instrumentP, MAX_INSTRUMENTS_LIMIT),
	nextCursor: optional(str(MAX_TEXT, /^[\x21-\x7e]+$/))
});
const RELAY_URL =
	/^(?:wss:\/\/[A-Za-z0-9.-]+|ws:\/\/(?:localhost|127\.0\.0\.1))(?::\d{1,5})?(?:\/[A-Za-z0-9._~-]+)*\/relay\/v1\/([A-Za-z0-9_-]+)$/;
const sessionFields = obj({
	sessionId: id16,
	relayUrl: str(MAX_TEXT, RELAY_URL),
	expiresAt: time,
	instrument: instrumentP
});
/** The relay URL must name this session: a reply cannot send the console into another one. */
const sessionCreatedP: P<SessionCreated> = (v, p) => {
	const session = sessionFields(v, p);
	const named = RELAY_URL.exec(session.relayUrl)?.[1];
	return named === session.sessionId ? session : bad(`${p}.relayUrl`);
};
const auditResultP: P<AuditResult> = obj({
	accepted: arr(uuid, MAX_AUDIT_BATCH, 0, true),
	duplicates: arr(uuid, MAX_AUDIT_BATCH, 0, true)
});
const errorFields = obj({
	error: obj({
		code: oneOf(BROKER_ERROR_CODES),
		message: text,
		retryAfter: optional(int(0, 86_400))
	})
});
/** retryAfter is required with rate-limited, allowed with unavailable, and nowhere else. */
const brokerErrorP: P<BrokerErrorBody> = (v, p) => {
	const body = errorFields(v, p);
	const { code, retryAfter } = body.error;
	const ok = code === 'rate-limited' ? retryAfter !== undefined : retryAfter === undefined;
	return ok || code === 'unavailable' ? body : bad(`${p}.error.retryAfter`);
};

export const parseHealth = parser(healthP);
export const parsePasswordResponse = parser(passwordP);
export const parseSecondFactorResponse = parser(secondFactorP);
export const parseWebAuthnOptions = parser(webAuthnOptionsP);
export const parsePasskeyOptions = parser(passkeyOptionsP);
export const parsePasskeyRegistered = parser(passkeyRegisteredP);
export const parseDeviceRegistered = parser(deviceRegisteredP);
export const parseDeviceStatus = parser(deviceStatusP);
export const parseInstrumentsPage = parser(instrumentsPageP);
export const parseSessionCreated = parser(sessionCreatedP);
export const parseAuditResult = parser(auditResultP);
export const parseBrokerError = parser(brokerErrorP);
