import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, canonicalJson, checkChain, eventHash } from '$lib/history/chain';
import type { EventRow } from '$lib/history/db';
import { concat, toHex, utf8 } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';

async function chain(n: number): Promise<EventRow[]> {
	const rows: EventRow[] = [];
	let prev = GENESIS_HASH;
	for (let seq = 0; seq < n; seq++) {
		const e = {
			sessionId: 's-1',
			seq,
			at: 1000 + seq,
			type: 'chat',
			data: { text: `line ${seq}` }
		};
		const hash = await eventHash(prev, e);
		rows.push({ ...e, prevHash: prev, hash });
		prev = hash;
	}
	return rows;
}

describe('history hash chain', () => {
	it('writes canonical JSON with sorted keys and no whitespace, whatever the key order', () => {
		expect(canonicalJson({ b: [1, 'x', null], a: { d: true, c: 0.5 } })).toBe(
			'{"a":{"c":0.5,"d":true},"b":[1,"x",null]}'
		);
		expect(canonicalJson({ z: 1, a: 2 })).toBe(canonicalJson({ a: 2, z: 1 }));
		expect(() => canonicalJson({ n: Number.NaN })).toThrow(RangeError);
	});

	it('hashes the previous hash bytes followed by the canonical event', async () => {
		const e = { sessionId: 's', seq: 0, at: 5, type: 'end', data: { outcome: 'completed' } };
		const expected = toHex(
			await sha256(
				concat(
					new Uint8Array(32),
					utf8.encode(
						'{"at":5,"data":{"outcome":"completed"},"seq":0,"sessionId":"s","type":"end"}'
					)
				)
			)
		);
		expect(await eventHash(GENESIS_HASH, e)).toBe(expected);
	});

	it('accepts an intact chain and names the first event that does not hold', async () => {
		const rows = await chain(5);
		expect(await checkChain(rows)).toEqual({ ok: true });

		const edited = rows.map((r) => (r.seq === 3 ? { ...r, data: { text: 'forged' } } : r));
		expect(await checkChain(edited)).toEqual({ ok: false, brokenAt: 3, reason: 'hash-mismatch' });

		// Re-hashing the forged event moves the break to the next one, which still points back.
		const forged = { ...edited[3]!, hash: await eventHash(rows[2]!.hash, edited[3]!) };
		const rehashed = edited.map((r) => (r.seq === 3 ? forged : r));
		expect(await checkChain(rehashed)).toEqual({
			ok: false,
			brokenAt: 4,
			reason: 'prev-hash-mismatch'
		});

		expect(await checkChain(rows.filter((r) => r.seq !== 2))).toEqual({
			ok: false,
			brokenAt: 2,
			reason: 'seq-gap'
		});
		expect(await checkChain([])).toEqual({ ok: false, brokenAt: 0, reason: 'missing' });
	});
});
