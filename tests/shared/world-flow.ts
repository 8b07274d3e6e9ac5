/**
 * A technician signed in to the reference broker with an approved device, through the model's
 * own methods (the same code the MSW handlers call): for tests about what comes after sign-in.
 */
import { base64urlEncode } from '../../src/lib/protocol/base64url';
import { deviceProofMessage } from '../../src/lib/protocol/broker-api';
import { randomBytes } from '../../src/lib/protocol/bytes';
import { generateIdentity, sign, type Identity } from '../../src/lib/protocol/identity';
import { DEMO_CREDENTIALS, type BrokerModel } from '../../mocks/broker/model';
import type { InstrumentAgent } from '../../mocks/agent/agent';
import { createBrowserScreenSource } from '../../mocks/agent/screen/browser-source';
import { lazyScreenSource } from '../../mocks/agent/screen/lazy';
import { createMockWorld, type MockWorld } from '../../mocks/world';
import type { OpenSessionRequest } from '../../src/lib/session/types';

export interface TestClock {
	now: () => number;
	advance: (ms: number) => void;
}

export function testClock(start = Date.now()): TestClock {
	let t = start;
	return { now: () => t, advance: (ms) => (t += ms) };
}

function must<T>(reply: { ok: boolean; body: unknown }, what: string): T {
	if (!reply.ok) throw new Error(`${what} refused: ${JSON.stringify(reply.body)}`);
	return reply.body as T;
}

export async function signedInTechnician(
	broker: BrokerModel,
	clock: TestClock,
	who: keyof typeof DEMO_CREDENTIALS = 'camille'
): Promise<{ token: string; technicianId: string; device: Identity }> {
	const c = DEMO_CREDENTIALS[who];
	const code = () => {
		clock.advance(30_000); // a TOTP code is good once: each step takes the next one
		return broker.currentTotp(c.email)!;
	};
	const first = must<{ challengeId: string }>(
		await broker.signInPassword({ email: c.email, password: c.password }),
		'password'
	);
	const second = must<{ challengeId: string }>(
		await broker.signInTotp({ challengeId: first.challengeId, code: code() }),
		'totp'
	);
	const device = await generateIdentity();
	const deviceId = base64urlEncode(randomBytes(16));
	must(
		await broker.registerDevice({
			challengeId: second.challengeId,
			deviceId,
			publicKey: base64urlEncode(device.publicKey),
			label: 'Test browser',
			userAgent: 'vitest'
		}),
		'device registration'
	);
	const mail = broker.pendingApprovals().find((a) => a.deviceId === deviceId)!;
	must(broker.approveDevice(deviceId, { approvalToken: mail.approvalToken }), 'approval');
	const pw = must<{ challengeId: string; deviceChallenge: string }>(
		await broker.signInPassword({ email: c.email, password: c.password, deviceId }),
		'password with device'
	);
	const deviceSignature = base64urlEncode(
		await sign(device.privateKey, deviceProofMessage(pw.challengeId, pw.deviceChallenge))
	);
	const done = must<{ accessToken: string; technician: { id: string } }>(
		await broker.signInTotp({ challengeId: pw.challengeId, code: code(), deviceSignature }),
		'totp with device'
	);
	return { token: done.accessToken, technicianId: done.technician.id, device };
}

/**
 * What the console asks the stream worker for after POST /sessions (broker-side part): a new
 * session on `instrumentId`, and the request that opens it. Used by tests and benches alike.
 */
export function newSessionRequest(
	world: MockWorld,
	technician: { token: string; technicianId: string; device: Identity },
	instrumentId: string,
	options: { password?: string; pinned?: Uint8Array } = {}
): { request: OpenSessionRequest; sessionId: string; agent: InstrumentAgent } {
	const created = world.broker.createSession(technician.token, { instrumentId });
	if (!created.ok) throw new Error(JSON.stringify(created.body));
	const agent = world.agents.get(instrumentId)!;
	return {
		agent,
		sessionId: created.body.sessionId,
		request: {
			relayUrl: created.body.relayUrl,
			sessionIdText: created.body.sessionId,
			accessToken: technician.token,
			instrumentId,
			technicianId: technician.technicianId,
			password: options.password ?? agent.password(),
			device: technician.device,
			pinnedAgentKey: options.pinned ?? agent.identity.publicKey
		}
	};
}

/** The mock world with live simulated screens (each drawn and encoded in its own worker). */
export async function liveWorld(clock: TestClock): Promise<MockWorld> {
	return createMockWorld({
		now: clock.now,
		screenFor: (instrument, screens) =>
			lazyScreenSource(screens, () => createBrowserScreenSource(screens, instrument))
	});
}
