/**
 * The console's state objects, made once by the root layout and read by components through
 * Svelte context (tests make their own, with a stub `openSession` or a store of their own).
 */
import { createContext } from 'svelte';
import { BrokerClient } from '$lib/broker/client';
import { signOutErasesLocalData } from '$lib/config';
import { eraseLocalData } from '$lib/history/erase';
import { ConnectState, type OpenSession, type RecordRefusal } from '$lib/connect/connect.svelte';
import type { KnownKeyStore } from '$lib/connect/known-keys';
import { FleetState } from '$lib/fleet/fleet.svelte';
import { AuthState, type AuthOptions } from './auth.svelte';
import { indexedDbDeviceStore, type DeviceStore } from './device-store';
import { IdleLock } from './idle-lock.svelte';
import { PasskeyEnrolment } from './passkeys.svelte';
import { indexedDbSettingsStore, type SettingsStore } from './settings-store';

export interface ConsoleState {
	broker: BrokerClient;
	auth: AuthState;
	idle: IdleLock;
	passkeys: PasskeyEnrolment;
	fleet: FleetState;
	connect: ConnectState;
}

export interface ConsoleOptions {
	broker?: BrokerClient;
	devices?: DeviceStore;
	settings?: SettingsStore;
	openSession?: OpenSession;
	recordRefusal?: RecordRefusal;
	knownKeys?: KnownKeyStore;
	/** Approval polling interval (default 5 s, Part 1). */
	pollMs?: number;
	/** Erase local data at sign-out (default: the site's policy, `signOutErasesLocalData`). */
	eraseOnSignOut?: AuthOptions['eraseOnSignOut'];
}

export function createConsoleState(options: ConsoleOptions = {}): ConsoleState {
	const broker = options.broker ?? new BrokerClient();
	const auth = new AuthState({
		broker,
		devices: options.devices ?? indexedDbDeviceStore(),
		...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
		...(options.eraseOnSignOut
			? { eraseOnSignOut: options.eraseOnSignOut }
			: signOutErasesLocalData
				? { eraseOnSignOut: () => eraseLocalData() }
				: {})
	});
	const fleet = new FleetState(broker);
	return {
		broker,
		auth,
		idle: new IdleLock(auth, options.settings ?? indexedDbSettingsStore()),
		passkeys: new PasskeyEnrolment(broker),
		fleet,
		connect: new ConnectState({
			broker,
			auth,
			fleet,
			...(options.openSession ? { openSession: options.openSession } : {}),
			...(options.recordRefusal ? { recordRefusal: options.recordRefusal } : {}),
			...(options.knownKeys ? { knownKeys: options.knownKeys } : {})
		})
	};
}

const [getConsole, setConsole] = createContext<ConsoleState>();
export { getConsole, setConsole };
