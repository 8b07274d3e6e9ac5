/**
 * The reference server as a peer sees it on the wire: the broker API over real HTTP, the relay
 * over a real WebSocket with its Origin and subprotocol rules (docs/protocol.md Part 1, "Relay"),
 * and the customer's control endpoints closed to other sites.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { relaySubprotocols } from '../../src/lib/protocol/broker-api';
import { startReferenceServer, type ReferenceServer } from '../../mocks/reference/server';
import { signedInTechnician, testClock } from '../shared/world-flow';

let server: ReferenceServer;
const clock = testClock();
const build = mkdtempSync(join(tmpdir(), 'benchside-ref-build-'));

beforeAll(async () => {
	mkdirSync(join(build, '_app'));
	writeFileSync(join(build, 'index.html'), '<!doctype html><title>shell</title>');
	writeFileSync(join(build, '_app', 'app.js'), 'export {}');
	server = await startReferenceServer({ buildDir: build, now: clock.now });
});
afterAll(async () => {
	await server?.close();
	rmSync(build, { recursive: true, force: true });
});

/** Opens a relay socket; resolves with how it ended (or the HTTP status of a refused upgrade). */
function relay(path: string, protocols: string[], origin: string | undefined) {
	return new Promise<{ status?: number; protocol?: string; code?: number }>((resolve) => {
		const socket = new WebSocket(`${server.url.replace('http', 'ws')}${path}`, protocols, {
			...(origin ? { origin } : {})
		});
		let protocol = '';
		socket.on('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
		socket.on('open', () => (protocol = socket.protocol));
		socket.on('close', (code) => resolve({ protocol, code }));
		socket.on('error', () => {});
	});
}

describe('the reference server on the wire', () => {
	it('serves the broker API with no-store replies and the error envelope', async () => {
		const health = await fetch(`${server.url}/api/v1/health`);
		expect(health.headers.get('cache-control')).toBe('no-store');
		expect(await health.json()).toEqual({
			status: 'ok',
			protocol: 1,
			broker: 'benchside-reference-broker'
		});
		const unknown = await fetch(`${server.url}/api/v1/nothing-here`);
		expect(unknown.status).toBe(404);
		expect(await unknown.json()).toMatchObject({ error: { code: 'not-found' } });
	});

	it('refuses a relay upgrade from another origin or none (cross-site WebSocket hijacking)', async () => {
		const path = '/relay/v1/AAAAAAAAAAAAAAAAAAAAAA';
		const protocols = relaySubprotocols('a-stolen-looking-token-0000');
		expect(await relay(path, protocols, 'https://evil.example')).toEqual({ status: 403 });
		expect(await relay(path, protocols, undefined)).toEqual({ status: 403 });
		// The console's own origin is let through, and the bad token is then refused by close code.
		expect(await relay(path, protocols, server.url)).toEqual({
			protocol: 'benchside.v1',
			code: 4401
		});
	});

	it(
		'selects benchside.v1 only, never echoing the token, and joins a real session',
		{
			timeout: 30_000
		},
		async () => {
			const technician = await signedInTechnician(server.world.broker, clock);
			const created = server.world.broker.createSession(technician.token, {
				instrumentId: 'ins-3317'
			});
			if (!created.ok) throw new Error(JSON.stringify(created.body));
			const url = new URL(created.body.relayUrl);
			expect(url.origin).toBe(server.url.replace('http', 'ws'));
			const socket = new WebSocket(created.body.relayUrl, relaySubprotocols(technician.token), {
				origin: server.url
			});
			const header = new Promise<string | undefined>((resolve, reject) => {
				socket.on('upgrade', (res) => resolve(res.headers['sec-websocket-protocol']));
				socket.on('error', reject);
			});
			const opened = new Promise((resolve) => socket.on('open', resolve));
			expect(await header).toBe('benchside.v1');
			await opened;
			expect(server.world.broker.session(created.body.sessionId)?.state).toBe('connected');
			// A second console on the same session is turned away.
			expect(await relay(url.pathname, relaySubprotocols(technician.token), server.url)).toEqual({
				protocol: 'benchside.v1',
				code: 4409
			});
			socket.close(1000);
			await expect
				.poll(() => server.world.broker.session(created.body.sessionId)?.state)
				.toBe('ended');
		}
	);

	it('keeps the customer’s controls to itself: a POST from another site is refused', async () => {
		const policy = (origin?: string) =>
			fetch(`${server.url}/reference/agents/ins-3317/policy`, {
				method: 'POST',
				headers: {
					'Content-Type': 'application/json',
					...(origin ? { Origin: origin } : {})
				},
				body: JSON.stringify({ capability: 'control', policy: 'deny' })
			});
		expect((await policy('https://evil.example')).status).toBe(403);
		expect(server.world.agents.get('ins-3317')!.customer.policies.control).toEqual({
			kind: 'auto-approve'
		});
		expect((await policy(server.url)).status).toBe(200);
		expect(server.world.agents.get('ins-3317')!.customer.policies.control).toEqual({
			kind: 'deny'
		});
	});

	it('serves only the build: no path outside it, the SPA shell for the rest', async () => {
		const escape = await fetch(`${server.url}/_app/..%2f..%2fpackage.json`);
		expect(await escape.text()).toContain('<title>shell</title>');
		const asset = await fetch(`${server.url}/_app/app.js`);
		expect(asset.headers.get('content-type')).toContain('javascript');
		expect(await (await fetch(`${server.url}/fleet`)).text()).toContain('<title>shell</title>');
	});
});
