import type { Identity } from '../../src/lib/protocol/identity';
import { LiveSession } from '../../src/lib/session/live-session.svelte';
import { serveRelayBridge } from '../../mocks/relay-bridge';
import type { MockWorld } from '../../mocks/world';

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
	const created = world.broker.createSession(technician.token, { instrumentId });
	if (!created.ok) throw new Error(JSON.stringify(created.body));
	const agent = world.agents.get(instrumentId)!;
	const session = new LiveSession({
		relayUrl: created.body.relayUrl,
		sessionIdText: created.body.sessionId,
		accessToken: technician.token,
		instrumentId,
		technicianId: technician.technicianId,
		password: options.password ?? agent.password(),
		device: technician.device,
		pinnedAgentKey: options.pinned ?? agent.identity.publicKey
	});
	const bridge = new MessageChannel();
	serveRelayBridge(world.relay, bridge.port1);
	const result = await session.open({ port: bridge.port2, relayBase: world.relayBase });
	return { session, result, agent, sessionId: created.body.sessionId };
}
