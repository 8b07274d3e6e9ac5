import { setupWorker } from 'msw/browser';
import { brokerHandlers } from './broker/handlers';
import { createBrowserScreenSource } from './agent/screen/browser-source';
import { lazyScreenSource } from './agent/screen/lazy';
import { serveRelayBridge } from './relay-bridge';
import { relayHandlers } from './relay-msw';
import { createMockWorld, type MockWorld } from './world';

let world: MockWorld | null = null;

/** The running mock world, for the dev panel (null before `startBrowserMocks`). */
export function mockWorld(): MockWorld | null {
	return world;
}

/**
 * Starts the in-browser mocks for `npm run dev`: the broker's REST API and its relay through
 * MSW, and one simulated agent per instrument whose screen is drawn and encoded live in a
 * worker. Never imported by a production build.
 */
export async function startBrowserMocks() {
	world = await createMockWorld({
		screenFor: (instrument, screens) =>
			lazyScreenSource(screens, () => createBrowserScreenSource(screens, instrument))
	});
	const worker = setupWorker(
		...brokerHandlers(world.broker),
		...relayHandlers(world.relay, world.relayBase)
	);
	await worker.start({
		onUnhandledRequest: 'bypass',
		quiet: true,
		serviceWorker: { url: '/mockServiceWorker.js' }
	});
	console.info('[benchside] mock broker, relay and instruments running in this tab (dev mode)');
	return { worker, world };
}

/**
 * A port for a worker whose sockets must reach the mock relay (MSW's page-level WebSocket mock
 * does not see them): hand it to the worker, which installs the other end of the bridge.
 */
export function relayBridgePort(): { port: MessagePort; relayBase: string } | null {
	if (!world) return null;
	const channel = new MessageChannel();
	serveRelayBridge(world.relay, channel.port1);
	return { port: channel.port2, relayBase: world.relayBase };
}
