import type { Identity } from '../../src/lib/protocol/identity';
import { LiveSession } from '../../src/lib/session/live-session.svelte';
import { serveRelayBridge } from '../../mocks/relay-bridge';
import type { MockWorld } from '../../mocks/world';
import { newSessionRequest } from './world-flow';

/**
 * A live session to `instrumentId` through the stream worker, its socket carried to the mock
 * relay by the dev bridge: what the console does after POST /sessions. Browser tests only.
 */
export async function openLiveSession(
	world: MockWorld,
	technician: { token: string; technicianId: string; device: Identity },
	instrumentId: string,
	options: { password?: string; pinned?: Uint8Array } = {}
) {
	const { request, sessionId, agent } = newSessionRequest(world, technician, instrumentId, options);
	const session = new LiveSession(request);
	const bridge = new MessageChannel();
	serveRelayBridge(world.relay, bridge.port1);
	const result = await session.open({ port: bridge.port2, relayBase: world.relayBase });
	return { session, result, agent, sessionId };
}
