/**
 * recordLiveSession against a stand-in with the same rune state as LiveSession: each change the
 * worker would cause (one MessagePort task each, so one effect flush each) lands as one event.
 */
import { flushSync } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteDB } from 'idb';
import { openHistoryDb, type HistoryDb } from '$lib/history/db';
import { sessionEvents, verifySession } from '$lib/history/journal';
import { eventText } from '$lib/history/timeline';
import {
	recordLiveSession,
	type RecordMeta,
	type RecordableConsent,
	type RecordableTransfer,
	type RecordableSession
} from '$lib/history/record-live-session.svelte';
import { base64urlEncode } from '$lib/protocol/base64url';
import type { Capability } from '$lib/protocol/messages';
import type { SessionFailure, SessionInfo } from '$lib/session/types';

class StandIn implements RecordableSession {
	readonly request = { sessionIdText: 'live-1', instrumentId: 'ins-3317', technicianId: 'tech-7' };
	info = $state.raw<SessionInfo | null>(null);
	consent = $state.raw<Partial<Record<Capability, RecordableConsent>>>({});
	chat = $state.raw<{ from: 'technician' | 'customer'; messageId: number; text: string }[]>([]);
	closed = $state.raw<SessionFailure | null>(null);
	transfers = $state.raw<{ rows: RecordableTransfer[] }>({ rows: [] });
}

let db: HistoryDb;
let name = '';
afterEach(async () => {
	db.close();
	await deleteDB(name);
});

async function setUp(extra: Partial<RecordMeta> = {}) {
	name = `history-live-${crypto.randomUUID()}`;
	db = await openHistoryDb(name);
	const session = new StandIn();
	const result = await recordLiveSession(session, {
		...extra,
		db,
		serial: 'CA-0042',
		site: 'Lyon',
		// An empty model is no model: it is not kept.
		names: { instrumentName: 'Chemistry analyser CA-42', model: '', technicianName: 'Ana Ruiz' }
	});
	if (!result.ok) throw new Error(result.code);
	return { session, recording: result.recording };
}

describe('recording a live session', () => {
	it('records connection, consent with its signature, control, chat and the closure', async () => {
		const { session, recording } = await setUp();
		const step = (change: () => void) => {
			change();
			flushSync();
		};
		step(() => {
			session.info = {
				instrumentId: 'ins-3317',
				agentVersion: '2.1.0',
				phi: false,
				capabilities: ['view', 'control'],
				screens: [],
				codecs: ['avc1.42E01F']
			};
		});
		step(() => (session.consent = { control: { state: 'pending', at: 1, verified: true } }));
		const signature = new Uint8Array(64).fill(1);
		step(
			() =>
				(session.consent = {
					control: { state: 'granted', at: 2, scope: 'session', verified: true, signature }
				})
		);
		step(() => (session.chat = [{ from: 'customer', messageId: 1, text: 'go ahead' }]));
		step(
			() => (session.chat = [...session.chat, { from: 'technician', messageId: 1, text: 'ok' }])
		);
		step(() => (session.consent = { control: { state: 'revoked', at: 3, verified: true } }));
		step(() => (session.closed = { code: 'goodbye', message: 'customer ended the session' }));
		await recording.settled();

		const events = await sessionEvents(db, 'live-1');
		expect(events.map((e) => e.type)).toEqual([
			'connect-attempt',
			'connected',
			'consent-requested',
			'consent-answered',
			'control-taken',
			'chat',
			'chat',
			'consent-answered',
			'control-released',
			'end'
		]);
		expect(events[3]!.data).toMatchObject({ state: 'granted', verified: true, answeredAt: 2 });
		expect(events[3]!.data).toMatchObject({ signature: base64urlEncode(signature) });
		expect(events[8]!.data).toEqual({ by: 'customer' });
		expect(events[9]!.data).toEqual({ outcome: 'completed', code: 'goodbye' });
		const row = await db.get('sessions', 'live-1');
		expect(row).toMatchObject({
			outcome: 'completed',
			capabilities: ['control'],
			serial: 'CA-0042',
			instrumentName: 'Chemistry analyser CA-42',
			technicianName: 'Ana Ruiz'
		});
		expect(row).not.toHaveProperty('model');
		// A reviewer finds it by the names too.
		expect(row!.searchGrams).toEqual(expect.arrayContaining(['ana', 'ca-', 'uiz']));
		expect(await verifySession(db, 'live-1')).toEqual({ ok: true });

		// Effects have stopped: later changes are not recorded.
		step(() => (session.chat = [...session.chat, { from: 'customer', messageId: 2, text: 'x' }]));
		await recording.settled();
		expect(await sessionEvents(db, 'live-1')).toHaveLength(10);
	});

	it('records each file once its fate is known, with its SHA-256, in the transfers store too', async () => {
		const { session, recording } = await setUp();
		const flushed = (rows: RecordableTransfer[]) => {
			session.transfers = { rows };
			flushSync();
		};
		const sha = 'ab'.repeat(32);
		const up = { id: 1, direction: 'upload' as const, name: 'log.txt', size: 7, state: 'sending' };
		const down = {
			id: 2,
			direction: 'download' as const,
			name: 'cal.csv',
			size: 9,
			state: 'receiving'
		};
		flushed([up, down]); // on their way: nothing written yet
		flushed([{ ...up, state: 'done', sha256: sha }, down]);
		flushed([
			{ ...up, state: 'done', sha256: sha },
			{ ...down, state: 'cancelled' }
		]);
		flushed([
			{ ...up, state: 'done', sha256: sha },
			{ ...down, state: 'cancelled' }
		]); // again: once
		await recording.settled();
		const files = (await sessionEvents(db, 'live-1')).filter((e) => e.type === 'file');
		expect(files.map((e) => e.data)).toEqual([
			{ transferId: 1, direction: 'upload', name: 'log.txt', size: 7, sha256: sha, state: 'done' },
			{
				transferId: 2,
				direction: 'download',
				name: 'cal.csv',
				size: 9,
				sha256: '',
				state: 'cancelled'
			}
		]);
		expect(await db.get('transfers', ['live-1', 1])).toMatchObject({ sha256: sha, state: 'done' });
		await recording.end();
		expect(await verifySession(db, 'live-1')).toEqual({ ok: true });
	});

	it('records a failed open as a connect failure that ends the session', async () => {
		const { recording } = await setUp();
		await recording.opened({ ok: false, failure: { code: 'unreachable', message: 'no route' } });
		const events = await sessionEvents(db, 'live-1');
		expect(events.map((e) => [e.type, e.data])).toEqual([
			['connect-attempt', { attempt: 1 }],
			['connect-failed', { code: 'unreachable', message: 'no route' }],
			['end', { outcome: 'failed', code: 'unreachable' }]
		]);
		expect((await db.get('sessions', 'live-1'))?.outcome).toBe('failed');
		// The timeline says it in words, with the code; an unknown code is named as unknown.
		expect(eventText(events[1]!)).toBe(
			'Connection failed: The relay cannot be reached. Check the network and try again. ' +
				'(unreachable)'
		);
		expect(eventText({ ...events[1]!, data: { code: 'from-the-future', message: '' } })).toBe(
			'Connection failed: a reason this version does not know (from-the-future)'
		);
	});

	it('records the rotated agent key the connection accepted right after its attempt', async () => {
		const keyAccepted = {
			from: { agentKeyId: 'agk-1', fingerprint: '3cee:3a11' },
			to: { agentKeyId: 'agk-2', fingerprint: '772b:ef02' },
			rotatedAt: '2026-11-28T09:00:00.000Z'
		};
		const { recording } = await setUp({ keyAccepted });
		await recording.end();
		const events = await sessionEvents(db, 'live-1');
		expect(events.map((e) => e.type)).toEqual(['connect-attempt', 'agent-key-accepted', 'end']);
		expect(events[1]!.data).toEqual(keyAccepted);
		expect(eventText(events[1]!)).toBe(
			'Accepted the instrument’s new identity key, confirmed with the site: ' +
				'agk-1 (3cee:3a11) → agk-2 (772b:ef02)'
		);
		expect(await verifySession(db, 'live-1')).toEqual({ ok: true });
		// And it is bound for the broker's audit trail, as every event is.
		expect(await db.count('outbox')).toBeGreaterThan(0);
	});
});
