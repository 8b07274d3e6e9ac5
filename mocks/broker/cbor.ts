/**
 * The little CBOR (RFC 8949) a WebAuthn relying party reads: the attestation object and the COSE
 * public key inside authenticator data. Definite lengths only, as CTAP2's canonical encoding
 * requires; anything else (floats, tags, indefinite lengths) is refused with null.
 */
export type CborValue =
	number | Uint8Array | string | boolean | null | CborValue[] | Map<number | string, CborValue>;

class Refused extends Error {}

/** The first item of `bytes` and where it ends (authenticator data has bytes after the key). */
export function decodeCbor(bytes: Uint8Array, start = 0): { value: CborValue; end: number } | null {
	let at = start;
	const need = (n: number) => {
		if (at + n > bytes.length) throw new Refused();
	};
	const argument = (info: number): number => {
		if (info < 24) return info;
		const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : 0;
		if (size === 0) throw new Refused(); // 8-byte lengths and indefinite lengths: not here
		need(size);
		let n = 0;
		for (let i = 0; i < size; i++) n = n * 256 + bytes[at++]!;
		return n;
	};
	const item = (depth: number): CborValue => {
		if (depth > 16) throw new Refused();
		need(1);
		const head = bytes[at++]!;
		const major = head >> 5;
		const info = head & 0x1f;
		switch (major) {
			case 0:
				return argument(info);
			case 1:
				return -1 - argument(info);
			case 2:
			case 3: {
				const length = argument(info);
				need(length);
				const chunk = bytes.slice(at, (at += length));
				return major === 2 ? chunk : new TextDecoder('utf-8', { fatal: true }).decode(chunk);
			}
			case 4: {
				const length = argument(info);
				const list: CborValue[] = [];
				for (let i = 0; i < length; i++) list.push(item(depth + 1));
				return list;
			}
			case 5: {
				const length = argument(info);
				const map = new Map<number | string, CborValue>();
				for (let i = 0; i < length; i++) {
					const key = item(depth + 1);
					if (typeof key !== 'number' && typeof key !== 'string') throw new Refused();
					if (map.has(key)) throw new Refused();
					map.set(key, item(depth + 1));
				}
				return map;
			}
			case 7:
				if (info === 20) return false;
				if (info === 21) return true;
				if (info === 22) return null;
				throw new Refused();
			default:
				throw new Refused(); // tags (6)
		}
	};
	try {
		const value = item(0);
		return { value, end: at };
	} catch {
		return null; // Refused, or text that is not UTF-8
	}
}
