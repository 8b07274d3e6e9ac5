/**
 * The one IndexedDB schema of session history (issue 8). Migrations are ordered
 * `if (oldVersion < N)` blocks: a block, once shipped, is never edited, and each is tested from a
 * database built at the version before it (tests/browser/history-store.test.ts).
 */
import {
	openDB,
	type DBSchema,
	type IDBPDatabase,
	type IDBPTransaction,
	type StoreNames
} from 'idb';
import type { Capability } from '$lib/protocol/messages';

export const HISTORY_DB_NAME = 'benchside-history';
export const HISTORY_VERSION = 3;

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
}

/** What free-text search looks in, lower case, one field per line. */
export function searchText(s: SessionRow): string {
	return [s.id, s.instrumentId, s.serial, s.site, s.technicianId, s.ticket ?? '']
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

export interface EventRow {
	/** Auto-increment key, absent before the row is written. */
	id?: number;
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

/** An audit event waiting to be sent to the broker; `id` doubles as the idempotency key. */
export interface OutboxRow {
	id: string;
	/** Who recorded it: sent only under that technician's token (Part 1, audit; added in v3). */
	technicianId: string;
	event: Omit<EventRow, 'id'>;
	attempts: number;
	nextAttemptAt: number;
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
	events: {
		key: number;
		value: EventRow;
		indexes: { 'by-session-seq': [string, number] };
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
		indexes: { 'by-nextAttemptAt': number; 'by-technician-due': [string, number] };
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
function toV1(db: HistoryDb) {
	const sessions = db.createObjectStore('sessions', { keyPath: 'id' });
	sessions.createIndex('by-startedAt', 'startedAt');
	const events = db.createObjectStore('events', { keyPath: 'id', autoIncrement: true });
	// Unique: two writers can never both append seq N to one session.
	events.createIndex('by-session-seq', ['sessionId', 'seq'], { unique: true });
}

/** Version 2: the other stores, the filter indexes, and `capabilities` on every session. */
async function toV2(db: HistoryDb, tx: UpgradeTx) {
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
async function toV3(db: HistoryDb, tx: UpgradeTx) {
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

/** Opens (and migrates) the history database; `version` below the current one is for tests. */
export function openHistoryDb(
	name = HISTORY_DB_NAME,
	version = HISTORY_VERSION
): Promise<HistoryDb> {
	const opening: Promise<HistoryDb> = openDB<HistorySchema>(name, version, {
		async upgrade(db, oldVersion, newVersion, tx) {
			if (oldVersion < 1) toV1(db);
			const target = newVersion ?? HISTORY_VERSION;
			if (oldVersion < 2 && target >= 2) await toV2(db, tx);
			if (oldVersion < 3 && target >= 3) await toV3(db, tx);
		},
		blocking() {
			// Another tab needs a newer schema: step aside rather than block its upgrade.
			void opening.then((db) => db.close());
		}
	});
	return opening;
}
