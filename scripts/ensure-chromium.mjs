// Makes sure the browsers are there before browser tests run: Debian's Chromium (every browser
// layer) and Firefox ESR (the e2e smoke flows in a second engine). Installs them with apt-get
// where this process may (root, apt-get present), otherwise says what to do.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findChromium, findFirefox, requireChromium, requireFirefox } from './find-chromium.mjs';

let updated = false;
function aptInstall(pkg, overridden) {
	const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
	if (overridden || !isRoot || !existsSync('/usr/bin/apt-get')) return;
	console.log(`[benchside] No ${pkg} found: installing Debian's "${pkg}" with apt-get…`);
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	if (!updated) execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
	updated = true;
	execFileSync('apt-get', ['install', '-y', pkg], { stdio: 'inherit', env });
}

export function ensureChromium() {
	const found = findChromium();
	if (found) return found;
	aptInstall('chromium', Boolean(process.env.CHROMIUM_PATH));
	return requireChromium();
}

export function ensureFirefox() {
	const found = findFirefox();
	if (found) return found;
	aptInstall('firefox-esr', Boolean(process.env.FIREFOX_PATH));
	return requireFirefox();
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		console.log(`[benchside] Chromium: ${ensureChromium()}`);
		if (process.argv.includes('--firefox')) console.log(`[benchside] Firefox: ${ensureFirefox()}`);
	} catch (error) {
		console.error(`[benchside] ${error instanceof Error ? error.message : String(error)}`);
		process.exit(1);
	}
}
