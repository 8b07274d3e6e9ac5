/**
 * Identity keys: the agent's (pinned by the console from the broker's instrument record) and the
 * technician's trusted-device key (non-extractable, kept in IndexedDB). ECDSA P-256 with SHA-256,
 * because every browser's WebCrypto has it; public keys travel raw (65 bytes, 0x04 ‖ X ‖ Y) and
 * signatures as IEEE P1363 r ‖ s (64 bytes).
 */
import { bufferSource, toHex } from './bytes';
import { sha256 } from './kdf';

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface Identity {
	publicKey: Uint8Array;
	privateKey: CryptoKey;
}

/** A new key pair whose private half can never leave WebCrypto. */
export async function generateIdentity(): Promise<Identity> {
	const pair = await crypto.subtle.generateKey(ECDSA, false, ['sign', 'verify']);
	return {
		privateKey: pair.privateKey,
		publicKey: new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
	};
}

export async function sign(privateKey: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.sign(SIGN, privateKey, bufferSource(data)));
}

/** False for a bad signature and for a public key that is not a valid P-256 point. */
export async function verify(
	publicKey: Uint8Array,
	signature: Uint8Array,
	data: Uint8Array
): Promise<boolean> {
	try {
		const key = await crypto.subtle.importKey('raw', bufferSource(publicKey), ECDSA, false, [
			'verify'
		]);
		return await crypto.subtle.verify(SIGN, key, bufferSource(signature), bufferSource(data));
	} catch {
		return false;
	}
}

/** What people compare by eye: the first 16 bytes of SHA-256 of the raw key, grouped. */
export async function fingerprint(publicKey: Uint8Array): Promise<string> {
	const hex = toHex((await sha256(publicKey)).subarray(0, 16));
	return hex.match(/.{4}/g)!.join(':');
}
