/**
 * The customer's side of the reference world, for tests and for a person at the keyboard:
 * the authenticator app (current TOTP codes), the approval e-mail (approve a device), the
 * person at the instrument (one-time password, consent answers and policy) and what reached the
 * agent (input, files). Served under /reference/, outside the broker API, never by a real broker.
 *
 * State changes are POSTs that must come from this origin (or no browser at all): a page of
 * another site cannot approve a device or a consent on a technician's loopback server.
 */
import { createHash } from 'node:crypto';
import type { InstrumentAgent } from '../agent/agent';
import type { ConsentPolicy } from '../agent/customer';
import { DEMO_CREDENTIALS } from '../broker/model';
import type { MockWorld } from '../world';
import { referencePage } from './page';
import type { RecordingScreen } from './screens';

const CAPABILITIES = ['view', 'control', 'file-transfer', 'clipboard'] as const;
type CapabilityName = (typeof CAPABILITIES)[number];
const POLICIES = ['auto-approve', 'ask', 'deny'] as const;

const json = (body: unknown, status = 200) =>
	new Response(JSON.stringify(body, null, '\t'), {
		status,
		headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }
	});
const problem = (status: number, message: string) => json({ error: message }, status);

export function agentView(agent: InstrumentAgent, full = false) {
	const screen = agent.screen as Partial<RecordingScreen>;
	const base = {
		instrumentId: agent.instrumentId,
		name: agent.name,
		phi: agent.phi,
		password: agent.password(),
		connected: agent.connection !== null,
		policies: { ...agent.customer.policies },
		pendingConsents: [...agent.customer.pending]
	};
	if (!full) return base;
	return {
		...base,
		inputs: [...(screen.inputs ?? [])].slice(-100),
		received: [...agent.files.received.values()].map((f) => ({
			name: f.name,
			size: f.data.length,
			sha256: createHash('sha256').update(f.data).digest('hex')
		})),
		log: agent.logEntries.slice(-100),
		chat: [...agent.chat]
	};
}

export function worldState(world: MockWorld) {
	return {
		accounts: Object.values(DEMO_CREDENTIALS).map((c) => ({
			email: c.email,
			password: c.password,
			totp: world.broker.currentTotp(c.email)
		})),
		pendingDevices: world.broker.pendingApprovals().map((a) => ({
			deviceId: a.deviceId,
			technician: a.technician.name,
			label: a.label,
			userAgent: a.userAgent,
			fingerprint: a.fingerprint,
			registeredAt: a.registeredAt
		})),
		agents: [...world.agents.values()].map((a) => agentView(a))
	};
}

/** Reads a POST's fields from JSON or from the plain page's forms. */
async function fields(request: Request): Promise<Record<string, string>> {
	const type = request.headers.get('Content-Type') ?? '';
	if (type.startsWith('application/x-www-form-urlencoded'))
		return Object.fromEntries(new URLSearchParams(await request.text()));
	const text = await request.text();
	if (!text.trim()) return {};
	const parsed: unknown = JSON.parse(text);
	if (typeof parsed !== 'object' || parsed === null) return {};
	return Object.fromEntries(
		Object.entries(parsed).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : []))
	);
}

/**
 * Handles /reference/… or returns null for other paths. `selfOrigin` is this server's origin:
 * a POST carrying any other Origin is refused.
 */
export async function referenceControl(
	world: MockWorld,
	request: Request,
	selfOrigin: () => string
): Promise<Response | null> {
	const url = new URL(request.url);
	const path = url.pathname.replace(/\/+$/, '') || '/';
	if (path !== '/reference' && !path.startsWith('/reference/')) return null;
	const parts = path.split('/').slice(2).map(decodeURIComponent);
	const fromForm = (request.headers.get('Content-Type') ?? '').includes('form-urlencoded');
	const done = (body: unknown) =>
		fromForm
			? new Response(null, { status: 303, headers: { Location: '/reference/' } })
			: json(body);

	if (request.method === 'GET') {
		if (parts.length === 0) return referencePage(worldState(world));
		if (parts[0] === 'state' && parts.length === 1) return json(worldState(world));
		if (parts[0] === 'totp' && parts.length === 2) {
			// The broker accepts one step either side (RFC 6238 §5.2), each step once: a script
			// signing in twice within 30 s uses `previous`, then `code`.
			// `msLeft`: until the step turns (a script about to type `previous` waits for the next).
			const now = world.broker.now();
			const code = world.broker.currentTotp(parts[1]!, now);
			const previous = world.broker.currentTotp(parts[1]!, now - 30_000);
			const msLeft = 30_000 - (now % 30_000);
			return code ? json({ code, previous, msLeft }) : problem(404, 'no such account');
		}
		if (parts[0] === 'agents' && parts.length === 2) {
			const agent = world.agents.get(parts[1]!);
			return agent ? json(agentView(agent, true)) : problem(404, 'no such instrument');
		}
		return problem(404, 'no such control endpoint: see /reference/');
	}
	if (request.method !== 'POST') return problem(405, 'GET or POST');
	const origin = request.headers.get('Origin');
	if (origin !== null && origin !== selfOrigin()) return problem(403, 'foreign origin');

	let body: Record<string, string>;
	try {
		body = await fields(request);
	} catch {
		return problem(400, 'body is not JSON');
	}
	// POST /reference/devices/{deviceId}/approve: the administrator clicks the e-mail's link.
	if (parts[0] === 'devices' && parts[2] === 'approve' && parts.length === 3) {
		const mail = world.broker.pendingApprovals().find((a) => a.deviceId === parts[1]);
		if (!mail) return problem(404, 'no pending approval for this device');
		const reply = world.broker.approveDevice(mail.deviceId, { approvalToken: mail.approvalToken });
		return reply.ok ? done(reply.body) : json(reply.body, reply.status);
	}
	const agent = parts[0] === 'agents' ? world.agents.get(parts[1] ?? '') : undefined;
	if (!agent) return problem(404, 'no such control endpoint: see /reference/');
	// POST /reference/agents/{id}/consents/{requestId}/approve|deny: the customer answers.
	if (parts[2] === 'consents' && parts.length === 5) {
		const requestId = Number(parts[3]);
		if (!agent.customer.pending.some((p) => p.requestId === requestId))
			return problem(404, 'no such pending consent');
		if (parts[4] === 'approve') agent.customer.approve(requestId);
		else if (parts[4] === 'deny') agent.customer.deny(requestId);
		else return problem(404, 'approve or deny');
		return done(agentView(agent));
	}
	// POST /reference/agents/{id}/policy { capability: view|control|file-transfer|clipboard|all, policy }
	if (parts[2] === 'policy' && parts.length === 3) {
		const policy = POLICIES.find((p) => p === body.policy);
		const capability = body.capability;
		if (!policy) return problem(400, `policy: one of ${POLICIES.join(', ')}`);
		const value: ConsentPolicy = { kind: policy };
		if (capability === 'all') agent.customer.setAll(value);
		else if (CAPABILITIES.includes(capability as CapabilityName))
			agent.customer.setPolicy(capability as CapabilityName, value);
		else return problem(400, `capability: all or one of ${CAPABILITIES.join(', ')}`);
		return done(agentView(agent));
	}
	// POST /reference/agents/{id}/say { text }: the customer writes in the chat.
	if (parts[2] === 'say' && parts.length === 3 && body.text) {
		await agent.say(body.text);
		return done(agentView(agent));
	}
	return problem(404, 'no such control endpoint: see /reference/');
}
