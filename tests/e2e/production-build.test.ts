import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function filesUnder(dir: string): string[] {
	return readdirSync(dir).flatMap((name) => {
		const path = join(dir, name);
		return statSync(path).isDirectory() ? filesUnder(path) : [path];
	});
}

describe('the production build output', () => {
	const files = filesUnder('build');

	it('contains the app shell and the PWA service worker', () => {
		expect(files).toContain(join('build', 'index.html'));
		expect(files).toContain(join('build', 'service-worker.js'));
	});

	it('contains no MSW worker and no mock code', () => {
		expect(files.filter((f) => f.endsWith('mockServiceWorker.js'))).toEqual([]);
		const text = files
			.filter((f) => /\.(js|html|json)$/.test(f))
			.map((f) => [f, readFileSync(f, 'utf8')] as const);
		expect(text.length).toBeGreaterThan(3);
		// Markers that only MSW and our mocks carry: its worker, its setup API, its integrity
		// checksum message and the mock broker's name.
		// and the dev panel, the mock relay bridge and the interceptor it installs in workers.
		const markers = [
			'mockServiceWorker',
			'setupWorker',
			'MOCK_ACTIVATE',
			'INTEGRITY_CHECK_REQUEST',
			'benchside-mock',
			'data-dev-panel',
			'installWorkerRelayBridge',
			'WebSocketInterceptor',
			'SimulatedCustomer'
		];
		const hits = text.flatMap(([f, t]) =>
			markers.filter((m) => t.includes(m)).map((m) => `${f}: ${m}`)
		);
		expect(hits).toEqual([]);
	});
});
