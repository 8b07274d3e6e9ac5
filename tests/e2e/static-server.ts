import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.webmanifest': 'application/manifest+json',
	'.wasm': 'application/wasm'
};

/**
 * Serves the production build the way a static host does: files as they are, every unknown
 * path answered with the SPA fallback page. Binds to 127.0.0.1 only, on a free port.
 */
export async function serveBuild(dir: string): Promise<{ url: string; server: Server }> {
	const root = resolve(dir);
	if (!existsSync(join(root, 'index.html'))) {
		throw new Error(`No production build in ${root}: run \`npm run build\` first.`);
	}
	const server = createServer((req, res) => {
		const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
		let file = normalize(join(root, path));
		if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) {
			file = join(root, 'index.html');
		}
		res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
		res.setHeader('Cache-Control', 'no-cache');
		createReadStream(file).pipe(res);
	});
	await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
	const address = server.address();
	if (address === null || typeof address === 'string') throw new Error('server has no port');
	return { url: `http://127.0.0.1:${address.port}`, server };
}
