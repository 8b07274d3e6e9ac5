import { describe, expect, it } from 'vitest';
import { balancedOrders } from '../../bench/lib/measure';

/**
 * The benchmarks' side-by-side comparisons (bench/lib/measure.ts, interleaveOps) rely on this
 * order: over its rows every kind runs in every slot, and right after every other kind, equally
 * often. A plain rotation put the same kind before each kind and biased the figures.
 */
describe('balanced batch orders', () => {
	for (const n of [1, 2, 3, 4, 5, 6]) {
		it(`${n} kinds: each in every slot, after every other kind, equally often`, () => {
			const rows = balancedOrders(n);
			expect(rows).toHaveLength(n === 1 ? 2 : n % 2 === 0 ? n : 2 * n);
			const slots = new Map<string, number>();
			const pairs = new Map<string, number>();
			for (const row of rows) {
				expect([...row].sort()).toEqual([...Array(n).keys()]);
				row.forEach((kind, slot) => {
					slots.set(`${kind}@${slot}`, (slots.get(`${kind}@${slot}`) ?? 0) + 1);
					if (slot > 0) {
						const pair = `${row[slot - 1]}>${kind}`;
						pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
					}
				});
			}
			expect(slots.size).toBe(n * n);
			expect(new Set(slots.values()).size).toBe(1);
			expect(pairs.size).toBe(n * (n - 1));
			if (n > 1) expect(new Set(pairs.values()).size).toBe(1);
		});
	}
});
