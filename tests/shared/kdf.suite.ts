import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/lib/protocol/bytes';
import { hkdf } from '../../src/lib/protocol/kdf';
import { deriveSecrets } from '../../src/lib/protocol/channel';

const range = (from: number, to: number) =>
	Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

// RFC 5869, Appendix A, test cases 1-3 (SHA-256).
describe('HKDF-SHA-256 (RFC 5869 test vectors)', () => {
	it('A.1 basic test case', async () => {
		const okm = await hkdf(new Uint8Array(22).fill(0x0b), range(0x00, 0x0c), range(0xf0, 0xf9), 42);
		expect(toHex(okm)).toBe(
			'3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865'
		);
	});
	it('A.2 longer inputs and outputs', async () => {
		const okm = await hkdf(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
		expect(toHex(okm)).toBe(
			'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87'
		);
	});
	it('A.3 zero-length salt and info', async () => {
		const okm = await hkdf(new Uint8Array(22).fill(0x0b), new Uint8Array(0), new Uint8Array(0), 42);
		expect(toHex(okm)).toBe(
			'8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8'
		);
	});
});

describe('the key schedule', () => {
	it('gives each direction and each confirmation its own secret', async () => {
		const s = await deriveSecrets(fromHex('aa'.repeat(64)), fromHex('01'.repeat(16)));
		const all = [s.consoleTraffic, s.agentTraffic, s.consoleConfirm, s.agentConfirm].map(toHex);
		expect(new Set(all).size).toBe(4);
		expect(all.every((h) => h.length === 64)).toBe(true);
		const other = await deriveSecrets(fromHex('aa'.repeat(64)), fromHex('02'.repeat(16)));
		expect(toHex(other.consoleTraffic)).not.toBe(all[0]);
	});
});
