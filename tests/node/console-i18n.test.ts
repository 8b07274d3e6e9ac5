import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BROKER_ERROR_STATUS, type BrokerErrorCode } from '$lib/protocol/broker-api';
import { PROTOCOL_ERROR_CODES } from '$lib/protocol/errors';
import {
	brokerFailureText,
	formatBytes,
	formatDuration,
	formatRelative,
	locale,
	LOCALES,
	m,
	sessionFailureText
} from '$lib/i18n';
import { CLIENT_FAILURE_CODES, SESSION_ONLY_FAILURE_CODES } from '$lib/i18n/errors';

const messages = (l: string): Record<string, unknown> =>
	JSON.parse(readFileSync(`src/lib/i18n/messages/${l}.json`, 'utf8'));

afterEach(() => locale.set('en'));

/** A message with variants, as the inlang message format writes one: `[{ selectors, match }]`. */
function variants(
	value: unknown,
	key: string
): { selectors: string[]; match: Record<string, unknown> } {
	expect(Array.isArray(value) && value.length === 1, key).toBe(true);
	const v = (value as { selectors?: string[]; match?: Record<string, unknown> }[])[0]!;
	expect(Array.isArray(v.selectors) && typeof v.match === 'object', key).toBe(true);
	return { selectors: v.selectors!, match: v.match! };
}

/** The text of every code in one language. */
function texts(): Map<string, string> {
	const out = new Map<string, string>();
	for (const code of Object.keys(BROKER_ERROR_STATUS) as BrokerErrorCode[]) {
		out.set(`broker:${code}`, brokerFailureText({ code, status: 400, retryAfter: 90 }));
	}
	for (const code of CLIENT_FAILURE_CODES) {
		out.set(`client:${code}`, brokerFailureText({ code, status: 502 }));
	}
	for (const code of [...PROTOCOL_ERROR_CODES, ...SESSION_ONLY_FAILURE_CODES]) {
		out.set(`session:${code}`, sessionFailureText(code));
	}
	return out;
}

describe('the console in English and French', () => {
	it('has the same messages in both languages', () => {
		expect(LOCALES).toEqual(['en', 'fr']);
		const en = messages('en');
		const fr = messages('fr');
		expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
		for (const [key, value] of Object.entries(fr)) {
			if (key === '$schema') continue;
			if (typeof value === 'string') {
				expect(value.trim().length > 0, key).toBe(true);
				continue;
			}
			// A message with variants (plural forms): the same selectors and the same cases in
			// both languages, each one a text.
			const frVariants = variants(value, key);
			const enVariants = variants(en[key], key);
			expect(frVariants.selectors, key).toEqual(enVariants.selectors);
			expect(Object.keys(frVariants.match).sort(), key).toEqual(
				Object.keys(enVariants.match).sort()
			);
			for (const text of Object.values(frVariants.match))
				expect(typeof text === 'string' && text.trim().length > 0, key).toBe(true);
		}
	});

	it('says "1 file" and "2 files", "1 fichier" and "0 fichier" (plural forms)', () => {
		locale.set('en');
		expect(m.history_summary_files({ count: 1, n: '1', size: '812 bytes' })).toBe(
			'1 file, 812 bytes'
		);
		expect(m.history_summary_files({ count: 2, n: '2', size: '2 kB' })).toBe('2 files, 2 kB');
		locale.set('fr');
		expect(m.history_summary_files({ count: 0, n: '0', size: '0 octet' })).toBe(
			'0 fichier, 0 octet'
		);
		expect(m.history_summary_files({ count: 3, n: '3', size: '3 ko' })).toBe('3 fichiers, 3 ko');
	});

	it('explains every broker, console and session failure code in plain English and French', () => {
		locale.set('en');
		const en = texts();
		locale.set('fr');
		const fr = texts();
		expect(en.size).toBe(
			Object.keys(BROKER_ERROR_STATUS).length +
				CLIENT_FAILURE_CODES.length +
				PROTOCOL_ERROR_CODES.length +
				SESSION_ONLY_FAILURE_CODES.length
		);
		for (const [code, english] of en) {
			const french = fr.get(code)!;
			// A sentence, not a key or a code; and really translated.
			expect(english, code).toMatch(/^[A-Z].{10,}[.!]$/);
			expect(french, code).toMatch(/^[A-ZÀ-Ý].{10,}[.!]$/);
			expect(french, code).not.toBe(english);
			expect(english).not.toMatch(/session_error|error_/);
		}
		expect(fr.get('broker:rate-limited')?.replace(/\s/g, ' ')).toBe(
			'Trop de tentatives. Réessayez dans 2 minutes.'
		);
		expect(en.get('client:bad-reply')).toBe('The broker sent an unexpected reply (HTTP 502).');
	});

	it('writes waits and dates in the interface language', () => {
		locale.set('en');
		expect(formatDuration(1)).toBe('1 second');
		expect(formatDuration(45)).toBe('45 seconds');
		expect(formatDuration(900)).toBe('15 minutes');
		expect(formatRelative(Date.now() - 3 * 3600_000)).toBe('3 hours ago');
		locale.set('fr');
		// French puts a no-break space between number and unit.
		const plain = (s: string) => s.replace(/\s/g, ' ');
		expect(plain(formatDuration(900))).toBe('15 minutes');
		expect(plain(formatDuration(1))).toBe('1 seconde');
		expect(plain(formatRelative(Date.now() - 3 * 3600_000))).toBe('il y a 3 heures');
	});

	it('writes sizes with their unit in words for bytes, one decimal below 100 of a larger unit', () => {
		locale.set('en');
		expect(formatBytes(1)).toBe('1 byte');
		expect(formatBytes(72)).toBe('72 bytes');
		expect(formatBytes(20_480)).toBe('20.5 kB');
		expect(formatBytes(131_072)).toBe('131 kB');
		expect(formatBytes(1_500_000)).toBe('1.5 MB');
		locale.set('fr');
		const plain = (s: string) => s.replace(/\s/g, ' ');
		expect(plain(formatBytes(72))).toBe('72 octets');
		expect(plain(formatBytes(20_480))).toBe('20,5 ko');
	});
});
