import { delay, http, HttpResponse } from 'msw';
import {
	BROKER_API_METHODS,
	BROKER_API_PATHS,
	type BrokerEndpoint
} from '../../src/lib/protocol/broker-api';
import type { BrokerFault } from './faults';
import type { BrokerModel } from './model';
import { AUDIT_BODY_LIMIT, BODY_LIMIT, fail, ok, readJson, type BrokerReply } from './replies';

interface Call {
	body: unknown;
	token: string | null;
	params: Record<string, string>;
	url: URL;
	request: Request;
}
type Run = (call: Call) => BrokerReply<unknown> | Promise<BrokerReply<unknown>>;

/** `/api/v1/devices/{deviceId}` → `/api/v1/devices/:deviceId`, MSW's placeholder syntax. */
const mswPath = (endpoint: BrokerEndpoint) =>
	BROKER_API_PATHS[endpoint].replace(/\{(\w+)\}/g, ':$1');

function bearer(request: Request): string | null {
	return /^Bearer (\S+)$/.exec(request.headers.get('Authorization') ?? '')?.[1] ?? null;
}

/** Part 1 "Conventions" and "Errors": no-store everywhere, Retry-After beside retryAfter. */
function respond(reply: BrokerReply<unknown>): Response {
	const headers = new Headers({ 'Cache-Control': 'no-store' });
	if (reply.status === 204) return new HttpResponse(null, { status: 204, headers });
	headers.set('Content-Type', 'application/json; charset=utf-8');
	const retryAfter = reply.ok ? undefined : reply.body.error.retryAfter;
	if (retryAfter !== undefined) headers.set('Retry-After', String(retryAfter));
	return new HttpResponse(JSON.stringify(reply.body), { status: reply.status, headers });
}

function faulty(fault: Exclude<BrokerFault, 'slow'>): Response {
	switch (fault) {
		case 'http-500':
			return respond(fail('internal', 'injected fault: internal error'));
		case 'http-401':
			return respond(fail('unauthorized', 'injected fault: token refused'));
		case 'malformed-json':
			return new HttpResponse('{"step": "signed-in", "accessTok', {
				status: 200,
				headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }
			});
		default: {
			const never: never = fault;
			throw new Error(`unknown fault ${String(never)}`);
		}
	}
}

/** MSW handlers over a BrokerModel: each one a few lines, the logic lives in the model. */
export function brokerHandlers(model: BrokerModel, base = '') {
	const route = (endpoint: BrokerEndpoint, run: Run, hasBody = true) => {
		const method = BROKER_API_METHODS[endpoint] === 'GET' ? http.get : http.post;
		const limit = endpoint === 'audit' ? AUDIT_BODY_LIMIT : BODY_LIMIT;
		return method(`${base}${mswPath(endpoint)}`, async ({ request, params }) => {
			const fault = model.faults.for(endpoint);
			if (fault === 'slow') await delay(model.faults.slowMs);
			else if (fault) return faulty(fault);
			const body =
				hasBody && request.method === 'POST'
					? readJson(await request.text(), limit)
					: ok(undefined);
			if (!body.ok) return respond(body);
			const named = Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : '']);
			const call = { body: body.body, token: bearer(request), url: new URL(request.url), request };
			return respond(await run({ ...call, params: Object.fromEntries(named) }));
		});
	};
	return [
		route('health', () => ok(model.health())),
		route('authPassword', ({ body }) => model.signInPassword(body)),
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
		),
		// Anything else under the API is not-found, in the envelope, as Part 1 "Errors" says.
		http.all(`${base}/api/v1/*`, () => respond(fail('not-found', 'no such endpoint')))
	];
}
