/**
 * Known-answer tests for src/lib/protocol/cpace.ts against draft-irtf-cfrg-cpace-21:
 * Appendix A.1-A.3 (string utilities) and Appendix B.3 (CPACE-RISTR255-SHA512).
 */
import { describe, it, expect } from 'vitest';
import { sha512 } from '@noble/hashes/sha2.js';
import {
	CpaceError,
	cpaceGenerator,
	cpaceIsk,
	cpaceIskOrdered,
	cpaceShare,
	generatorString,
	lexicographicallyLarger,
	lvCat,
	oCat,
	prependLen,
	scalarMultVfy,
	transcriptIr,
	transcriptOc,
	type CpaceShare
} from '../../src/lib/protocol/cpace';

/** Hex as printed in the draft: may be split over lines, whitespace is ignored. */
function hex(s: string): Uint8Array {
	const clean = s.replace(/\s+/g, '');
	if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) throw new Error(`bad hex: ${s}`);
	const out = new Uint8Array(clean.length / 2);
	for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
	return out;
}

function toHex(b: Uint8Array): string {
	return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Little-endian bytes to bigint, as the draft prints ya / yb / s. */
function scalarLE(s: string): bigint {
	return hex(s).reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
}

const range = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

describe('A.1 string utilities', () => {
	it('A.1.2 prepend_len', () => {
		expect(toHex(prependLen(new Uint8Array()))).toBe('00');
		expect(toHex(prependLen(ascii('1234')))).toBe('0431323334');
		const p127 = prependLen(range(127));
		expect(p127.length).toBe(128);
		expect(toHex(p127)).toBe('7f' + toHex(range(127)));
		const p128 = prependLen(range(128));
		expect(p128.length).toBe(130);
		expect(toHex(p128)).toBe('8001' + toHex(range(128)));
	});

	it('prepend_len LEB128 for longer lengths', () => {
		expect(toHex(prependLen(new Uint8Array(300)).subarray(0, 2))).toBe('ac02');
		expect(toHex(prependLen(new Uint8Array(16384)).subarray(0, 3))).toBe('808001');
	});

	it('A.1.4 lv_cat', () => {
		expect(toHex(lvCat(ascii('1234'), ascii('5'), ascii(''), ascii('678')))).toBe(
			'043132333401350003363738'
		);
	});
});

describe('A.3 ordered concatenation and transcripts', () => {
	it('A.3.3 lexiographically_larger', () => {
		const b = (...xs: number[]) => Uint8Array.from(xs);
		expect(lexicographicallyLarger(b(0), b(0, 0))).toBe(false);
		expect(lexicographicallyLarger(b(1), b(0, 0))).toBe(true);
		expect(lexicographicallyLarger(b(0, 0), b(0))).toBe(true);
		expect(lexicographicallyLarger(b(0, 0), b(1))).toBe(false);
		expect(lexicographicallyLarger(b(0, 1), b(1))).toBe(false);
		expect(lexicographicallyLarger(ascii('ABCD'), ascii('BCD'))).toBe(false);
	});

	it('A.3.3 o_cat', () => {
		expect(toHex(oCat(ascii('ABCD'), ascii('BCD')))).toBe('6f6342434441424344');
		expect(toHex(oCat(ascii('BCD'), ascii('ABCDE')))).toBe('6f634243444142434445');
	});

	it('A.3.5 transcript_ir', () => {
		const [pa, pb] = [ascii('PartyA'), ascii('PartyB')];
		expect(toHex(transcriptIr(ascii('123'), pa, ascii('234'), pb))).toBe(
			'03313233065061727479410332333406506172747942'
		);
		expect(toHex(transcriptIr(ascii('3456'), pa, ascii('2345'), pb))).toBe(
			'043334353606506172747941043233343506506172747942'
		);
	});

	it('A.3.7 transcript_oc', () => {
		const [pa, pb] = [ascii('PartyA'), ascii('PartyB')];
		expect(toHex(transcriptOc(ascii('123'), pa, ascii('234'), pb))).toBe(
			'6f6303323334065061727479420331323306506172747941'
		);
		expect(toHex(transcriptOc(ascii('3456'), pa, ascii('2345'), pb))).toBe(
			'6f63043334353606506172747941043233343506506172747942'
		);
	});
});

describe('B.3 CPACE-RISTR255-SHA512', () => {
	const PRS = ascii('Password');
	const CI = hex('0b415f696e69746961746f720b425f726573706f6e646572');
	const sid = hex('7e4b4791d6a8ef019b936c79fb7f2c57');
	const ADa = ascii('ADa');
	const ADb = ascii('ADb');
	const ya = scalarLE('da3d23700a9e5699258aef94dc060dfda5ebb61f02a5ea77fad53f4ff0976d08');
	const yb = scalarLE('d2316b454718c35362d83d69df6320f38578ed5984651435e2949762d900b80d');
	const Ya = hex('d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0eec482b9157');
	const Yb = hex('3ea7e0b19560d7c0b0f5734f63b955286dfa8232b5ebe63324e2d9e7433f7258');
	const K = '80b69a8a76457ab6a4d7f887a4bf6b55a2f80ac19c333f917a05fc9887c8b40f';
	const genStr = `11435061636552697374726574746f3235350850617373776f726464
		00000000000000000000000000000000000000000000000000000000
		00000000000000000000000000000000000000000000000000000000
		00000000000000000000000000000000000000000000000000000000
		00000000000000000000000000000000180b415f696e69746961746f
		720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f
		2c57`;

	it('B.3.1 generator_string (ZPAD length 100), its hash and the encoded generator g', () => {
		const gs = generatorString(ascii('CPaceRistretto255'), PRS, CI, sid, 128);
		expect(gs.length).toBe(170);
		expect(toHex(gs)).toBe(toHex(hex(genStr)));
		// ZPAD length: 100 zero bytes right after lv(DSI) || lv(PRS).
		expect(gs[1 + 17 + 1 + 8]).toBe(100);
		expect(toHex(sha512(gs))).toBe(
			'da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288' +
				'b6663af06bf645c93cd1c51512307199c80e84908916d983b34af77205f90851a657ee27'
		);
		expect(toHex(cpaceGenerator(PRS, CI, sid))).toBe(
			'222b6b195fe84b1652badb6f6a3ae3d24341e7306967f0b8115b40d5698c7e56'
		);
	});

	it('B.3.2 / B.3.3 messages Ya and Yb from the given scalars', () => {
		expect(toHex(cpaceShare(PRS, CI, sid, ya).share)).toBe(toHex(Ya));
		expect(toHex(cpaceShare(PRS, CI, sid, yb).share)).toBe(toHex(Yb));
	});

	it('B.3.4 secret point K from both sides', () => {
		expect(toHex(scalarMultVfy(ya, Yb))).toBe(K);
		expect(toHex(scalarMultVfy(yb, Ya))).toBe(K);
	});

	const own = (scalar: bigint, share: Uint8Array): CpaceShare => ({ scalar, share });
	const iskIr =
		'b69effbf61b51d56401c0f65601abe428de8206feaaf0e32198896dcae7b35cd' +
		'2b38950a39dfd5d4a79164614c2984f7daa460b588c1e80c3fa2068af7900447';
	const iskOc =
		'544199d71f62f8d9a1fee55727e24fe4a45844593c2b6013c4fa3969d0e5debb' +
		'2244675c0b43397cbb68d342b01fc0f98fc961469a25134de9f0f813c1a57476';

	it('B.3.5 ISK, initiator/responder', () => {
		expect(toHex(transcriptIr(Ya, ADa, Yb, ADb))).toBe(
			'20d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f8d0e' +
				'ec482b915703414461203ea7e0b19560d7c0b0f5734f63b955286dfa' +
				'8232b5ebe63324e2d9e7433f725803414462'
		);
		expect(toHex(cpaceIsk('initiator', own(ya, Ya), ADa, Yb, ADb, sid))).toBe(iskIr);
		expect(toHex(cpaceIsk('responder', own(yb, Yb), ADb, Ya, ADa, sid))).toBe(iskIr);
	});

	it('B.3.6 ISK, parallel execution (ordered concatenation)', () => {
		expect(toHex(transcriptOc(Ya, ADa, Yb, ADb))).toBe(
			'6f6320d6bac480f2c386c394efc7c47adb9925dcd2630b64f240c50f' +
				'8d0eec482b915703414461203ea7e0b19560d7c0b0f5734f63b95528' +
				'6dfa8232b5ebe63324e2d9e7433f725803414462'
		);
		expect(toHex(cpaceIskOrdered(own(ya, Ya), ADa, Yb, ADb, sid))).toBe(iskOc);
		expect(toHex(cpaceIskOrdered(own(yb, Yb), ADb, Ya, ADa, sid))).toBe(iskOc);
	});

	it('B.3.7 optional session id output over both transcripts', () => {
		const sidOut = (t: Uint8Array) =>
			toHex(sha512(new Uint8Array([...ascii('CPaceSidOutput'), ...t])));
		expect(sidOut(transcriptIr(Ya, ADa, Yb, ADb))).toBe(
			'bb1c449b35f0ea79a65c209f329a693d475e0ce2387bed9fe4b78f60' +
				'b2a27c219813fb2cfe175ef40d2222d9261e66da7d78f7c55a303b1b8611dcdfab880c47'
		);
		expect(sidOut(transcriptOc(Ya, ADa, Yb, ADb))).toBe(
			'10d5941d4933497fe31b9188d690b84465e2a2d158332a7267284a07' +
				'1a8d0876fc5c8c329dc735d59a9f8ef6623ee23924704a2f929dd631ca981227ee82fff2'
		);
	});

	const s = scalarLE('7cd0e075fa7955ba52c02759a6c90dbbfc10e6d40aea8d283e407d88cf538a05');

	it('B.3.10 scalar_mult_vfy with valid input', () => {
		const X = hex('2c3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c');
		expect(toHex(scalarMultVfy(s, X))).toBe(
			'7c13645fe790a468f62c39beb7388e541d8405d1ade69d1778c5fe3e7f6b600e'
		);
	});

	describe('B.3.11 invalid inputs for scalar_mult_vfy must abort', () => {
		const invalid: [string, Uint8Array][] = [
			[
				'Y_i1 (not a valid encoding)',
				hex('2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c')
			],
			['Y_i2 == G.I (identity)', new Uint8Array(32)]
		];
		for (const [name, Y] of invalid) {
			it(name, () => {
				expect(() => scalarMultVfy(s, Y)).toThrow(CpaceError);
				for (const run of [
					() => cpaceIsk('initiator', own(ya, Ya), ADa, Y, ADb, sid),
					() => cpaceIsk('responder', own(yb, Yb), ADb, Y, ADa, sid),
					() => cpaceIskOrdered(own(ya, Ya), ADa, Y, ADb, sid)
				]) {
					let caught: unknown;
					try {
						run();
					} catch (e) {
						caught = e;
					}
					expect(caught).toBeInstanceOf(CpaceError);
					expect((caught as CpaceError).code).toBe('cpace-invalid-point');
				}
			});
		}

		it('wrong-length shares', () => {
			expect(() => scalarMultVfy(s, new Uint8Array(31))).toThrow(CpaceError);
			expect(() => scalarMultVfy(s, new Uint8Array(33))).toThrow(CpaceError);
		});
	});
});

describe('round trip with random scalars', () => {
	const CI = ascii('benchside-test-ci');
	const sid = crypto.getRandomValues(new Uint8Array(16));
	const ADa = ascii('initiator');
	const ADb = ascii('responder');

	function run(prsA: string, prsB: string) {
		const a = cpaceShare(ascii(prsA), CI, sid);
		const b = cpaceShare(ascii(prsB), CI, sid);
		return { a, b };
	}

	it('same password: both roles and both modes agree', () => {
		const { a, b } = run('correct horse', 'correct horse');
		expect(a.share.length).toBe(32);
		expect(a.scalar).not.toBe(b.scalar);
		const iskA = cpaceIsk('initiator', a, ADa, b.share, ADb, sid);
		const iskB = cpaceIsk('responder', b, ADb, a.share, ADa, sid);
		expect(iskA.length).toBe(64);
		expect(toHex(iskA)).toBe(toHex(iskB));
		const ocA = cpaceIskOrdered(a, ADa, b.share, ADb, sid);
		const ocB = cpaceIskOrdered(b, ADb, a.share, ADa, sid);
		expect(toHex(ocA)).toBe(toHex(ocB));
		expect(toHex(ocA)).not.toBe(toHex(iskA));
	});

	it('different passwords: keys differ', () => {
		const { a, b } = run('correct horse', 'battery staple');
		const iskA = cpaceIsk('initiator', a, ADa, b.share, ADb, sid);
		const iskB = cpaceIsk('responder', b, ADb, a.share, ADa, sid);
		expect(toHex(iskA)).not.toBe(toHex(iskB));
	});

	it('mismatched AD or sid: keys differ', () => {
		const { a, b } = run('pw', 'pw');
		const iskA = cpaceIsk('initiator', a, ADa, b.share, ADb, sid);
		expect(toHex(cpaceIsk('responder', b, ADb, a.share, ascii('mallory'), sid))).not.toBe(
			toHex(iskA)
		);
		expect(toHex(cpaceIsk('initiator', a, ADa, b.share, ADb, new Uint8Array(16)))).not.toBe(
			toHex(iskA)
		);
	});

	it('tampering any byte of a share changes the key or is rejected', () => {
		const { a, b } = run('pw', 'pw');
		const iskB = toHex(cpaceIsk('responder', b, ADb, a.share, ADa, sid));
		let rejected = 0;
		let changed = 0;
		for (let i = 0; i < a.share.length; i++) {
			const forged = a.share.slice();
			forged[i] = (forged[i] as number) ^ (1 << (i % 8));
			try {
				expect(toHex(cpaceIsk('responder', b, ADb, forged, ADa, sid))).not.toBe(iskB);
				changed++;
			} catch (e) {
				expect(e).toBeInstanceOf(CpaceError);
				rejected++;
			}
		}
		expect(rejected + changed).toBe(32);
	});

	it('rejects a zero scalar', () => {
		expect(() => cpaceShare(ascii('pw'), CI, sid, 0n)).toThrow(RangeError);
	});
});
