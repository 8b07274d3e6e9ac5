/**
 * Browser-test rig for the console: the reference broker (BrokerModel) behind MSW's service
 * worker in this very Chromium tab, with a clock the test moves (so each sign-in gets a fresh
 * TOTP step), and the console's components mounted against it.
 */
import { setupWorker } from 'msw/browser';
import { mount, unmount } from 'svelte';
import { expect } from 'vitest';
import { page } from 'vitest/browser';
import { brokerHandlers } from '$mocks/broker/handlers';
import { BrokerModel, DEMO_CREDENTIALS } from '$mocks/broker/model';
import { createConsoleState, type ConsoleState } from '$lib/auth/context';
import { indexedDbDeviceStore } from '$lib/auth/device-store';
import { indexedDbKnownKeyStore } from '$lib/connect/known-keys';
import { memorySettingsStore } from '$lib/auth/settings-store';
import type { OpenSession, RecordRefusal } from '$lib/connect/connect.svelte';
import { openHistoryDb, type HistoryDb } from '$lib/history/db';
import { recordRefusedConnection } from '$lib/history/record-live-session.svelte';
import type { OpenSessionResult } from '$lib/session/types';
import { generateIdentity } from '$lib/protocol/identity';
import type { MockWorld } from '$mocks/world';
import ConsoleHarness from './ConsoleHarness.svelte';

/** The clock of mock worlds made with `createRigWorld` (their broker checks TOTP against it). */
const worldClock = (() => {
	let t = Date.now();
	return { now: () => t, advance: (ms: number) => void (t += ms) };
})();

/**
 * The whole mock world (broker, relay, an agent per instrument with its simulated screen), and an
 * `openSession` that reaches its relay through the dev bridge, as $lib/session/client does in dev.
 */
export async function createRigWorld(): Promise<{ world: MockWorld; openSession: OpenSession }> {
	const { createMockWorld } = await import('$mocks/world');
	const { lazyScreenSource } = await import('$mocks/agent/screen/lazy');
	const { createBrowserScreenSource } = await import('$mocks/agent/screen/browser-source');
	const { serveRelayBridge } = await import('$mocks/relay-bridge');
	const { LiveSession } = await import('$lib/session/live-session.svelte');
	const world = await createMockWorld({
		now: worldClock.now,
		// The customer's password: fixed, since agents make a new one for every session.
		password: WORLD_PASSWORD,
		screenFor: (instrument, screens) =>
			lazyScreenSource(screens, () => createBrowserScreenSource(screens, instrument))
	});
	const openSession: OpenSession = async (req) => {
		const session = new LiveSession(req);
		const bridge = new MessageChannel();
		serveRelayBridge(world.relay, bridge.port1);
		const result = await session.open({ port: bridge.port2, relayBase: world.relayBase });
		if (result.ok) sessions.push(session);
		return result;
	};
	return { world, openSession };
}
const sessions: { end(): Promise<unknown> }[] = [];
export const WORLD_PASSWORD = 'KM7P-Q2XZ';

export const CAMILLE = DEMO_CREDENTIALS.camille;

/** What a stubbed live session answers when the haematology analyser HX-2041's agent accepts. */
export const CONNECTED_HX2041: OpenSessionResult = {
	ok: true,
	version: 1,
	info: {
		instrumentId: 'ins-2041',
		agentVersion: '1.0.0',
		phi: true,
		capabilities: ['view', 'control'],
		screens: [{ id: 0, name: 'Main', width: 1920, height: 1080, primary: true }],
		codecs: ['vp9']
	}
};
export const worker = setupWorker();
let started: Promise<unknown> | null = null;
let dbCount = 0;

export interface Rig {
	broker: BrokerModel;
	state: ConsoleState;
	/** Where the rig's console records connections refused before a session (not the default). */
	history: HistoryDb;
	/** Moves the broker's clock by a TOTP step and returns the code the app would show. */
	nextTotp(email?: string): string;
	approvePending(): void;
	destroy(): Promise<void>;
}

export async function startRig(
	options: {
		fleetSize?: number;
		openSession?: OpenSession;
		recordRefusal?: RecordRefusal;
		world?: MockWorld;
	} = {}
): Promise<Rig> {
	started ??= worker.start({
		onUnhandledRequest: 'bypass',
		quiet: true,
		serviceWorker: { url: '/mockServiceWorker.js' }
	});
	await started;
	let now = Date.now();
	const broker =
		options.world?.broker ??
		new BrokerModel({
			now: () => now,
			...(options.fleetSize ? { fleetSize: options.fleetSize } : {})
		});
	if (!options.world) {
		// Agents enrol their keys; one key will do for instruments nobody connects to.
		const agentKey = (await generateIdentity()).publicKey;
		for (const instrument of broker.instruments()) {
			broker.registerAgent(instrument.id, { publicKey: agentKey, keyId: 'agk-test-1' });
		}
	}
	worker.resetHandlers(...brokerHandlers(broker));
	const devices = indexedDbDeviceStore(`benchside-device-test-${Date.now()}-${dbCount++}`);
	const knownKeysDb = `benchside-agent-keys-test-${Date.now()}-${dbCount++}`;
	// Refused connections are recorded here, not in the browser's own history.
	const historyName = `benchside-history-rig-${Date.now()}-${dbCount++}`;
	const history = await openHistoryDb(historyName);
	const state = createConsoleState({
		devices,
		knownKeys: indexedDbKnownKeyStore(knownKeysDb),
		settings: memorySettingsStore(),
		pollMs: 150,
		...(options.openSession ? { openSession: options.openSession } : {}),
		recordRefusal:
			options.recordRefusal ??
			(async (refused) => void (await recordRefusedConnection(history, refused)))
	});
	const target = document.createElement('div');
	document.body.append(target);
	const app = mount(ConsoleHarness, { target, props: { console: state } });
	await page.viewport(1280, 860);
	return {
		broker,
		state,
		history,
		nextTotp(email = CAMILLE.email) {
			now += 30_000;
			if (options.world) worldClock.advance(30_000);
			return broker.currentTotp(email)!;
		},
		approvePending() {
			for (const p of broker.pendingApprovals()) {
				broker.approveDevice(p.deviceId, { approvalToken: p.approvalToken });
			}
		},
		async destroy() {
			await Promise.all(sessions.splice(0).map((s) => s.end().catch(() => {})));
			options.world?.dispose();
			state.auth.dispose();
			state.idle.stop();
			await unmount(app);
			target.remove();
			await devices.forget();
			indexedDB.deleteDatabase(knownKeysDb);
			history.close();
			indexedDB.deleteDatabase(historyName);
		}
	};
}

/** Saves a screenshot next to the e2e ones (tests/e2e/screenshots/, git-ignored). */
export async function shot(name: string): Promise<void> {
	await page.screenshot({ path: `../e2e/screenshots/browser-${name}.png` });
}

/**
 * The account's actions (idle lock, passkey, sign out) fold under the technician's name in the
 * header: unfolds them if they are folded.
 */
export async function openAccount() {
	const toggle = page.getByRole('button', { name: `Signed in as ${CAMILLE.name}` });
	if (toggle.element().getAttribute('aria-expanded') !== 'true') await toggle.click();
	await expect.element(page.getByRole('button', { name: 'Sign out' })).toBeVisible();
}

/** Signs out through the account menu. */
export async function signOut() {
	await openAccount();
	await page.getByRole('button', { name: 'Sign out' }).click();
}

export async function signInWithPassword(password: string = CAMILLE.password) {
	await page.getByLabelText('E-mail').fill(CAMILLE.email);
	await page.getByLabelText('Password').fill(password);
	await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function enterCode(r: Rig, code = r.nextTotp()) {
	await page.getByLabelText('Authentication code').fill(code);
	await page.getByRole('button', { name: 'Confirm' }).click();
}

/** A new browser: password, TOTP, registration, approval, then the real sign-in. */
export async function signInNewBrowser(r: Rig, screenshots = false) {
	await expect.element(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
	if (screenshots) await shot('sign-in');
	await signInWithPassword();
	await expect.element(page.getByRole('heading', { name: 'Confirm it is you' })).toBeVisible();
	if (screenshots) await shot('totp');
	await enterCode(r);
	const waiting = page.getByRole('heading', { name: 'This browser is waiting for approval…' });
	await expect.element(waiting).toBeVisible();
	await expect.element(page.getByText('Still waiting.')).toBeVisible();
	if (screenshots) await shot('device-waiting');
	r.approvePending();
	await expect
		.element(page.getByRole('heading', { name: 'This browser is approved' }))
		.toBeVisible();
	if (screenshots) await shot('device-approved');
	await signInWithPassword();
	await enterCode(r);
	await expect.element(page.getByRole('heading', { name: 'Instruments' })).toBeVisible();
}
