/**
 * docs/protocol.md is the contract: these tests read its tables and examples and compare them
 * with the code every peer shares (src/lib/protocol). A change to either without the other fails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/lib/protocol/bytes';
import { encode } from '../../src/lib/protocol/codec';
import { PROTOCOL_ERROR_CODES } from '../../src/lib/protocol/errors';
import { HEADER_BYTES } from '../../src/lib/protocol/framing';
import { ALERT_CODES, alertBody, bodyCodec, CATALOGUE } from '../../src/lib/protocol/messages';

const SPEC = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The rows of the markdown table between `<!-- name:start -->` and `<!-- name:end -->`. */
function table(name: string): string[][] {
	const start = SPEC.indexOf(`<!-- ${name}:start -->`);
	const end = SPEC.indexOf(`<!-- ${name}:end -->`);
	expect(start, `table ${name} in docs/protocol.md`).toBeGreaterThan(0);
	return SPEC.slice(start, end)
		.split('\n')
		.filter((l) => l.startsWith('|'))
		.slice(2)
		.map((l) =>
			l
				.slice(1, -1)
				.split(' | ')
				.map((c) => c.trim().replace(/^`|`$/g, ''))
		);
}

describe('docs/protocol.md and src/lib/protocol agree', () => {
	it('on every message: type byte, name, sender and body layout', () => {
		const documented = table('catalogue').map(([id, name, from, body]) => ({
			id,
			name,
			from,
			body
		}));
		const coded = Object.entries(CATALOGUE).map(([name, e]) => ({
			id: `0x${e.id.toString(16).padStart(2, '0')}`,
			name,
			from: e.from,
			body: e.body.doc || '(empty)'
		}));
		expect(documented).toEqual(coded);
	});

	it('on the alert codes and their layout', () => {
		expect(table('alerts').map(([code]) => code)).toEqual([...ALERT_CODES]);
		expect(SPEC).toContain(`\`${alertBody.doc}\``);
	});

	it('on every error code the app must translate', () => {
		expect(table('errors').map(([code]) => code)).toEqual([...PROTOCOL_ERROR_CODES]);
	});

	it('on the frame header size and the worked byte example', () => {
		expect(SPEC).toContain(`same ${HEADER_BYTES}-byte header`);
		const chat = toHex(encode(bodyCodec('chat'), { messageId: 3, at: 1, text: 'hé' }));
		const example = /`chat` with messageId 3, at 1, text "hé": `([0-9a-f ]+)`/.exec(SPEC);
		expect(example?.[1]?.replaceAll(' ', '')).toBe(chat);
	});
});
