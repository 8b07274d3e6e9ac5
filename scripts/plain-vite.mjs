// A Vite dev server for the project's tool pages (bench/, scripts/make-fixtures): plain TypeScript
// and workers, no SvelteKit, on a free loopback port. Shared by bench/run.mjs and
// scripts/make-fixtures.mjs; `freePort` also serves the dev-server end-to-end test.
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/** A port nobody listens on right now (Vite reads `port: 0` as its default, 5173). */
export function freePort() {
	return new Promise((resolve, reject) => {
		const probe = net.createServer();
		probe.once('error', reject);
		probe.listen(0, '127.0.0.1', () => {
			const { port } = /** @type {import('node:net').AddressInfo} */ (probe.address());
			probe.close(() => resolve(port));
		});
	});
}

/**
 * Serves the repository with Vite and returns the URL of `page` (a path from the repository's
 * root). `cacheName` keeps its dependency cache apart from the app's own `vite dev`.
 * @param {{ page: string, cacheName: string, headers?: Record<string, string> }} options
 */
export async function startPlainVite({ page, cacheName, headers = {} }) {
	for (let attempt = 1; ; attempt++) {
		const port = await freePort();
		const server = await createServer({
			configFile: false,
			root,
			appType: 'mpa',
			logLevel: 'warn',
			clearScreen: false,
			cacheDir: path.join(os.tmpdir(), cacheName),
			// Dependencies are plain ESM: serving them as they are avoids a mid-run reload when a
			// worker imports one the scanner did not see.
			optimizeDeps: { noDiscovery: true, include: [] },
			worker: { format: 'es' },
			// The app's own aliases, for suites that import app modules (history) as the app does.
			resolve: {
				alias: {
					$lib: path.join(root, 'src/lib'),
					$workers: path.join(root, 'workers'),
					$mocks: path.join(root, 'mocks')
				}
			},
			// No file watching: other people edit the tree while a run measures it.
			server: { host: '127.0.0.1', port, strictPort: true, watch: null, headers }
		});
		try {
			await server.listen();
			return { server, url: `http://127.0.0.1:${port}/${page}` };
		} catch (error) {
			await server.close();
			// Someone took the port between the probe and the listen: try another.
			if (attempt >= 3 || !String(error).includes('already in use')) throw error;
		}
	}
}
