/**
 * The production build (build/) served as a static SPA host would: files as they are, any other
 * path answered with index.html, no directory listing, nothing outside the build directory.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.webmanifest': 'application/manifest+json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.ico': 'image/x-icon',
	'.wasm': 'application/wasm',
	'.txt': 'text/plain; charset=utf-8'
};

export function staticSite(dir: string): (pathname: string) => Response | null {
	const root = resolve(dir);
	return (pathname) => {
		if (!existsSync(join(root, 'index.html'))) return null;
		let file = normalize(join(root, pathname));
		if (!file.startsWith(root + sep) || !existsSync(file) || statSync(file).isDirectory()) {
			file = join(root, 'index.html');
		}
		// Hashed assets never change; everything else is revalidated, so a new build is seen.
		const immutable = file.startsWith(join(root, '_app', 'immutable') + sep);
		return new Response(readFileSync(file), {
			headers: {
				'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
				'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
				'X-Content-Type-Options': 'nosniff',
				'Referrer-Policy': 'no-referrer'
			}
		});
	};
}
