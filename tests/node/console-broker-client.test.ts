import { http, HttpResponse } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BrokerClient } from '$lib/broker/client';
import { createNodeMocks } from '$mocks/node';

// The console's broker client against the reference broker in Node, and against a hostile one:
// every bad reply becomes a typed failure, never an exception.
const BASE = 'http://broker.test';
const { server, broker } = createNodeMocks(BASE);
const client = (timeoutMs = 2000) => new BrokerClient({ baseUrl: BASE, timeoutMs });
const TOTP = `${BASE}/api/v1/auth/totp`;

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
	server.resetHandlers();
	broker.faults.clear();
});
afterAll(() => server.close());

describe('the broker client', () => {
	it('reads the documented replies', async () => {
		const reply = await client().health();
		expect(reply).toEqual({
			ok: true,
			value: { status: 'ok', protocol: 1, broker: 'benchside-mock-broker' }
		});
		const wrong = await client().password({ email: 'nobody@example.org', password: 'x' });
		expect(wrong).toEqual({ ok: false, failure: { code: 'invalid-credentials', status: 401 } });
	});

	it('turns HTML, malformed JSON, a wrong shape, 500 and a dead network into failures', async () => {
		const answers: [Response | (() => Response), unknown][] = [
			[HttpResponse.text('<html>proxy login</html>'), { code: 'bad-reply', status: 200 }],
			[
				new HttpResponse('<html>Bad gateway</html>', { status: 502 }),
				{ code: 'bad-reply', status: 502 }
			],
			[
				HttpResponse.json({ step: 'signed-in', accessToken: 'short' }),
				{ code: 'bad-reply', status: 200 }
			],
			[
				HttpResponse.json({ error: { code: 'internal', message: 'boom' } }, { status: 500 }),
				{ code: 'internal', status: 500 }
			],
			[
				HttpResponse.json({ error: { code: 'no-such-code', message: 'x' } }, { status: 418 }),
				{ code: 'bad-reply', status: 418 }
			],
			[() => HttpResponse.error(), { code: 'unreachable' }]
		];
		for (const [answer, failure] of answers) {
			server.use(http.post(TOTP, () => (typeof answer === 'function' ? answer() : answer.clone())));
			const reply = await client().totp({ challengeId: 'ch_x', code: '123456' });
			expect(reply).toEqual({ ok: false, failure });
		}
		broker.faults.set('malformed-json', 'authTotp');
		server.resetHandlers();
		expect(await client().totp({ challengeId: 'ch_x', code: '123456' })).toEqual({
			ok: false,
			failure: { code: 'bad-reply', status: 200 }
		});
	});

	it('gives up on a broker that does not answer in time, and lets the caller abort', async () => {
		broker.faults.slowMs = 500;
		broker.faults.set('slow', 'health');
		expect(await client(100).health()).toEqual({ ok: false, failure: { code: 'timeout' } });
		const abort = new AbortController();
		const pending = client().health(abort.signal);
		abort.abort();
		expect(await pending).toEqual({ ok: false, aborted: true });
	});

	it('keeps the token to itself and drops it when the broker refuses it', async () => {
		let ended = 0;
		const c = new BrokerClient({ baseUrl: BASE, onUnauthorized: () => ended++ });
		expect(await c.instrumentsPage()).toEqual({ ok: false, failure: { code: 'unauthorized' } });
		expect(ended).toBe(0);
		server.use(
			http.post(TOTP, () =>
				HttpResponse.json({
					step: 'signed-in',
					accessToken: 'n3odaUyo3ljdtLTJkEXA2YDDz3F3PXgHT_cXQInzndo',
					expiresAt: '2025-03-14T17:27:10.000Z',
					technician: { id: 'tech-1', name: 'A', email: 'a@example.org' }
				})
			)
		);
		const signedIn = await c.totp({ challengeId: 'ch_x', code: '123456' });
		expect(signedIn.ok && signedIn.value).toEqual({
			step: 'signed-in',
			expiresAt: '2025-03-14T17:27:10.000Z',
			technician: { id: 'tech-1', name: 'A', email: 'a@example.org' }
		});
		expect(JSON.stringify(signedIn)).not.toContain('n3odaUyo');
		expect(c.signedIn).toBe(true);
		broker.faults.set('http-401', 'instruments');
		expect(await c.allInstruments()).toEqual({
			ok: false,
			failure: { code: 'unauthorized', status: 401 }
		});
		expect(ended).toBe(1);
		expect(c.accessTokenForRelay()).toBeNull();
	});
});
