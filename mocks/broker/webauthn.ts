/**
 * The relying party's checks of WebAuthn Level 3 (§7.1 registering a credential, §7.2 verifying
 * an assertion), as docs/protocol.md Part 1 "Passkeys" asks of a broker: attestation `none`,
 * ES256 only, the challenge, type, origin and rpId checked, the signature verified with WebCrypto
 * and the signature counter never allowed to go back. Pure functions; auth.ts keeps the state.
 */
import { base64urlDecode, base64urlEncode } from '../../src/lib/protocol/base64url';
import { concat, decodeUtf8, equalBytes, utf8 } from '../../src/lib/protocol/bytes';
import { verify } from '../../src/lib/protocol/identity';
import { sha256 } from '../../src/lib/protocol/kdf';
import { decodeCbor } from './cbor';

/** Who the broker is to WebAuthn: the console's host (rpId) and the origins it serves from. */
export interface RelyingParty {
	id: string;
	name: string;
	origins: string[];
}

/**
 * The console's own page in dev and in browser tests (the mock broker runs in that tab), else
 * `localhost`. A real broker is configured with the console's origin instead.
 */
export function defaultRelyingParty(): RelyingParty {
	const here = (globalThis as { location?: { hostname: string; origin: string } }).location;
	if (here?.hostname) return { id: here.hostname, name: 'Benchside', origins: [here.origin] };
	return { id: 'localhost', name: 'Benchside', origins: ['http://localhost:5173'] };
}

export interface Passkey {
	credentialId: string;
	/** Raw uncompressed P-256 point, from the COSE key in the attested credential data. */
	publicKey: Uint8Array;
	signCount: number;
	label: string;
	createdAt: number;
}

/** Why a ceremony was refused: for the broker's log line, never shown to the technician. */
export type Refusal = { ok: false; reason: string };
const refuse = (reason: string): Refusal => ({ ok: false, reason });

const FLAG_UP = 0x01;
const FLAG_AT = 0x40;
const COSE_ES256 = -7;

interface AuthData {
	rpIdHash: Uint8Array;
	flags: number;
	signCount: number;
	credential?: { id: Uint8Array; publicKey: Uint8Array };
}

/** §6.1 authenticator data; with AT set, the attested credential and its COSE EC2 key. */
function parseAuthData(bytes: Uint8Array): AuthData | null {
	if (bytes.length < 37) return null;
	const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
	const data: AuthData = {
		rpIdHash: bytes.slice(0, 32),
		flags: bytes[32]!,
		signCount: view.getUint32(33)
	};
	if (!(data.flags & FLAG_AT)) return data;
	if (bytes.length < 55) return null;
	const idLength = view.getUint16(53);
	const idEnd = 55 + idLength;
	if (idLength === 0 || idLength > 1023 || bytes.length < idEnd) return null;
	const cose = decodeCbor(bytes, idEnd);
	const key = cose?.value instanceof Map ? cose.value : null;
	// kty 2 (EC2), alg -7 (ES256), crv 1 (P-256), x and y of 32 bytes each (RFC 9053 §7.1.1)
	const x = key?.get(-2);
	const y = key?.get(-3);
	if (!key || key.get(1) !== 2 || key.get(3) !== COSE_ES256 || key.get(-1) !== 1) return null;
	if (
		!(x instanceof Uint8Array) ||
		!(y instanceof Uint8Array) ||
		x.length !== 32 ||
		y.length !== 32
	)
		return null;
	const publicKey = concat(new Uint8Array([0x04]), x, y);
	data.credential = { id: bytes.slice(55, idEnd), publicKey };
	return data;
}

/** §7.1 steps 5–12 / §7.2 steps 10–15: the client data the browser wrote. */
function checkClientData(
	rp: RelyingParty,
	clientDataJSON: Uint8Array,
	type: 'webauthn.create' | 'webauthn.get',
	challenge: string
): Refusal | null {
	let data: unknown;
	try {
		data = JSON.parse(decodeUtf8(clientDataJSON) ?? '');
	} catch {
		return refuse('clientDataJSON is not JSON');
	}
	const c = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
	if (c.type !== type) return refuse(`clientData.type is not ${type}`);
	if (c.challenge !== challenge) return refuse('clientData.challenge is not the one issued');
	if (typeof c.origin !== 'string' || !rp.origins.includes(c.origin))
		return refuse('clientData.origin is not the console');
	if (c.crossOrigin === true) return refuse('clientData.crossOrigin');
	return null;
}

const b64 = (v: string): Uint8Array => base64urlDecode(v) ?? new Uint8Array();

/** §7.1 with attestation `none`: the new credential's id and public key, or why not. */
export async function verifyRegistration(
	rp: RelyingParty,
	challenge: string,
	response: { id: string; clientDataJSON: string; attestationObject: string }
): Promise<{ ok: true; credentialId: string; publicKey: Uint8Array; signCount: number } | Refusal> {
	const clientDataJSON = b64(response.clientDataJSON);
	const bad = checkClientData(rp, clientDataJSON, 'webauthn.create', challenge);
	if (bad) return bad;
	const decoded = decodeCbor(b64(response.attestationObject));
	const att = decoded?.value instanceof Map ? decoded.value : null;
	const authBytes = att?.get('authData');
	if (!att || !(authBytes instanceof Uint8Array)) return refuse('attestationObject unreadable');
	// We ask for `none`: anything else would be a statement we do not check, so refuse it.
	const statement = att.get('attStmt');
	if (att.get('fmt') !== 'none' || !(statement instanceof Map) || statement.size !== 0)
		return refuse('attestation format is not none');
	const authData = parseAuthData(authBytes);
	if (!authData?.credential) return refuse('authenticator data has no credential');
	if (!equalBytes(authData.rpIdHash, await sha256(utf8.encode(rp.id))))
		return refuse('rpIdHash is not this relying party');
	if (!(authData.flags & FLAG_UP)) return refuse('user not present');
	const credentialId = base64urlEncode(authData.credential.id);
	if (credentialId !== response.id) return refuse('credential id differs from the attested one');
	return {
		ok: true,
		credentialId,
		publicKey: authData.credential.publicKey,
		signCount: authData.signCount
	};
}

/** §7.2: the assertion of a known passkey; the new counter on success. */
export async function verifyAssertion(
	rp: RelyingParty,
	challenge: string,
	passkey: Passkey,
	response: { clientDataJSON: string; authenticatorData: string; signature: string }
): Promise<{ ok: true; signCount: number } | Refusal> {
	const clientDataJSON = b64(response.clientDataJSON);
	const bad = checkClientData(rp, clientDataJSON, 'webauthn.get', challenge);
	if (bad) return bad;
	const authBytes = b64(response.authenticatorData);
	const authData = parseAuthData(authBytes);
	if (!authData) return refuse('authenticator data unreadable');
	if (!equalBytes(authData.rpIdHash, await sha256(utf8.encode(rp.id))))
		return refuse('rpIdHash is not this relying party');
	if (!(authData.flags & FLAG_UP)) return refuse('user not present');
	const signature = derToP1363(b64(response.signature));
	const signed = concat(authBytes, await sha256(clientDataJSON));
	if (!signature || !(await verify(passkey.publicKey, signature, signed)))
		return refuse('signature does not verify');
	// §7.2 step 21: a counter that does not grow means a cloned authenticator (0 = no counter).
	const counts = authData.signCount !== 0 || passkey.signCount !== 0;
	if (counts && authData.signCount <= passkey.signCount)
		return refuse('signature counter went back');
	return { ok: true, signCount: authData.signCount };
}

/** WebAuthn signs ECDSA in ASN.1 DER; WebCrypto verifies r ‖ s (IEEE P1363). */
export function derToP1363(der: Uint8Array): Uint8Array | null {
	if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return null;
	const out = new Uint8Array(64);
	let at = 2;
	for (const offset of [0, 32]) {
		if (der[at] !== 0x02) return null;
		const length = der[at + 1]!;
		let value = der.subarray(at + 2, at + 2 + length);
		if (value.length !== length || length === 0) return null;
		while (value.length > 32 && value[0] === 0) value = value.subarray(1);
		if (value.length > 32) return null;
		out.set(value, offset + 32 - value.length);
		at += 2 + length;
	}
	return at === der.length ? out : null;
}
