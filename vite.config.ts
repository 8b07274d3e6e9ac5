import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { paraglideVitePlugin } from '@inlang/paraglide-js';
import { sveltekit } from '@sveltejs/kit/vite';
import { playwright } from '@vitest/browser-playwright';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { CHROMIUM_ARGS, findChromium } from './scripts/find-chromium.mjs';

const require = createRequire(import.meta.url);

/**
 * Serves MSW's worker script at /mockServiceWorker.js in dev (and in Vitest's browser mode)
 * straight from the installed msw package, so it always matches the library's version and is
 * never copied into static/: the production build cannot contain it.
 */
/**
 * Put before MSW's own listener: the scripts of dedicated and shared workers (and the modules
 * they import) go to the network without MSW. MSW has no handler for them anyway, and in Firefox
 * a module worker whose script passes through MSW's `respondWith` never runs (mswjs/msw#2654):
 * the stream worker would never start. Listeners run in order; stopping the event here leaves
 * it to the browser's own fetch.
 */
const WORKER_SCRIPTS_PASS = `self.addEventListener('fetch', (event) => {
	const d = event.request.destination;
	if (d === 'worker' || d === 'sharedworker') event.stopImmediatePropagation();
});
`;

function mockServiceWorkerInDev(): Plugin {
	return {
		name: 'benchside:mock-service-worker',
		apply: 'serve',
		configureServer(server) {
			const file = require.resolve('msw/mockServiceWorker.js');
			server.middlewares.use('/mockServiceWorker.js', (_req, res) => {
				res.setHeader('Content-Type', 'text/javascript');
				res.setHeader('Service-Worker-Allowed', '/');
				res.end(WORKER_SCRIPTS_PASS + readFileSync(file, 'utf8'));
			});
		}
	};
}

const chromium = findChromium();

export default defineConfig({
	plugins: [
		mockServiceWorkerInDev(),
		// Messages compile to tree-shaken functions; the project's plugin is loaded from
		// node_modules (settings.json), never from a CDN, so builds work offline.
		paraglideVitePlugin({
			project: './src/lib/i18n/project.inlang',
			outdir: './src/lib/i18n/paraglide',
			strategy: ['localStorage', 'preferredLanguage', 'baseLocale'],
			localStorageKey: 'benchside-locale'
		}),
		sveltekit()
	],
	worker: { format: 'es' },
	// Pre-bundle what is only imported lazily (session, workers, dev mocks): otherwise Vite finds
	// it at run time and reloads the page, which signs the technician out (the token is in memory).
	optimizeDeps: {
		include: [
			'idb',
			'comlink',
			'otpauth',
			'@mswjs/interceptors/WebSocket',
			'@noble/curves/ed25519.js',
			'@noble/curves/utils.js',
			'@noble/hashes/sha2.js',
			'@noble/hashes/utils.js'
		]
	},
	// workers/ and mocks/ live beside src/: the dev server must serve them (worker entries, the
	// simulated screen's worker, the mock world).
	server: { port: 5173, strictPort: false, fs: { allow: ['workers', 'mocks'] } },
	test: {
		expect: { requireAssertions: true },
		projects: [
			{
				extends: true,
				test: {
					name: 'node',
					environment: 'node',
					include: ['tests/node/**/*.test.ts']
				}
			},
			{
				extends: true,
				test: {
					name: 'browser',
					include: ['tests/browser/**/*.test.ts'],
					testTimeout: 30_000,
					browser: {
						enabled: true,
						headless: true,
						screenshotFailures: false,
						provider: playwright({
							launchOptions: {
								...(chromium ? { executablePath: chromium } : {}),
								args: CHROMIUM_ARGS
							}
						}),
						instances: [{ browser: 'chromium' }]
					}
				}
			},
			{
				test: {
					name: 'e2e',
					expect: { requireAssertions: true },
					environment: 'node',
					include: ['tests/e2e/**/*.test.ts'],
					globalSetup: ['tests/e2e/global-setup.ts'],
					testTimeout: 60_000,
					hookTimeout: 60_000,
					fileParallelism: false
				}
			}
		]
	}
});
