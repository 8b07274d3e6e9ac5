/**
 * A software WebAuthn authenticator for node tests: what a browser and a platform authenticator
 * together send a relying party (RegistrationResponseJSON, AuthenticationResponseJSON), built
 * from first principles (CTAP2 CBOR, authenticator data, DER signatures), so the broker's checks
 * are tested against bytes it did not make itself. Every field can be spoiled on request.
 */
import { base64urlDecode, base64urlEncode } from '$lib/protocol/base64url';
import { concat, randomBytes, utf8 } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';

type Cbor = number | string | Uint8Array | Cbor[] | Map<number | string, Cbor>;

function head(major: number, n: number): Uint8Array {
	if (n < 24) return new Uint8Array([(major << 5) | n]);
	if (n < 0x100) return new Uint8Array([(major << 5) | 24, n]);
	if (n < 0x10000) return new Uint8Array([(major << 5) | 25, n >> 8, n & 0xff]);
	return new Uint8Array([(major << 5) | 26, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
}

export function encodeCbor(v: Cbor): Uint8Array {
	if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
	if (typeof v === 'string') {
		const bytes = utf8.encode(v);
		return concat(head(3, bytes.length), bytes);
	}
	if (v instanceof Uint8Array) return concat(head(2, v.length), v);
	if (Array.isArray(v)) return concat(head(4, v.length), ...v.map(encodeCbor));
	return concat(head(5, v.size), ...[...v].flatMap(([k, x]) => [encodeCbor(k), encodeCbor(x)]));
}

/** r ‖ s (WebCrypto) → ASN.1 DER SEQUENCE { INTEGER r, INTEGER s } (what authenticators send). */
export function p1363ToDer(sig: Uint8Array): Uint8Array {
	const int = (x: Uint8Array) => {
		let i = 0;
		while (i < x.length - 1 && x[i] === 0) i++;
		const body = x[i]! & 0x80 ? concat(new Uint8Array([0]), x.subarray(i)) : x.subarray(i);
		return concat(new Uint8Array([0x02, body.length]), body);
	};
	const seq = concat(int(sig.subarray(0, 32)), int(sig.subarray(32)));
	return concat(new Uint8Array([0x30, seq.length]), seq);
}

export interface Spoil {
	origin?: string;
	type?: string;
	challenge?: string;
	rpId?: string;
	signCount?: number;
	badSignature?: boolean;
	fmt?: string;
}

export class SoftAuthenticator {
	readonly credentialId = randomBytes(32);
	signCount = 0;
	readonly #keys: Promise<CryptoKeyPair>;

	constructor(
		readonly rpId = 'localhost',
		readonly origin = 'http://localhost:5173'
	) {
		this.#keys = crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
			'sign',
			'verify'
		]) as Promise<CryptoKeyPair>;
	}

	get id(): string {
		return base64urlEncode(this.credentialId);
	}

	async #authData(rpId: string, flags: number, count: number, attested?: Uint8Array) {
		const counter = new Uint8Array(4);
		new DataView(counter.buffer).setUint32(0, count);
		const parts = [await sha256(utf8.encode(rpId)), new Uint8Array([flags]), counter];
		return concat(...parts, ...(attested ? [attested] : []));
	}

	#clientData(type: string, challenge: string, origin: string): Uint8Array {
		return utf8.encode(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
	}

	/** navigator.credentials.create() and toJSON(), for the creation options' challenge. */
	async register(challenge: string, spoil: Spoil = {}) {
		const { publicKey } = await this.#keys;
		const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
		const cose = new Map<number, Cbor>([
			[1, 2],
			[3, -7],
			[-1, 1],
			[-2, raw.slice(1, 33)],
			[-3, raw.slice(33)]
		]);
		const idLength = new Uint8Array([
			this.credentialId.length >> 8,
			this.credentialId.length & 0xff
		]);
		const attested = concat(new Uint8Array(16), idLength, this.credentialId, encodeCbor(cose));
		const authData = await this.#authData(spoil.rpId ?? this.rpId, 0x45, 0, attested);
		const attestationObject = encodeCbor(
			new Map<string, Cbor>([
				['fmt', spoil.fmt ?? 'none'],
				['attStmt', new Map()],
				['authData', authData]
			])
		);
		const clientData = this.#clientData(
			spoil.type ?? 'webauthn.create',
			spoil.challenge ?? challenge,
			spoil.origin ?? this.origin
		);
		return {
			id: this.id,
			rawId: this.id,
			type: 'public-key',
			response: {
				clientDataJSON: base64urlEncode(clientData),
				attestationObject: base64urlEncode(attestationObject),
				transports: ['internal']
			},
			authenticatorAttachment: 'platform',
			clientExtensionResults: {}
		};
	}

	/** navigator.credentials.get() and toJSON(): signs authenticatorData ‖ SHA-256(clientData). */
	async assert(challenge: string, spoil: Spoil = {}) {
		const { privateKey } = await this.#keys;
		const count = spoil.signCount ?? ++this.signCount;
		const authData = await this.#authData(spoil.rpId ?? this.rpId, 0x05, count);
		const clientData = this.#clientData(
			spoil.type ?? 'webauthn.get',
			spoil.challenge ?? challenge,
			spoil.origin ?? this.origin
		);
		const signed = concat(authData, await sha256(clientData));
		const sig = new Uint8Array(
			await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, signed.slice())
		);
		if (spoil.badSignature) sig[10] = sig[10]! ^ 0x01;
		return {
			id: this.id,
			rawId: this.id,
			type: 'public-key',
			response: {
				clientDataJSON: base64urlEncode(clientData),
				authenticatorData: base64urlEncode(authData),
				signature: base64urlEncode(p1363ToDer(sig))
			},
			clientExtensionResults: {}
		};
	}
}

/** Another challenge of the same size, for "not the one issued". */
export const otherChallenge = (challenge: string) =>
	base64urlEncode(randomBytes(base64urlDecode(challenge)!.length));
