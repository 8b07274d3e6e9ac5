/**
 * What schema versions 1 to 3 stored, for the migrations in db.ts only: those blocks are never
 * edited, so they keep the shapes they were written against, one event per record.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { EventRow, HistorySchema } from './db';

/** A v3 event row: one record per event under an auto-increment key. */
export interface EventRowV3 extends EventRow {
	id?: number;
}

/** A v3 outbox row: the audit copy of one event; `id` is that event's idempotency key. */
export interface OutboxRowV3 {
	id: string;
	technicianId: string;
	event: EventRow;
	attempts: number;
	nextAttemptAt: number;
}

export interface HistorySchemaV3 extends DBSchema {
	sessions: HistorySchema['sessions'];
	events: {
		key: number;
		value: EventRowV3;
		indexes: { 'by-session-seq': [string, number] };
	};
	recordings: HistorySchema['recordings'];
	transfers: HistorySchema['transfers'];
	outbox: {
		key: string;
		value: OutboxRowV3;
		indexes: { 'by-nextAttemptAt': number; 'by-technician-due': [string, number] };
	};
	settings: HistorySchema['settings'];
}

export type HistoryDbV3 = IDBPDatabase<HistorySchemaV3>;
export type UpgradeTxV3 = IDBPTransaction<
	HistorySchemaV3,
	StoreNames<HistorySchemaV3>[],
	'versionchange'
>;
