import { http, HttpResponse } from 'msw';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkBrokerHealth } from '$lib/broker/health';
import { createNodeMocks } from '$mocks/node';

// The console calls the broker on its own origin when PUBLIC_BROKER_URL is empty; in Node that
// origin is the mock's base, so requests are routed through a fetch that prefixes it.
const BASE = 'http://broker.test';
const { server } = createNodeMocks(BASE);
const fetchAtBase: typeof fetch = (input, init) => fetch(`${BASE}${String(input)}`, init);

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

describe('broker health, as the console reads it', () => {
	it('reports the mock broker and its protocol version', async () => {
		expect(await checkBrokerHealth(fetchAtBase)).toEqual({
			ok: true,
			protocol: 1,
			broker: 'benchside-mock-broker'
		});
	});

	it('turns an HTTP error into a value, not an exception', async () => {
		server.use(http.get(`${BASE}/api/v1/health`, () => new HttpResponse(null, { status: 503 })));
		expect(await checkBrokerHealth(fetchAtBase)).toEqual({
			ok: false,
			code: 'http-error',
			status: 503
		});
	});

	it('rejects a reply that is not the documented JSON', async () => {
		server.use(
			http.get(`${BASE}/api/v1/health`, () => HttpResponse.text('<html>proxy login</html>'))
		);
		expect(await checkBrokerHealth(fetchAtBase)).toEqual({ ok: false, code: 'bad-reply' });
		server.use(http.get(`${BASE}/api/v1/health`, () => HttpResponse.json({ protocol: '1' })));
		expect(await checkBrokerHealth(fetchAtBase)).toEqual({ ok: false, code: 'bad-reply' });
	});

	it('reports a network failure as unreachable', async () => {
		server.use(http.get(`${BASE}/api/v1/health`, () => HttpResponse.error()));
		expect(await checkBrokerHealth(fetchAtBase)).toEqual({ ok: false, code: 'unreachable' });
	});
});
