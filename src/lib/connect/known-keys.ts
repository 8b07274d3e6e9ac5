/**
 * The agent identity keys this browser has connected to, per instrument (docs/protocol.md Part 1,
 * "Pinning the agent key"), and the technician's recorded acknowledgements of key rotations. Kept
 * in IndexedDB beside the device key: a broker that later shows another key for an instrument is
 * caught before the console connects, even though the handshake would pin whatever it shows.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Instrument } from '$lib/protocol/broker-api';

export const KNOWN_KEYS_DB_NAME = 'benchside-agent-keys';

export interface KnownAgentKey {
	instrumentId: string;
	agentKeyId: string;
	/** base64url of the raw P-256 key, as in the broker's record. */
	agentKey: string;
	/** When the console last completed a handshake with it (ISO time). */
	connectedAt: string;
}

/** "I have confirmed the new key": who, when, from which key to which. */
export interface KeyAcknowledgement {
	instrumentId: string;
	technicianId: string;
	at: string;
	from: { agentKeyId: string; agentKey: string };
	to: { agentKeyId: string; agentKey: string };
	/** The broker's `agentKeyRotatedAt`. */
	rotatedAt: string;
}

interface KnownKeysDb extends DBSchema {
	keys: { key: string; value: KnownAgentKey };
	acknowledgements: {
		key: number;
		value: KeyAcknowledgement;
		indexes: { instrumentId: string };
	};
}

export interface KnownKeyStore {
	get(instrumentId: string): Promise<KnownAgentKey | null>;
	remember(key: KnownAgentKey): Promise<void>;
	acknowledge(ack: KeyAcknowledgement): Promise<void>;
	acknowledgements(instrumentId: string): Promise<KeyAcknowledgement[]>;
}

export function indexedDbKnownKeyStore(name = KNOWN_KEYS_DB_NAME): KnownKeyStore {
	let db: Promise<IDBPDatabase<KnownKeysDb>> | null = null;
	const open = () =>
		(db ??= openDB<KnownKeysDb>(name, 1, {
			upgrade(database, oldVersion) {
				if (oldVersion < 1) {
					database.createObjectStore('keys', { keyPath: 'instrumentId' });
					database
						.createObjectStore('acknowledgements', { autoIncrement: true })
						.createIndex('instrumentId', 'instrumentId');
				}
			}
		}));
	return {
		async get(instrumentId) {
			return (await (await open()).get('keys', instrumentId)) ?? null;
		},
		async remember(key) {
			await (await open()).put('keys', key);
		},
		async acknowledge(ack) {
			await (await open()).add('acknowledgements', ack);
		},
		async acknowledgements(instrumentId) {
			return (await open()).getAllFromIndex('acknowledgements', 'instrumentId', instrumentId);
		}
	};
}

export type KeyCheck =
	/** Never connected from this browser: the record's key is pinned as it is. */
	| { kind: 'first-use' }
	| { kind: 'same' }
	/** The broker marks a rotation away from the very key we know: ask, then proceed. */
	| { kind: 'rotated'; known: KnownAgentKey; rotatedAt: string }
	/** Another key without a rotation that names ours: possible substitution, no way on. */
	| { kind: 'substituted'; known: KnownAgentKey };

export function checkAgentKey(known: KnownAgentKey | null, record: Instrument): KeyCheck {
	if (!known) return { kind: 'first-use' };
	if (known.agentKey === record.agentKey) return { kind: 'same' };
	const rotation =
		record.agentKeyId !== known.agentKeyId &&
		record.previousAgentKeyId === known.agentKeyId &&
		record.agentKeyRotatedAt !== undefined;
	return rotation
		? { kind: 'rotated', known, rotatedAt: record.agentKeyRotatedAt! }
		: { kind: 'substituted', known };
}
