/**
 * This browser's trusted-device key (Part 1, "Authentication and tokens"): a non-extractable
 * ECDSA P-256 private key and its raw public half, with the id the broker knows it by. IndexedDB
 * keeps the CryptoKey object itself (structured clone), so the private key never exists as bytes.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export const DEVICE_DB_NAME = 'benchside-device';
const STORE = 'device';
const KEY = 'this-browser';

export interface StoredDevice {
	/** b64u(16), chosen by the console. */
	deviceId: string;
	/** Raw uncompressed P-256 point, 65 bytes. */
	publicKey: Uint8Array;
	/** Non-extractable; can only sign. */
	privateKey: CryptoKey;
	/** When this browser registered it (ISO time). */
	registeredAt: string;
}

interface DeviceDb extends DBSchema {
	device: { key: string; value: StoredDevice };
}

/** Now, as the broker writes times. */
export const isoNow = (): string => new Date().toISOString();

export interface DeviceStore {
	load(): Promise<StoredDevice | null>;
	save(device: StoredDevice): Promise<void>;
	forget(): Promise<void>;
}

/** The device key in IndexedDB; `name` is for tests that need a store of their own. */
export function indexedDbDeviceStore(name = DEVICE_DB_NAME): DeviceStore {
	let db: Promise<IDBPDatabase<DeviceDb>> | null = null;
	const open = () =>
		(db ??= openDB<DeviceDb>(name, 1, {
			upgrade(database, oldVersion) {
				if (oldVersion < 1) database.createObjectStore(STORE);
			}
		}));
	return {
		async load() {
			return (await (await open()).get(STORE, KEY)) ?? null;
		},
		async save(device) {
			await (await open()).put(STORE, device, KEY);
		},
		async forget() {
			await (await open()).delete(STORE, KEY);
		}
	};
}
