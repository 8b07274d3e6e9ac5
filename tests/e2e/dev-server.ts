import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../scripts/plain-vite.mjs';

/**
 * `vite dev` on a free port of 127.0.0.1, as `npm run dev` starts it: the console on its mocks.
 * Resolves once the server prints its URL.
 */
export async function startDevServer(): Promise<{ url: string; stop: () => void }> {
	const port = await freePort();
	const dev: ChildProcess = spawn(
		'node_modules/.bin/vite',
		['dev', '--host', '127.0.0.1', '--port', String(port), '--strictPort'],
		{
			stdio: ['ignore', 'pipe', 'pipe'],
			env: { ...process.env, NODE_ENV: 'development', NO_COLOR: '1' }
		}
	);
	await new Promise<void>((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('vite dev did not start within 60 s')), 60_000);
		dev.stdout?.on('data', (chunk: Buffer) => {
			// Colours may still be on (CI=true turns them on): the URL line reads "Local" … "http".
			const text = chunk.toString();
			if (text.includes('Local') && text.includes('http://')) {
				clearTimeout(timer);
				resolve();
			}
		});
		dev.on('exit', (code) => reject(new Error(`vite dev exited with ${code}`)));
	});
	return { url: `http://127.0.0.1:${port}`, stop: () => dev.kill() };
}
