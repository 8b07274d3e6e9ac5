/**
 * The broker's HTTP face, free of any server library: each endpoint of docs/protocol.md Part 1 as
 * a function from a WHATWG Request to a Response over the BrokerModel. MSW (handlers.ts) and the
 * local reference server (mocks/reference/) both route to these, so they answer byte for byte alike.
 */
import {
	BROKER_API_METHODS,
	BROKER_API_PATHS,
	type BrokerEndpoint
} from '../../src/lib/protocol/broker-api';
import type { BrokerFault } from './faults';
import type { BrokerModel } from './model';
import { AUDIT_BODY_LIMIT, BODY_LIMIT, fail, ok, readJson, type BrokerReply } from './replies';

export interface Call {
	body: unknown;
	token: string | null;
	params: Record<string, string>;
	url: URL;
	request: Request;
}
type Run = (call: Call) => BrokerReply<unknown> | Promise<BrokerReply<unknown>>;

export interface BrokerRoute {
	endpoint: BrokerEndpoint;
	method: 'GET' | 'POST';
	/** The path template of Part 1, `{name}` placeholders and all. */
	path: string;
	/** `params` are the placeholders' values, already decoded. */
	handle(request: Request, params: Record<string, string>): Promise<Response>;
}

function bearer(request: Request): string | null {
	return /^Bearer (\S+)$/.exec(request.headers.get('Authorization') ?? '')?.[1] ?? null;
}

/** Part 1 "Conventions" and "Errors": no-store everywhere, Retry-After beside retryAfter. */
export function respond(reply: BrokerReply<unknown>): Response {
	const headers = new Headers({ 'Cache-Control': 'no-store' });
	if (reply.status === 204) return new Response(null, { status: 204, headers });
	headers.set('Content-Type', 'application/json; charset=utf-8');
	const retryAfter = reply.ok ? undefined : reply.body.error.retryAfter;
	if (retryAfter !== undefined) headers.set('Retry-After', String(retryAfter));
	return new Response(JSON.stringify(reply.body), { status: reply.status, headers });
}

/** Anything else under the API is not-found, in the envelope, as Part 1 "Errors" says. */
export const notFound = (): Response => respond(fail('not-found', 'no such endpoint'));

function faulty(fault: Exclude<BrokerFault, 'slow'>): Response {
	switch (fault) {
		case 'http-500':
			return respond(fail('internal', 'injected fault: internal error'));
		case 'http-401':
			return respond(fail('unauthorized', 'injected fault: token refused'));
		case 'malformed-json':
			return new Response('{"step": "signed-in", "accessTok', {
				status: 200,
				headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }
			});
		default: {
			const never: never = fault;
			throw new Error(`unknown fault ${String(never)}`);
		}
	}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Every endpoint over `model`. `source` names the caller for the per-address password limit
 * (Part 1 "Security notes"); a server that knows the peer's address passes it.
 */
export function brokerRoutes(
	model: BrokerModel,
	source: (request: Request) => string | undefined = () => undefined
): BrokerRoute[] {
	const route = (endpoint: BrokerEndpoint, run: Run, hasBody = true): BrokerRoute => {
		const limit = endpoint === 'audit' ? AUDIT_BODY_LIMIT : BODY_LIMIT;
		const method = BROKER_API_METHODS[endpoint];
		return {
			endpoint,
			method,
			path: BROKER_API_PATHS[endpoint],
			async handle(request, params) {
				const fault = model.faults.for(endpoint);
				if (fault === 'slow') await sleep(model.faults.slowMs);
				else if (fault) return faulty(fault);
				const body =
					hasBody && request.method === 'POST'
						? readJson(await request.text(), limit)
						: ok(undefined);
				if (!body.ok) return respond(body);
				const call = { body: body.body, token: bearer(request), url: new URL(request.url) };
				return respond(await run({ ...call, request, params }));
			}
		};
	};
	return [
		route('health', () => ok(model.health())),
		route('authPassword', ({ body, request }) => {
			const from = source(request);
			return model.signInPassword(body, from === undefined ? {} : { source: from });
		}),
		route('authTotp', ({ body }) => model.signInTotp(body)),
		route('authWebAuthnOptions', ({ body }) => model.webauthnOptions(body)),
		route('authWebAuthnVerify', ({ body }) => model.webauthnVerify(body)),
		route('passkeyOptions', ({ token }) => model.passkeyOptions(token), false),
		route('passkeys', ({ token, body }) => model.registerPasskey(token, body)),
		route('authSignOut', ({ token }) => model.signOut(token), false),
		route('devices', ({ body }) => model.registerDevice(body)),
		route('device', ({ params }) => model.deviceStatus(params.deviceId ?? '')),
		route('deviceApprove', ({ params, body }) => model.approveDevice(params.deviceId ?? '', body)),
		route('instruments', ({ token, url }) => {
			const { searchParams: q } = url;
			return model.listInstruments(token, { cursor: q.get('cursor'), limit: q.get('limit') });
		}),
		route('sessions', ({ token, body }) => model.createSession(token, body)),
		route('audit', ({ token, body, request }) =>
			model.audit(token, body, request.headers.get('Idempotency-Key'))
		)
	];
}
