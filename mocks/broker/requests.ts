/**
 * The broker's side of the request contract: what broker-api.ts validates for replies, checked
 * here for requests. Each parser returns the typed request or null (the endpoint's bad-request);
 * unknown fields are dropped, as Part 1 "Conventions" asks of both sides.
 */
import { base64urlDecode } from '../../src/lib/protocol/base64url';
import {
	MAX_AUDIT_BATCH,
	MAX_TEXT,
	type AuditBatch,
	type AuditEvent,
	type DeviceRegistrationRequest,
	type JsonValue,
	type PasskeyRegistrationRequest,
	type PasswordRequest,
	type SessionRequest,
	type TotpRequest,
	type WebAuthnVerifyRequest
} from '../../src/lib/protocol/broker-api';
import { utf8 } from '../../src/lib/protocol/bytes';

type Fields = { readonly [key: string]: unknown };

function fields(v: unknown): Fields | null {
	return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Fields) : null;
}

// The same rule broker-api.ts applies to reply strings (Part 1, "Conventions"); it keeps its
// regex private, so the request side states it again.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function isText(v: unknown, max = MAX_TEXT): v is string {
	return typeof v === 'string' && v.length > 0 && v.length <= max && !UNSAFE.test(v);
}
export function isId(v: unknown): v is string {
	return isText(v, 64) && /^[A-Za-z0-9._~:-]+$/.test(v);
}
export function isUuid(v: unknown): v is string {
	return (
		typeof v === 'string' &&
		/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v)
	);
}
/** Canonical unpadded base64url of exactly `bytes` bytes. */
export function isB64(v: unknown, bytes: number): v is string {
	return typeof v === 'string' && base64urlDecode(v)?.length === bytes;
}
const isTime = (v: unknown): v is string =>
	typeof v === 'string' &&
	/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/.test(v) &&
	!Number.isNaN(Date.parse(v));
const optional = <T>(v: unknown, check: (v: unknown) => v is T): v is T | undefined =>
	v === undefined || check(v);

export function parsePasswordRequest(json: unknown): PasswordRequest | null {
	const f = fields(json);
	if (!f) return null;
	const { email, password, deviceId } = f;
	if (typeof email !== 'string' || email.length === 0 || email.length > 320) return null;
	if (typeof password !== 'string' || password.length === 0 || password.length > 1024) return null;
	if (!optional(deviceId, (v) => isB64(v, 16))) return null;
	return deviceId === undefined ? { email, password } : { email, password, deviceId };
}

export function parseTotpRequest(json: unknown): TotpRequest | null {
	const f = fields(json);
	if (!f) return null;
	const { challengeId, code, deviceSignature } = f;
	if (!isId(challengeId) || typeof code !== 'string' || !/^\d{6}$/.test(code)) return null;
	if (!optional(deviceSignature, (v) => isB64(v, 64))) return null;
	return deviceSignature === undefined
		? { challengeId, code }
		: { challengeId, code, deviceSignature };
}

/** Unpadded base64url of 1..max bytes (WebAuthn's binary fields as toJSON() writes them). */
function isB64Up(v: unknown, max: number): v is string {
	if (typeof v !== 'string' || v.length > Math.ceil((max * 4) / 3)) return false;
	const bytes = base64urlDecode(v);
	return bytes !== null && bytes.length > 0;
}

export function parseWebAuthnOptionsRequest(json: unknown): { challengeId: string } | null {
	const challengeId = fields(json)?.challengeId;
	return isId(challengeId) ? { challengeId } : null;
}

/** The common part of RegistrationResponseJSON and AuthenticationResponseJSON. */
function credentialOf(json: unknown): { id: string; response: Fields; rest: Fields } | null {
	const f = fields(json);
	const response = fields(f?.response);
	if (!f || !response || f.type !== 'public-key' || !isB64Up(f.id, 1023) || f.rawId !== f.id)
		return null;
	if (f.clientExtensionResults !== undefined && !fields(f.clientExtensionResults)) return null;
	return { id: f.id, response, rest: f };
}

export function parseWebAuthnVerifyRequest(json: unknown): WebAuthnVerifyRequest | null {
	const f = fields(json);
	const credential = credentialOf(f?.credential);
	if (!f || !credential || !isId(f.challengeId)) return null;
	const { clientDataJSON, authenticatorData, signature, userHandle } = credential.response;
	if (!isB64Up(clientDataJSON, 4096) || !isB64Up(authenticatorData, 4096)) return null;
	if (!isB64Up(signature, 256) || !optional(userHandle, (v) => isB64Up(v, 64))) return null;
	if (!optional(f.deviceSignature, (v) => isB64(v, 64))) return null;
	const request: WebAuthnVerifyRequest = {
		challengeId: f.challengeId,
		credential: {
			id: credential.id,
			rawId: credential.id,
			type: 'public-key',
			response: { clientDataJSON, authenticatorData, signature },
			clientExtensionResults: {}
		}
	};
	if (f.deviceSignature !== undefined) request.deviceSignature = f.deviceSignature;
	return request;
}

export function parsePasskeyRegistration(json: unknown): PasskeyRegistrationRequest | null {
	const f = fields(json);
	const credential = credentialOf(f?.credential);
	if (!f || !credential || !isText(f.label, 100)) return null;
	const { clientDataJSON, attestationObject } = credential.response;
	if (!isB64Up(clientDataJSON, 4096) || !isB64Up(attestationObject, 16_384)) return null;
	return {
		credential: {
			id: credential.id,
			rawId: credential.id,
			type: 'public-key',
			response: { clientDataJSON, attestationObject },
			clientExtensionResults: {}
		},
		label: f.label
	};
}

export function parseDeviceRegistration(json: unknown): DeviceRegistrationRequest | null {
	const f = fields(json);
	if (!f) return null;
	const { challengeId, deviceId, publicKey, label, userAgent } = f;
	if (!isId(challengeId) || !isB64(deviceId, 16) || !isB64(publicKey, 65)) return null;
	if (!isText(label, 100) || !isText(userAgent)) return null;
	return { challengeId, deviceId, publicKey, label, userAgent };
}

export function parseApprovalToken(json: unknown): string | null {
	const token = fields(json)?.approvalToken;
	return isText(token) ? token : null;
}

export function parseSessionRequest(json: unknown): SessionRequest | null {
	const instrumentId = fields(json)?.instrumentId;
	return isId(instrumentId) ? { instrumentId } : null;
}

const MAX_EVENT_DATA = 16 * 1024;

/** A JSON object as it would travel: a deep copy, so what is stored cannot change afterwards. */
function jsonCopy(v: unknown): { text: string; value: { [key: string]: JsonValue } } | null {
	if (!fields(v)) return null;
	try {
		const text = JSON.stringify(v);
		const value: unknown = JSON.parse(text);
		const copy = fields(value);
		return copy ? { text, value: copy as { [key: string]: JsonValue } } : null;
	} catch {
		return null; // a cycle or a BigInt: not JSON
	}
}

function parseAuditEvent(json: unknown): AuditEvent | null {
	const f = fields(json);
	if (!f) return null;
	const { id, sessionId, type, at, data, prevHash, hash } = f;
	if (!isUuid(id) || !isTime(at) || typeof type !== 'string') return null;
	if (!/^[a-z][a-z0-9-]{0,63}$/.test(type)) return null;
	const copy = jsonCopy(data);
	if (!copy || utf8.encode(copy.text).length > MAX_EVENT_DATA) return null;
	if (!optional(sessionId, (v) => isB64(v, 16))) return null;
	if (!optional(prevHash, (v) => isB64(v, 32)) || !optional(hash, (v) => isB64(v, 32))) return null;
	const event: AuditEvent = { id, type, at, data: copy.value };
	if (sessionId !== undefined) event.sessionId = sessionId;
	if (prevHash !== undefined) event.prevHash = prevHash;
	if (hash !== undefined) event.hash = hash;
	return event;
}

/** 'too-many' is payload-too-large (Part 1: more than 500 events), null is bad-request. */
export function parseAuditBatch(json: unknown): AuditBatch | 'too-many' | null {
	const events = fields(json)?.events;
	if (!Array.isArray(events) || events.length === 0) return null;
	if (events.length > MAX_AUDIT_BATCH) return 'too-many';
	const parsed = events.map(parseAuditEvent);
	return parsed.every((e): e is AuditEvent => e !== null) ? { events: parsed } : null;
}
