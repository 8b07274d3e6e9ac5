/**
 * base64url without padding (RFC 4648 §5, §3.2), as the broker API (docs/protocol.md, Part 1)
 * carries ids, keys and signatures. Decoding is strict: one encoding per byte string, so ids
 * that are compared as strings (sessionId, deviceId) cannot have two spellings.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export function base64urlEncode(bytes: Uint8Array): string {
	let out = '';
	for (let i = 0; i < bytes.length; i += 3) {
		const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
		const chars = Math.min(4, bytes.length - i + 1);
		for (let j = 0; j < chars; j++) out += ALPHABET[(n >> (18 - 6 * j)) & 63];
	}
	return out;
}

/**
 * Null for anything but canonical unpadded base64url: padding, other alphabets, whitespace,
 * a dangling sixth character (length % 4 === 1) and non-zero bits after the last byte
 * (RFC 4648 §3.5) are all refused.
 */
export function base64urlDecode(s: string): Uint8Array | null {
	if (typeof s !== 'string' || s.length % 4 === 1) return null;
	const out = new Uint8Array(Math.floor((s.length * 3) / 4));
	let acc = 0;
	let bits = 0;
	let at = 0;
	for (let i = 0; i < s.length; i++) {
		const c = s.charCodeAt(i);
		const v = c < 128 ? VALUE[c]! : -1;
		if (v < 0) return null;
		acc = (acc << 6) | v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[at++] = (acc >> bits) & 0xff;
		}
		acc &= (1 << bits) - 1;
	}
	return acc === 0 ? out : null;
}
