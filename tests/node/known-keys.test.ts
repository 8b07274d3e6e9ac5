import { describe, expect, it } from 'vitest';
import { checkAgentKey, type KnownAgentKey } from '$lib/connect/known-keys';
import { parseInstrumentsPage, type Instrument } from '$lib/protocol/broker-api';

// The decision behind the console's key warning (docs/protocol.md Part 1, "Pinning the agent
// key"), for every kind of record a broker can show after a first connection.
const known: KnownAgentKey = {
	instrumentId: 'ins-1',
	agentKeyId: 'agk-1',
	agentKey: 'B' + 'A'.repeat(86),
	connectedAt: '2025-03-14T09:00:00.000Z'
};
const other = 'B' + 'Q'.repeat(86);
const record = (fields: Partial<Instrument>): Instrument =>
	({ id: 'ins-1', agentKeyId: 'agk-1', agentKey: known.agentKey, ...fields }) as Instrument;
const rotatedAt = '2025-03-15T08:00:00.000Z';

describe('checking the broker record against the key this browser knows', () => {
	it('pins on first use and passes the same key', () => {
		expect(checkAgentKey(null, record({}))).toEqual({ kind: 'first-use' });
		expect(checkAgentKey(known, record({}))).toEqual({ kind: 'same' });
	});

	it('takes a new key as a rotation only when the record names the known key as the previous one', () => {
		const rotation = record({
			agentKeyId: 'agk-2',
			agentKey: other,
			previousAgentKeyId: 'agk-1',
			agentKeyRotatedAt: rotatedAt
		});
		expect(checkAgentKey(known, rotation)).toEqual({ kind: 'rotated', known, rotatedAt });
		const substituted = [
			record({ agentKey: other }), // same keyId, another key
			record({ agentKeyId: 'agk-2', agentKey: other }), // no rotation marker
			record({
				agentKeyId: 'agk-3',
				agentKey: other,
				previousAgentKeyId: 'agk-2', // a rotation from a key we never saw
				agentKeyRotatedAt: rotatedAt
			}),
			record({ agentKey: other, previousAgentKeyId: 'agk-1', agentKeyRotatedAt: rotatedAt })
		];
		for (const r of substituted) {
			expect(checkAgentKey(known, r), JSON.stringify(r)).toEqual({ kind: 'substituted', known });
		}
	});

	it('refuses records with half a rotation marker or one that names itself', () => {
		const base = {
			id: 'ins-1',
			name: 'A',
			kind: 'other',
			model: 'M',
			serial: 'S',
			site: { id: 's', name: 'S', country: 'FR' },
			softwareVersion: '1',
			online: true,
			lastSeenAt: null,
			agentKey:
				'BDwGx55n2z4DpTgY2C5HC2qwoT-l1r_mzLxkmL8irSmB4ATuQSarsiRdADIV-r6-lvPS8dbgp1Lzoc7E0Lv8PoI',
			agentKeyId: 'agk-2',
			phi: false,
			capabilities: [],
			screens: 0
		};
		const page = (extra: object) => parseInstrumentsPage({ instruments: [{ ...base, ...extra }] });
		expect(page({ previousAgentKeyId: 'agk-1', agentKeyRotatedAt: rotatedAt }).ok).toBe(true);
		expect(page({ previousAgentKeyId: 'agk-1' })).toEqual({
			ok: false,
			error: '$.instruments[0].agentKeyRotatedAt'
		});
		expect(page({ agentKeyRotatedAt: rotatedAt }).ok).toBe(false);
		expect(page({ previousAgentKeyId: 'agk-2', agentKeyRotatedAt: rotatedAt })).toEqual({
			ok: false,
			error: '$.instruments[0].previousAgentKeyId'
		});
	});
});
