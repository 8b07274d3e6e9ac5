import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BROKER_ERROR_STATUS, type BrokerErrorCode } from '$lib/protocol/broker-api';
import { PROTOCOL_ERROR_CODES } from '$lib/protocol/errors';
import {
	brokerFailureText,
	formatDuration,
	formatRelative,
	locale,
	LOCALES,
	sessionFailureText
} from '$lib/i18n';
import { CLIENT_FAILURE_CODES, SESSION_ONLY_FAILURE_CODES } from '$lib/i18n/errors';

const messages = (l: string): Record<string, unknown> =>
	JSON.parse(readFileSync(`src/lib/i18n/messages/${l}.json`, 'utf8'));

afterEach(() => locale.set('en'));

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
			expect(typeof value === 'string' && value.trim().length > 0, key).toBe(true);
		}
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
});
