/** HKDF-SHA-256 (RFC 5869) and HMAC-SHA-256 through WebCrypto, available in pages, workers and Node. */
import { bufferSource, utf8 } from './bytes';

export async function hkdf(
	ikm: Uint8Array,
	salt: Uint8Array,
	info: Uint8Array | string,
	length = 32
): Promise<Uint8Array> {
	const key = await crypto.subtle.importKey('raw', bufferSource(ikm), 'HKDF', false, [
		'deriveBits'
	]);
	const bits = await crypto.subtle.deriveBits(
		{
			name: 'HKDF',
			hash: 'SHA-256',
			salt: bufferSource(salt),
			info: bufferSource(typeof info === 'string' ? utf8.encode(info) : info)
		},
		key,
		length * 8
	);
	return new Uint8Array(bits);
}

export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
	const k = await crypto.subtle.importKey(
		'raw',
		bufferSource(key),
		{ name: 'HMAC', hash: 'SHA-256' },
		false,
		['sign']
	);
	return new Uint8Array(await crypto.subtle.sign('HMAC', k, bufferSource(data)));
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
	return new Uint8Array(await crypto.subtle.digest('SHA-256', bufferSource(data)));
}

/** A non-extractable AES-256-GCM key from 32 bytes of key material. */
export function aesKey(raw: Uint8Array, usages: KeyUsage[]): Promise<CryptoKey> {
	return crypto.subtle.importKey('raw', bufferSource(raw), 'AES-GCM', false, usages);
}

/** A domain-separation label of this protocol: `benchside/1 <name>` in UTF-8. */
export const label = (name: string) => utf8.encode(`benchside/1 ${name}`);
