/**
 * tests/SECURITY.md maps each known attack on remote-support tools to the tests that cover it.
 * This keeps the list honest: every test it names exists, under that exact name, in that file,
 * and no attack from the list of issue 9 is missing or left without a test or a "Not covered".
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const LIST = readFileSync('tests/SECURITY.md', 'utf8');

const REQUIRED = [
	'Brute-force bypass by reconnecting',
	'XSS through instrument or file names',
	'Path traversal in transfers',
	'Cross-site WebSocket hijacking',
	'Key substitution by the broker',
	'Nonce reuse across directions',
	'Password left in memory after a session',
	'Man in the middle',
	'Replay',
	'Downgrade',
	'Token theft from storage',
	'PHI file transfer forced at protocol level'
];

/** `## heading` → its body. */
function sections(): Map<string, string> {
	const out = new Map<string, string>();
	for (const part of LIST.split(/^## /m).slice(1)) {
		const [heading, ...body] = part.split('\n');
		out.set(heading!.trim(), body.join('\n'));
	}
	return out;
}

const ENTRY = /^- `([^`]+)` › "(.+)"$/gm;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('tests/SECURITY.md', () => {
	it('names every known attack, each with a test or an honest "Not covered"', () => {
		const all = sections();
		for (const attack of REQUIRED) {
			const body = all.get(attack);
			expect(body, attack).toBeDefined();
			expect([...body!.matchAll(ENTRY)].length, attack).toBeGreaterThan(0);
		}
	});

	it('names only tests that exist, by their exact name, in the file it gives', () => {
		const entries = [...LIST.matchAll(ENTRY)].map(([, file, name]) => ({
			file: file!,
			name: name!
		}));
		expect(entries.length).toBeGreaterThan(30);
		const missing = entries.filter(({ file, name }) => {
			if (!existsSync(file)) return true;
			const source = readFileSync(file, 'utf8');
			return !new RegExp(`\\b(?:it|test)\\(\\s*(['"\`])${escape(name)}\\1`).test(source);
		});
		expect(missing).toEqual([]);
	});
});
