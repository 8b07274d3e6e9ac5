/**
 * The whole simulated world the console talks to: the reference broker, one agent per
 * instrument (each with its simulated customer and screen), and the relay between them. Used by
 * `npm run dev` (mocks/browser.ts), node tests (mocks/node.ts) and the dev panel.
 */
import { base64urlDecode } from '../src/lib/protocol/base64url';
import { toHex } from '../src/lib/protocol/bytes';
import { InstrumentAgent } from './agent/agent';
import type { ScreenInfo, ScreenSource } from './agent/screen/types';
import { BrokerModel, type BrokerModelOptions } from './broker/model';
import type { InstrumentFixture } from './broker/fleet';
import { MockRelay } from './relay';

export const DEFAULT_RELAY_BASE = 'wss://relay.benchside.test';

/** The screens an instrument shows: a main one, and a service screen when it has two. */
export function screensOf(instrument: InstrumentFixture): ScreenInfo[] {
	const screens: ScreenInfo[] = [{ id: 0, name: 'Main', width: 1920, height: 1080, primary: true }];
	if (instrument.screens > 1)
		screens.push({ id: 1, name: 'Service', width: 1280, height: 720, primary: false });
	return screens;
}

export interface WorldOptions extends BrokerModelOptions {
	/** Makes the simulated screen of an instrument (live in the browser, fixtures in Node). */
	screenFor: (instrument: InstrumentFixture, screens: ScreenInfo[]) => ScreenSource;
	/** Agents for how many instruments (the first N of the fleet); default all. */
	agents?: number;
	/** A fixed one-time password for every agent (tests). */
	password?: string;
}

export interface MockWorld {
	broker: BrokerModel;
	agents: Map<string, InstrumentAgent>;
	relay: MockRelay;
	relayBase: string;
	dispose(): void;
}

export async function createMockWorld(options: WorldOptions): Promise<MockWorld> {
	const relayBase = options.relayBase ?? DEFAULT_RELAY_BASE;
	const broker = new BrokerModel({ ...options, relayBase });
	const agents = new Map<string, InstrumentAgent>();
	const fleet = broker.instruments().slice(0, options.agents ?? Infinity);
	await Promise.all(
		fleet.map(async (instrument) => {
			const agent = await InstrumentAgent.create({
				instrumentId: instrument.id,
				name: instrument.name,
				phi: instrument.phi,
				capabilities: instrument.capabilities,
				screen: options.screenFor(instrument, screensOf(instrument)),
				isDeviceAllowed: (technicianId, key) =>
					broker.isDeviceAllowed(instrument.id, technicianId, key),
				...(options.now ? { now: options.now } : {}),
				...(options.password ? { password: options.password } : {})
			});
			broker.registerAgent(instrument.id, {
				publicKey: agent.identity.publicKey,
				keyId: agent.identity.keyId
			});
			agents.set(instrument.id, agent);
		})
	);
	const unsubscribe = broker.onSessionCreated((event) => {
		agents.get(event.instrumentId)?.expectSession(toHex(event.sessionId));
	});
	return {
		broker,
		agents,
		relay: new MockRelay(broker, agents),
		relayBase,
		dispose() {
			unsubscribe();
			for (const a of agents.values()) {
				void a.connection?.end('agent-shutdown');
				a.screen.dispose();
			}
		}
	};
}

/** A planned rotation: the agent makes a new key, and the broker publishes it as a rotation. */
export async function rotateAgentKey(world: MockWorld, instrumentId: string): Promise<void> {
	const agent = world.agents.get(instrumentId);
	if (!agent) throw new RangeError(`no agent for ${instrumentId}`);
	const { publicKey, keyId } = await agent.rotateKey();
	world.broker.rotateAgentKey(instrumentId, { publicKey, keyId });
}

/** Session ids travel as base64url in the broker API and as raw bytes in the agent channel. */
export function sessionBytes(sessionIdText: string): Uint8Array {
	const bytes = base64urlDecode(sessionIdText);
	if (!bytes || bytes.length !== 16) throw new Error(`not a session id: ${sessionIdText}`);
	return bytes;
}
