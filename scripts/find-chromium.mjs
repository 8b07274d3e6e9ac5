// Finds the Chromium that every browser test layer drives. Never downloads one:
// CHROMIUM_PATH wins, then Debian's /usr/bin/chromium (apt-get install -y chromium).
import { existsSync } from 'node:fs';

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Flags for headless Chromium on a machine with no GPU and no outside network. */
export const CHROMIUM_ARGS = [
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync'
];

/** @returns {string | undefined} */
export function findChromium() {
	const fromEnv = process.env.CHROMIUM_PATH;
	if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
	return CHROMIUM_CANDIDATES.find((p) => existsSync(p));
}

/** @returns {string} */
export function requireChromium() {
	const found = findChromium();
	if (found) return found;
	const wanted = process.env.CHROMIUM_PATH
		? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} does not exist.`
		: `No Chromium at ${CHROMIUM_CANDIDATES.join(' or ')}.`;
	throw new Error(
		`${wanted} Install Debian's Chromium (as root: apt-get update && apt-get install -y chromium), ` +
			'or set CHROMIUM_PATH to a Chromium or Chrome binary. Browsers are never downloaded by the tests.'
	);
}

// Firefox for the "any browser" smoke flows (issue 9): Debian's firefox-esr, driven by
// puppeteer-core over WebDriver BiDi. FIREFOX_PATH wins. Never downloaded either.
export const FIREFOX_CANDIDATES = ['/usr/bin/firefox-esr', '/usr/bin/firefox'];

/** @returns {string | undefined} */
export function findFirefox() {
	const fromEnv = process.env.FIREFOX_PATH;
	if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
	return FIREFOX_CANDIDATES.find((p) => existsSync(p));
}

/** @returns {string} */
export function requireFirefox() {
	const found = findFirefox();
	if (found) return found;
	const wanted = process.env.FIREFOX_PATH
		? `FIREFOX_PATH=${process.env.FIREFOX_PATH} does not exist.`
		: `No Firefox at ${FIREFOX_CANDIDATES.join(' or ')}.`;
	throw new Error(
		`${wanted} Install Debian's Firefox ESR (as root: apt-get update && apt-get install -y firefox-esr), ` +
			'or set FIREFOX_PATH to a Firefox binary. Browsers are never downloaded by the tests.'
	);
}
