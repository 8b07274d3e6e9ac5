// Makes sure a Chromium is there before browser tests run: installs Debian's package
// with apt-get where this process may (root, apt-get present), otherwise says what to do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium, requireChromium } from './find-chromium.mjs';

export function ensureChromium() {
	const found = findChromium();
	if (found) return found;
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	if (!process.env.CHROMIUM_PATH && isRoot && existsSync('/usr/bin/apt-get')) {
		console.log('[benchside] No Chromium found: installing Debian\'s "chromium" with apt-get…');
		const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
		execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
		execFileSync('apt-get', ['install', '-y', 'chromium'], {
			stdio: 'inherit',
			env
		});
	}
	return requireChromium();
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		console.log(`[benchside] Chromium: ${ensureChromium()}`);
	} catch (error) {
		console.error(`[benchside] ${error instanceof Error ? error.message : String(error)}`);
		process.exit(1);
	}
}
