/**
 * The local reference server (`npm run serve:reference`): the very BrokerModel, MockRelay and
 * InstrumentAgents of mocks/ over real HTTP and WebSocket on the loopback interface, with
 * recorded screen video, and the production build served on the same origin. No MSW: the
 * console talks to it exactly as it would to a broker. See README, "Reference server".
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMockWorld, type MockWorld } from '../world';
import { brokerRoutes, notFound } from '../broker/routes';
import { referenceControl } from './control';
import { createRelayServer } from './relay-ws';
import { fixtureScreenFor, loadScreenFixtures } from './screens';
import { staticSite } from './static';

export interface ReferenceServerOptions {
	/** 0 (default): a free port. */
	port?: number;
	/** 127.0.0.1 (default) or localhost: the relay URL must name a loopback host (Part 1). */
	host?: '127.0.0.1' | 'localhost';
	/** The production build to serve; default `build`. */
	buildDir?: string;
	/** The BSV1 recordings; default `tests/fixtures`. */
	fixturesDir?: string;
	/** More console origins allowed on the relay, for a console served elsewhere. */
	consoleOrigins?: string[];
	/** A fixed one-time password for every agent (tests); default a new one per session. */
	password?: string;
	/** The world's clock (tests that step through TOTP codes); default `Date.now`. */
	now?: () => number;
}

export interface ReferenceServer {
	url: string;
	world: MockWorld;
	close(): Promise<void>;
}

const MAX_BODY = 2 * 1024 * 1024;

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of req as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > MAX_BODY) return null;
		chunks.push(chunk);
	}
	return Buffer.concat(chunks);
}

async function send(res: ServerResponse, response: Response, head: boolean) {
	res.statusCode = response.status;
	response.headers.forEach((value, name) => res.setHeader(name, value));
	res.end(head ? undefined : Buffer.from(await response.arrayBuffer()));
}

function matchPath(template: string, pathname: string): Record<string, string> | null {
	const names: string[] = [];
	const pattern = template.replace(/\{(\w+)\}/g, (_, name: string) => {
		names.push(name);
		return '([^/]+)';
	});
	const found = new RegExp(`^${pattern}$`).exec(pathname);
	if (!found) return null;
	try {
		return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(found[i + 1]!)]));
	} catch {
		return null;
	}
}

export async function startReferenceServer(
	options: ReferenceServerOptions = {}
): Promise<ReferenceServer> {
	const host = options.host ?? '127.0.0.1';
	const site = staticSite(options.buildDir ?? 'build');
	const fixtures = loadScreenFixtures(options.fixturesDir ?? 'tests/fixtures');
	let origin = '';
	let world: MockWorld | null = null;
	let routes: ReturnType<typeof brokerRoutes> = [];
	// The peer's address, for the broker's per-address password limit.
	const peers = new WeakMap<Request, string>();

	const handle = async (req: IncomingMessage, res: ServerResponse) => {
		if (!world) return send(res, new Response('starting', { status: 503 }), false);
		const url = new URL(req.url ?? '/', origin);
		const method = req.method ?? 'GET';
		const body = method === 'GET' || method === 'HEAD' ? undefined : await readBody(req);
		if (body === null) return send(res, new Response('too large', { status: 413 }), false);
		const headers = new Headers();
		for (const [name, value] of Object.entries(req.headers))
			if (typeof value === 'string') headers.set(name, value);
		const request = new Request(url, {
			method,
			headers,
			...(body ? { body: new Uint8Array(body) } : {})
		});
		peers.set(request, req.socket.remoteAddress ?? 'unknown');

		if (url.pathname.startsWith('/api/')) {
			for (const route of routes) {
				const params = matchPath(route.path, url.pathname);
				if (params && route.method === method)
					return send(res, await route.handle(request, params), false);
			}
			return send(res, notFound(), false);
		}
		const control = await referenceControl(world, request, () => origin);
		if (control) return send(res, control, false);
		if (method !== 'GET' && method !== 'HEAD')
			return send(res, new Response(null, { status: 405 }), false);
		const file = site(url.pathname);
		return send(
			res,
			file ??
				new Response('No production build: run `npm run build`, then start this server again.', {
					status: 503,
					headers: { 'Content-Type': 'text/plain; charset=utf-8' }
				}),
			method === 'HEAD'
		);
	};

	const server = createServer((req, res) => {
		handle(req, res).catch((error: unknown) => {
			console.error('[reference] request failed', error);
			if (!res.headersSent) res.statusCode = 500;
			res.end();
		});
	});
	await new Promise<void>((ok, fail) => {
		server.once('error', fail);
		server.listen(options.port ?? 0, host, ok);
	});
	const { port } = server.address() as AddressInfo;
	origin = `http://${host}:${port}`;

	world = await createMockWorld({
		name: 'benchside-reference-broker',
		relayBase: `ws://${host}:${port}`,
		screenFor: (instrument, screens) => fixtureScreenFor(fixtures, instrument, screens),
		...(options.password ? { password: options.password } : {}),
		...(options.now ? { now: options.now } : {})
	});
	routes = brokerRoutes(world.broker, (request) => peers.get(request));
	const relay = createRelayServer(world.relay, () => [origin, ...(options.consoleOrigins ?? [])]);
	server.on('upgrade', (req, socket, head) => relay.upgrade(req, socket, head));

	const running = world;
	return {
		url: origin,
		world: running,
		async close() {
			relay.close();
			running.dispose();
			server.closeAllConnections();
			await new Promise<void>((ok) => server.close(() => ok()));
		}
	};
}
