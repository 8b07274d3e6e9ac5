/**
 * The one IndexedDB schema of session history (issue 8). Migrations are ordered
 * `if (oldVersion < N)` blocks: a block, once shipped, is never edited, and each is tested from a
 * database built at the version before it (tests/browser/history-migration.test.ts).
 */
import {
	openDB,
	unwrap,
	type DBSchema,
	type IDBPDatabase,
	type IDBPTransaction,
	type StoreNames
} from 'idb';
import type { Capability } from '$lib/protocol/messages';
import type { HistoryDbV3, UpgradeTxV3 } from './db-v3';

export const HISTORY_DB_NAME = 'benchside-history';
export const HISTORY_VERSION = 5;

export type SessionOutcome = 'completed' | 'failed' | 'interrupted' | 'open';

/** Plain JSON: what an event's data may hold, so its canonical form is well defined. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

export interface SessionRow {
	/** The broker's session id (text form). */
	id: string;
	instrumentId: string;
	serial: string;
	site: string;
	technicianId: string;
	/** Epoch milliseconds. */
	startedAt: number;
	endedAt: number | null;
	outcome: SessionOutcome;
	/** Capabilities the customer granted at least once (added in v2). */
	capabilities: Capability[];
	/**
	 * `[capability, startedAt]` per capability (added in v3), kept by `withIndexKeys`: a
	 * multi-entry index on it lists the sessions that used a capability in date order.
	 */
	capabilityKeys?: [Capability, number][];
	/** Every three-character slice of `searchText` (v3): free-text search finds candidates by index. */
	searchGrams?: string[];
	/** The reviewer's ticket number for the service report. */
	ticket?: string;
	/** The agent's pinned public key (b64u), to check consent signatures later (v3). */
	agentKey?: string;
	/**
	 * Names as the broker gave them when the session began, for a reviewer who has no broker to
	 * ask: the instrument's name and model, the technician's name. Sessions recorded before they
	 * were kept have none; their ids stand in.
	 */
	instrumentName?: string;
	model?: string;
	technicianName?: string;
}

/** The names a session kept (see `SessionRow`), those it has. */
const namesOf = (s: SessionRow): string[] =>
	[s.instrumentName, s.model, s.technicianName].filter((n): n is string => !!n);

/** What free-text search looks in, lower case, one field per line. */
export function searchText(s: SessionRow): string {
	return [s.id, s.instrumentId, s.serial, s.site, s.technicianId, s.ticket ?? '', ...namesOf(s)]
		.join('\n')
		.toLowerCase();
}

/** The distinct three-character slices of a text (none for a shorter one). */
export function trigrams(text: string): string[] {
	const grams = new Set<string>();
	for (let i = 0; i + 3 <= text.length; i++) grams.add(text.slice(i, i + 3));
	return [...grams];
}

/** The derived index fields of a session row, recomputed on every write of it. */
export function withIndexKeys(session: SessionRow): SessionRow {
	return {
		...session,
		capabilityKeys: session.capabilities.map((c): [Capability, number] => [c, session.startedAt]),
		searchGrams: trigrams(searchText(session))
	};
}

/** One event of a session's chain, as readers see it (stored inside an `EventBlockRow`). */
export interface EventRow {
	sessionId: string;
	/** 0, 1, 2, … per session, without gaps. */
	seq: number;
	at: number;
	type: string;
	data: JsonValue;
	/** Hex SHA-256 of the previous event of the session (64 zeros for the first). */
	prevHash: string;
	hash: string;
}

/** An event inside a block: the block names its session once. */
export type BlockEvent = Omit<EventRow, 'sessionId'>;

/**
 * v4: an ordered run of one session's consecutive events in ONE IndexedDB record, because
 * IndexedDB costs per record, not per byte (bench/README.md, history). `events[i].seq` is
 * `firstSeq + i`; the key `[sessionId, firstSeq]` is unique, so two writers cannot both add
 * the block that starts at the same seq.
 */
export interface EventBlockRow {
	sessionId: string;
	firstSeq: number;
	events: BlockEvent[];
}

/** The most events one block holds (journal.ts says why this many). */
export const BLOCK_SIZE = 100;

/** One encrypted, still-encoded video message of a session (see screen-recording.ts). */
export interface RecordingRow {
	sessionId: string;
	seq: number;
	/** A `video-config` or a `video-chunk` (also inside the ciphertext, checked on replay). */
	kind: 'config' | 'chunk';
	/** A key frame, or a config (where replay can start). */
	key: boolean;
	/** Milliseconds from the start of the recording. */
	timestamp: number;
	iv: Uint8Array;
	ciphertext: Uint8Array;
}

export interface TransferRow {
	sessionId: string;
	transferId: number;
	/** As the live session names them: upload is to the instrument. */
	direction: 'upload' | 'download';
	name: string;
	size: number;
	/** Hex SHA-256 of the file's bytes (empty when it failed before it was known). */
	sha256: string;
	/** How the transfer ended: history records a file once its fate is known. */
	state: 'done' | 'failed' | 'cancelled' | 'revoked';
}

/** An event waiting in the outbox, with the id the broker deduplicates it by (Part 1, audit). */
export interface OutboxEvent extends BlockEvent {
	/** A UUID made when the event was written, sent with it on every attempt. */
	id: string;
}

/** `nextAttemptAt` of rows the broker's schema cannot take: kept and counted, never retried. */
export const PARKED = Number.MAX_SAFE_INTEGER;

/**
 * Audit copies of a run of one session's events waiting to be sent to the broker (v4: one row
 * per block, not per event). Delivered events leave the row; the row goes with its last one.
 */
export interface OutboxRow {
	/** The row's own key (not an audit id). */
	id: string;
	/** Who recorded it: sent only under that technician's token (Part 1, audit; added in v3). */
	technicianId: string;
	sessionId: string;
	events: OutboxEvent[];
	/** Failed attempts of this row; `nextAttemptAt` backs off with it. */
	attempts: number;
	nextAttemptAt: number;
	/**
	 * `[technicianId, parked ? 1 : 0, events.length]` (v5), kept by `withOutboxKeys`: the
	 * `by-unsent` index on it counts unsent events by key, without reading a row.
	 */
	unsent: UnsentKey;
}

export type UnsentKey = [technicianId: string, parked: 0 | 1, events: number];

/** An outbox row as v4 stored it (and as writers build it, before `withOutboxKeys`). */
export type OutboxRowV4 = Omit<OutboxRow, 'unsent'>;

/** The derived index field of an outbox row, recomputed on every write of it. */
export function withOutboxKeys(row: OutboxRowV4 & { unsent?: UnsentKey }): OutboxRow {
	const parked = row.nextAttemptAt === PARKED ? 1 : 0;
	return { ...row, unsent: [row.technicianId, parked, row.events.length] };
}

export interface HistorySchema extends DBSchema {
	sessions: {
		key: string;
		value: SessionRow;
		indexes: {
			'by-startedAt': number;
			'by-instrumentId': [string, number];
			'by-technicianId': [string, number];
			'by-outcome': [string, number];
			'by-serial': [string, number];
			'by-site': [string, number];
			'by-capability': [string, number];
			'by-gram': string;
		};
	};
	eventBlocks: {
		key: [string, number];
		value: EventBlockRow;
	};
	recordings: {
		key: [string, number];
		value: RecordingRow;
	};
	transfers: {
		key: [string, number];
		value: TransferRow;
		indexes: { 'by-sha256': string };
	};
	outbox: {
		key: string;
		value: OutboxRow;
		indexes: {
			'by-nextAttemptAt': number;
			'by-technician-due': [string, number];
			'by-unsent': UnsentKey;
		};
	};
	/** Small key-value settings of history itself (retention), added in v3. */
	settings: {
		key: string;
		value: JsonValue;
	};
}

export type HistoryDb = IDBPDatabase<HistorySchema>;

type UpgradeTx = IDBPTransaction<HistorySchema, StoreNames<HistorySchema>[], 'versionchange'>;

/** Version 1: sessions (without capabilities) and their events. */
function toV1(db: HistoryDbV3) {
	const sessions = db.createObjectStore('sessions', { keyPath: 'id' });
	sessions.createIndex('by-startedAt', 'startedAt');
	const events = db.createObjectStore('events', { keyPath: 'id', autoIncrement: true });
	// Unique: two writers can never both append seq N to one session.
	events.createIndex('by-session-seq', ['sessionId', 'seq'], { unique: true });
}

/** Version 2: the other stores, the filter indexes, and `capabilities` on every session. */
async function toV2(db: HistoryDbV3, tx: UpgradeTxV3) {
	db.createObjectStore('recordings', { keyPath: ['sessionId', 'seq'] });
	db.createObjectStore('transfers', { keyPath: ['sessionId', 'transferId'] }).createIndex(
		'by-sha256',
		'sha256'
	);
	db.createObjectStore('outbox', { keyPath: 'id' }).createIndex(
		'by-nextAttemptAt',
		'nextAttemptAt'
	);
	const sessions = tx.objectStore('sessions');
	// Compound with startedAt, so a filtered list is already in date order and pages by cursor.
	sessions.createIndex('by-instrumentId', ['instrumentId', 'startedAt']);
	sessions.createIndex('by-technicianId', ['technicianId', 'startedAt']);
	sessions.createIndex('by-outcome', ['outcome', 'startedAt']);
	for (let cursor = await sessions.openCursor(); cursor; cursor = await cursor.continue()) {
		if (!Array.isArray(cursor.value.capabilities))
			await cursor.update({ ...cursor.value, capabilities: [] });
	}
}

/**
 * Version 3: serial, site and capability indexes for the list's filters (each compound with
 * startedAt, so a filtered list pages in date order), a trigram index for free-text search, the technician on every outbox row (audit
 * is sent only under its recorder's token) and a settings store.
 */
async function toV3(db: HistoryDbV3, tx: UpgradeTxV3) {
	const sessions = tx.objectStore('sessions');
	sessions.createIndex('by-serial', ['serial', 'startedAt']);
	sessions.createIndex('by-site', ['site', 'startedAt']);
	sessions.createIndex('by-capability', 'capabilityKeys', { multiEntry: true });
	sessions.createIndex('by-gram', 'searchGrams', { multiEntry: true });
	db.createObjectStore('settings');
	const owners = new Map<string, string>();
	for (let cursor = await sessions.openCursor(); cursor; cursor = await cursor.continue()) {
		owners.set(cursor.value.id, cursor.value.technicianId);
		await cursor.update(withIndexKeys(cursor.value));
	}
	const outbox = tx.objectStore('outbox');
	outbox.createIndex('by-technician-due', ['technicianId', 'nextAttemptAt']);
	for (let cursor = await outbox.openCursor(); cursor; cursor = await cursor.continue()) {
		const technicianId = owners.get(cursor.value.event.sessionId) ?? '';
		await cursor.update({ ...cursor.value, technicianId });
	}
}

/**
 * Version 4: events in blocks (`eventBlocks`, up to BLOCK_SIZE consecutive events of a session
 * per record) instead of a record each, and outbox rows that hold a run of events. Every v3
 * event moves into blocks in seq order, then the old store goes. Every v3 outbox row becomes a
 * v4 row of its one event, under the same key, with its id kept as the event's idempotency id
 * (the broker may already hold it) and its attempts and backoff (or parking) as they were.
 */
async function toV4(db: HistoryDb, tx: UpgradeTx, v3: HistoryDbV3, old: UpgradeTxV3) {
	// Raw requests: a failed one aborts the upgrade, and the database stays at v3, whole.
	const blocks = unwrap(
		db.createObjectStore('eventBlocks', { keyPath: ['sessionId', 'firstSeq'] })
	);
	const events = old.objectStore('events').index('by-session-seq');
	let block: EventBlockRow | null = null;
	let after: IDBKeyRange | null = null;
	for (;;) {
		// Session by session in seq order, a thousand rows at a time: memory stays bounded.
		const rows = await events.getAll(after, 1000);
		const last = rows.at(-1);
		if (!last) break;
		for (const { id: _id, sessionId, ...event } of rows) {
			// A gap (an event removed from a v3 database) starts a new block: each block stays a
			// run of consecutive seqs, and Verify still reports the gap where it is.
			if (
				!block ||
				block.sessionId !== sessionId ||
				block.events.length >= BLOCK_SIZE ||
				event.seq !== block.firstSeq + block.events.length
			) {
				if (block) blocks.add(block);
				block = { sessionId, firstSeq: event.seq, events: [] };
			}
			block.events.push(event);
		}
		after = IDBKeyRange.lowerBound([last.sessionId, last.seq], true);
	}
	if (block) blocks.add(block);
	v3.deleteObjectStore('events');

	const outbox = unwrap(tx.objectStore('outbox'));
	const rows = old.objectStore('outbox');
	for (let cursor = await rows.openCursor(); cursor; cursor = await cursor.continue()) {
		const { id, technicianId, event, attempts, nextAttemptAt } = cursor.value;
		const { sessionId, ...rest } = event;
		const row: OutboxRowV4 = {
			id,
			technicianId,
			sessionId,
			events: [{ ...rest, id }],
			attempts,
			nextAttemptAt
		};
		outbox.put(row);
	}
}

/**
 * Version 5: each outbox row says how many events it holds, for whom, and whether they are parked
 * (`unsent`, indexed), so the storage panel's count is a walk over a few distinct index keys
 * instead of reading every row's events every few seconds. Every row is kept, as it was.
 */
async function toV5(tx: UpgradeTx) {
	const outbox = tx.objectStore('outbox');
	outbox.createIndex('by-unsent', 'unsent');
	for (let cursor = await outbox.openCursor(); cursor; cursor = await cursor.continue())
		await cursor.update(withOutboxKeys(cursor.value));
}

/** Opens (and migrates) the history database; `version` below the current one is for tests. */
export function openHistoryDb(
	name = HISTORY_DB_NAME,
	version = HISTORY_VERSION
): Promise<HistoryDb> {
	const opening: Promise<HistoryDb> = openDB<HistorySchema>(name, version, {
		async upgrade(db, oldVersion, newVersion, tx) {
			// Versions 1 to 3 are written against the shapes they shipped with (db-v3.ts).
			const v3 = db as unknown as HistoryDbV3;
			const v3tx = tx as unknown as UpgradeTxV3;
			if (oldVersion < 1) toV1(v3);
			const target = newVersion ?? HISTORY_VERSION;
			if (oldVersion < 2 && target >= 2) await toV2(v3, v3tx);
			if (oldVersion < 3 && target >= 3) await toV3(v3, v3tx);
			if (oldVersion < 4 && target >= 4) await toV4(db, tx, v3, v3tx);
			if (oldVersion < 5 && target >= 5) await toV5(tx);
		},
		blocking() {
			// Another tab needs a newer schema: step aside rather than block its upgrade.
			void opening.then((db) => db.close());
		}
	});
	return opening;
}
