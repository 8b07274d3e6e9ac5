/**
 * The technician's console settings that outlive a reload (the idle-lock delay). Kept in
 * IndexedDB: localStorage holds the interface language only.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export const SETTINGS_DB_NAME = 'benchside-settings';

export interface Settings {
	/** Minutes without input before the idle lock asks for the password again. */
	idleLockMinutes: number;
}

export const DEFAULT_SETTINGS: Settings = { idleLockMinutes: 15 };
export const IDLE_LOCK_CHOICES = [1, 5, 10, 15, 30, 60] as const;

interface SettingsDb extends DBSchema {
	settings: { key: string; value: Settings };
}

export interface SettingsStore {
	load(): Promise<Settings>;
	save(settings: Settings): Promise<void>;
}

export function indexedDbSettingsStore(name = SETTINGS_DB_NAME): SettingsStore {
	let db: Promise<IDBPDatabase<SettingsDb>> | null = null;
	const open = () =>
		(db ??= openDB<SettingsDb>(name, 1, {
			upgrade(database, oldVersion) {
				if (oldVersion < 1) database.createObjectStore('settings');
			}
		}));
	return {
		async load() {
			try {
				const stored = await (await open()).get('settings', 'console');
				return { ...DEFAULT_SETTINGS, ...stored };
			} catch {
				// Private windows may refuse IndexedDB: the defaults still work.
				return { ...DEFAULT_SETTINGS };
			}
		},
		async save(settings) {
			await (await open()).put('settings', settings, 'console');
		}
	};
}

/** A store that forgets at reload, for tests. */
export function memorySettingsStore(initial: Partial<Settings> = {}): SettingsStore {
	let current: Settings = { ...DEFAULT_SETTINGS, ...initial };
	return {
		load: async () => ({ ...current }),
		save: async (s) => void (current = { ...s })
	};
}
