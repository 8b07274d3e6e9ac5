/**
 * The broker API contract (docs/protocol.md, Part 1) against
 * src/lib/protocol/broker-api.ts: every reply example in the spec passes the validator the console
 * reads it with, representative bad replies are refused at the right field, and the spec's tables
 * and endpoint headings match the exported constants.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { base64urlDecode, base64urlEncode } from '../../src/lib/protocol/base64url';
import {
	BROKER_API_METHODS,
	BROKER_API_PATHS,
	BROKER_ERROR_STATUS,
	MAX_AUDIT_BATCH,
	RELAY_CLOSE_CODES,
	RELAY_SUBPROTOCOL,
	brokerPath,
	deviceProofMessage,
	parseAuditResult,
	parseBrokerError,
	parseDeviceRegistered,
	parseDeviceStatus,
	parseHealth,
	parseInstrumentsPage,
	parsePasswordResponse,
	parseSecondFactorResponse,
	parseSessionCreated,
	parseWebAuthnOptions,
	parsePasskeyOptions,
	parsePasskeyRegistered,
	relaySubprotocols,
	type Parsed
} from '../../src/lib/protocol/broker-api';
import { verify } from '../../src/lib/protocol/identity';

const SPEC = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');

/** The ```json block right after each `<!-- example: name -->` marker. */
function examples(doc: string): Map<string, unknown> {
	const found = new Map<string, unknown>();
	for (const m of doc.matchAll(/<!-- example: ([a-z0-9-]+) -->\s*```json\n([\s\S]*?)\n```/g)) {
		if (found.has(m[1]!)) throw new Error(`example ${m[1]} appears twice`);
		found.set(m[1]!, JSON.parse(m[2]!));
	}
	return found;
}

/** The body rows of the table right after `<!-- table: name -->`, as trimmed cells. */
function table(doc: string, name: string): string[][] {
	const after = doc.slice(doc.indexOf(`<!-- table: ${name} -->`));
	const lines = after.split('\n').slice(1);
	const start = lines.findIndex((l) => l.startsWith('|'));
	const rows: string[][] = [];
	for (const line of lines.slice(start + 2)) {
		if (!line.startsWith('|')) break;
		rows.push(
			line
				.split('|')
				.slice(1, -1)
				.map((c) => c.trim().replace(/^`|`$/g, ''))
		);
	}
	return rows;
}

const EXAMPLES = examples(SPEC);
function example(name: string): Record<string, unknown> {
	const value = EXAMPLES.get(name);
	if (typeof value !== 'object' || value === null) throw new Error(`no example ${name}`);
	return structuredClone(value) as Record<string, unknown>;
}

type Parser = (json: unknown) => Parsed<unknown>;
const REPLIES: Record<string, Parser> = {
	health: parseHealth,
	'password-response': parsePasswordResponse,
	'password-response-device': parsePasswordResponse,
	'totp-signed-in': parseSecondFactorResponse,
	'totp-device-registration-required': parseSecondFactorResponse,
	'webauthn-options': parseWebAuthnOptions,
	'passkey-options': parsePasskeyOptions,
	'passkey-registered': parsePasskeyRegistered,
	'device-registered': parseDeviceRegistered,
	'device-status': parseDeviceStatus,
	'device-approved': parseDeviceStatus,
	'instruments-page': parseInstrumentsPage,
	'session-created': parseSessionCreated,
	'audit-result': parseAuditResult,
	'error-invalid-credentials': parseBrokerError,
	'error-rate-limited': parseBrokerError
};
/** Written by the console (or the approval page), not validated by it: checked below by hand. */
const REQUESTS = [
	'password-request',
	'password-request-device',
	'totp-request',
	'webauthn-options-request',
	'webauthn-verify-request',
	'passkey-registration-request',
	'device-registration-request',
	'device-approval-request',
	'session-request',
	'audit-request'
];
const PARSERS = [...new Set(Object.values(REPLIES))];

/** A deep copy of `base` with `path` (dotted; numbers index arrays) set to `value`. */
function withField(base: object, path: string, value: unknown): unknown {
	return edit(base, path, (parent, key) => (parent[key] = value));
}
/** A deep copy of `base` without `path`. */
function without(base: object, path: string): unknown {
	return edit(base, path, (parent, key) => delete parent[key]);
}
function edit(
	base: object,
	path: string,
	change: (parent: Record<string, unknown>, key: string) => void
): unknown {
	const copy = structuredClone(base) as Record<string, unknown>;
	const keys = path.split('.');
	let parent = copy;
	for (const key of keys.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
	change(parent, keys.at(-1)!);
	return copy;
}
const refusedAt = (error: string) => ({ ok: false, error });

const AGENT_KEY = (example('instruments-page').instruments as Record<string, unknown>[])[0]!;
const KEY_BYTES = base64urlDecode(AGENT_KEY.agentKey as string)!;

describe('the documented examples', () => {
	it('every reply example passes its validator unchanged, and every example is tested', () => {
		expect([...EXAMPLES.keys()].sort()).toEqual([...Object.keys(REPLIES), ...REQUESTS].sort());
		for (const [name, parse] of Object.entries(REPLIES)) {
			expect(parse(EXAMPLES.get(name)), name).toEqual({ ok: true, value: EXAMPLES.get(name) });
		}
	});

	it('request examples use the documented encodings', () => {
		const registration = example('device-registration-request');
		const publicKey = base64urlDecode(registration.publicKey as string)!;
		expect([publicKey.length, publicKey[0]]).toEqual([65, 0x04]);
		expect(base64urlDecode(registration.deviceId as string)).toHaveLength(16);
		expect(example('password-request-device').deviceId).toBe(registration.deviceId);

		const events = example('audit-request').events as Record<string, unknown>[];
		expect(events.length).toBeLessThanOrEqual(MAX_AUDIT_BATCH);
		const result = example('audit-result');
		expect([...(result.accepted as string[]), ...(result.duplicates as string[])].sort()).toEqual(
			events.map((e) => e.id).sort()
		);
		for (const e of events.filter((e) => 'hash' in e)) {
			expect(base64urlDecode(e.hash as string)).toHaveLength(32);
			expect(base64urlDecode(e.prevHash as string)).toHaveLength(32);
		}
		expect(example('session-created').instrument).toEqual(AGENT_KEY);
	});

	it("the documented device signature verifies with the registered key, and nothing else's", async () => {
		const { challengeId, deviceChallenge } = example('password-response-device');
		const signature = base64urlDecode(example('totp-request').deviceSignature as string)!;
		const publicKey = base64urlDecode(example('device-registration-request').publicKey as string)!;
		expect(example('totp-request').challengeId).toBe(challengeId);
		const message = deviceProofMessage(challengeId as string, deviceChallenge as string);
		expect(await verify(publicKey, signature, message)).toBe(true);
		const other = deviceProofMessage('ch_other', deviceChallenge as string);
		expect(await verify(publicKey, signature, other)).toBe(false);
		expect(await verify(KEY_BYTES, signature, message)).toBe(false);
	});
});

describe('the spec and the code agree', () => {
	it('documents every endpoint under its method and path, and no other', () => {
		const headings = [...SPEC.matchAll(/^### (GET|POST) (\/api\/v1\/\S+)$/gm)].map(
			(m) => `${m[1]} ${m[2]}`
		);
		const code = Object.entries(BROKER_API_PATHS).map(
			([name, path]) => `${BROKER_API_METHODS[name as keyof typeof BROKER_API_PATHS]} ${path}`
		);
		expect(headings.sort()).toEqual(code.sort());
	});

	it('has one error table row per code, with the HTTP status the code exports', () => {
		const rows = table(SPEC, 'error-codes').map(([code, status]) => [code, Number(status)]);
		expect(rows).toEqual(Object.entries(BROKER_ERROR_STATUS));
		expect(rows.every(([, , meaning]) => meaning !== '')).toBe(true);
	});

	it('lists the relay close codes the code exports', () => {
		const rows = table(SPEC, 'relay-close-codes').map(([code, name]) => [name, Number(code)]);
		expect(rows).toEqual(Object.entries(RELAY_CLOSE_CODES));
	});
});

describe('bad replies are refused at the first bad field', () => {
	it('health: types, enum, missing field, and things that are not an object', () => {
		const ok = example('health');
		expect(parseHealth(withField(ok, 'protocol', '1'))).toEqual(refusedAt('$.protocol'));
		expect(parseHealth(withField(ok, 'protocol', 1.5))).toEqual(refusedAt('$.protocol'));
		expect(parseHealth(withField(ok, 'status', 'degraded'))).toEqual(refusedAt('$.status'));
		expect(parseHealth(without(ok, 'broker'))).toEqual(refusedAt('$.broker'));
		for (const notAnObject of [null, undefined, '<html>proxy login</html>', [ok], 42, true]) {
			for (const parse of PARSERS) expect(parse(notAnObject)).toEqual(refusedAt('$'));
		}
	});

	it('keeps only documented fields, so a broker cannot smuggle extra ones into the app', () => {
		const result = parseHealth(
			JSON.parse('{"status":"ok","protocol":1,"broker":"b","admin":true,"__proto__":{"x":1}}')
		);
		expect(result.ok && Object.keys(result.value).sort()).toEqual(['broker', 'protocol', 'status']);
	});

	it('password step: methods, device challenge and timestamps', () => {
		const ok = example('password-response-device');
		const p = parsePasswordResponse;
		expect(p(withField(ok, 'methods', []))).toEqual(refusedAt('$.methods'));
		expect(p(withField(ok, 'methods', ['sms']))).toEqual(refusedAt('$.methods[0]'));
		expect(p(withField(ok, 'methods', ['totp', 'totp']))).toEqual(refusedAt('$.methods[1]'));
		expect(p(withField(ok, 'deviceChallenge', null))).toEqual(refusedAt('$.deviceChallenge'));
		const short = base64urlEncode(new Uint8Array(31));
		expect(p(withField(ok, 'deviceChallenge', short))).toEqual(refusedAt('$.deviceChallenge'));
		expect(p(withField(ok, 'deviceChallenge', `${ok.deviceChallenge}=`))).toEqual(
			refusedAt('$.deviceChallenge')
		);
		for (const when of ['2025-03-14 09:31:53Z', '2025-03-14T09:31:53+01:00', '1741944713']) {
			expect(p(withField(ok, 'expiresAt', when))).toEqual(refusedAt('$.expiresAt'));
		}
		expect(p(withField(ok, 'challengeId', 'has space'))).toEqual(refusedAt('$.challengeId'));
	});

	it('second factor: unknown step, unusable token, unsafe or oversized names', () => {
		const ok = example('totp-signed-in');
		const p = parseSecondFactorResponse;
		for (const step of ['signed-out', '__proto__', 'toString', 7]) {
			expect(p(withField(ok, 'step', step))).toEqual(refusedAt('$.step'));
		}
		expect(p(without(ok, 'step'))).toEqual(refusedAt('$.step'));
		const registration = example('totp-device-registration-required');
		expect(p(without(registration, 'challengeId'))).toEqual(refusedAt('$.challengeId'));
		// A token must be a valid WebSocket subprotocol token, or the relay cannot be reached.
		for (const token of ['abc def ghi jkl mnop', 'short', 'a,b'.repeat(8), 'x'.repeat(2049)]) {
			expect(p(withField(ok, 'accessToken', token))).toEqual(refusedAt('$.accessToken'));
		}
		const name = (v: string) => p(withField(ok, 'technician.name', v));
		expect(name('x'.repeat(1000)).ok).toBe(true);
		expect(name('x'.repeat(1001))).toEqual(refusedAt('$.technician.name'));
		expect(name('Alex \u202Etxt.exe')).toEqual(refusedAt('$.technician.name'));
		expect(name('Alex\nAdmin')).toEqual(refusedAt('$.technician.name'));
		expect(name('')).toEqual(refusedAt('$.technician.name'));
		expect(p(withField(ok, 'technician.email', 'nobody'))).toEqual(refusedAt('$.technician.email'));
		expect(p(withField(ok, 'technician.trainedRegions', ['DE', 'DE']))).toEqual(
			refusedAt('$.technician.trainedRegions[1]')
		);
	});

	it('instruments: agent key, enums, the PHI rule, bounds', () => {
		const page = example('instruments-page');
		const bad = (field: string, value: unknown) =>
			parseInstrumentsPage(withField(page, `instruments.1.${field}`, value));
		const at = (field: string) => refusedAt(`$.instruments[1].${field}`);
		const compressed = KEY_BYTES.slice(0, 33);
		compressed[0] = 0x02;
		const wrongPrefix = KEY_BYTES.slice();
		wrongPrefix[0] = 0x05;
		const standardBase64 = Buffer.from(KEY_BYTES).toString('base64');
		for (const key of [
			base64urlEncode(KEY_BYTES.subarray(0, 64)),
			base64urlEncode(compressed),
			base64urlEncode(wrongPrefix),
			standardBase64,
			`${AGENT_KEY.agentKey}=`,
			'',
			Array.from(KEY_BYTES)
		]) {
			expect(bad('agentKey', key)).toEqual(at('agentKey'));
		}
		expect(bad('kind', 'microscope')).toEqual(at('kind'));
		expect(bad('capabilities', ['view', 'telnet'])).toEqual(
			refusedAt('$.instruments[1].capabilities[1]')
		);
		expect(bad('capabilities', ['view', 'view'])).toEqual(
			refusedAt('$.instruments[1].capabilities[1]')
		);
		for (const leak of ['file-transfer', 'clipboard']) {
			const phi = withField(page, 'instruments.0.capabilities', ['view', leak]);
			expect(parseInstrumentsPage(phi)).toEqual(refusedAt('$.instruments[0].capabilities'));
		}
		expect(bad('screens', 17)).toEqual(at('screens'));
		expect(bad('screens', 1.5)).toEqual(at('screens'));
		expect(bad('online', 'true')).toEqual(at('online'));
		expect(parseInstrumentsPage(without(page, 'instruments.1.lastSeenAt'))).toEqual(
			at('lastSeenAt')
		);
		expect(bad('site.country', 'de')).toEqual(refusedAt('$.instruments[1].site.country'));
		expect(bad('id', 'x'.repeat(65))).toEqual(at('id'));
		expect(parseInstrumentsPage(withField(page, 'nextCursor', 'a b'))).toEqual(
			refusedAt('$.nextCursor')
		);
		const many = withField(page, 'instruments', Array(501).fill(AGENT_KEY));
		expect(parseInstrumentsPage(many)).toEqual(refusedAt('$.instruments'));
		expect(parseInstrumentsPage({ instruments: {} })).toEqual(refusedAt('$.instruments'));
	});

	it('session: the relay URL must be secure and name this session', () => {
		const ok = example('session-created');
		const id = ok.sessionId as string;
		const url = (relayUrl: string) => parseSessionCreated(withField(ok, 'relayUrl', relayUrl));
		expect(url(`wss://relay.example.org:8443/eu/relay/v1/${id}`).ok).toBe(true);
		expect(url(`ws://localhost:8787/relay/v1/${id}`).ok).toBe(true);
		for (const refused of [
			`https://broker.example.org/relay/v1/${id}`,
			`ws://broker.example.org/relay/v1/${id}`,
			`wss://broker.example.org/relay/v1/${base64urlEncode(new Uint8Array(16))}`,
			`wss://broker.example.org/relay/v1/${id}?token=x`,
			`wss://user@broker.example.org/relay/v1/${id}`,
			`wss://broker.example.org/relay/v1/${id}#x`
		]) {
			expect(url(refused)).toEqual(refusedAt('$.relayUrl'));
		}
		const shortId = base64urlEncode(new Uint8Array(15));
		expect(parseSessionCreated(withField(ok, 'sessionId', shortId))).toEqual(
			refusedAt('$.sessionId')
		);
		expect(parseSessionCreated(withField(ok, 'instrument.agentKey', 'AAAA'))).toEqual(
			refusedAt('$.instrument.agentKey')
		);
	});

	it('device, WebAuthn and audit replies: enums and encodings', () => {
		const status = example('device-status');
		expect(parseDeviceStatus(withField(status, 'status', 'active'))).toEqual(refusedAt('$.status'));
		expect(parseDeviceStatus(withField(status, 'deviceId', 'dev-1'))).toEqual(
			refusedAt('$.deviceId')
		);
		const registered = example('device-registered');
		expect(parseDeviceRegistered(withField(registered, 'status', 'pending'))).toEqual(
			refusedAt('$.status')
		);
		const options = example('webauthn-options');
		const wa = (path: string, v: unknown) => parseWebAuthnOptions(withField(options, path, v));
		expect(wa('publicKey.challenge', 'AAAA')).toEqual(refusedAt('$.publicKey.challenge'));
		expect(wa('publicKey.rpId', 'Console.Example.org')).toEqual(refusedAt('$.publicKey.rpId'));
		expect(wa('publicKey.allowCredentials.0.type', 'password')).toEqual(
			refusedAt('$.publicKey.allowCredentials[0].type')
		);
		const audit = example('audit-result');
		const upper = '4EDD0D8F-7D41-43EB-B44E-B01EB32C2A5B';
		expect(parseAuditResult(withField(audit, 'accepted', [upper]))).toEqual(
			refusedAt('$.accepted[0]')
		);
		expect(parseAuditResult(without(audit, 'duplicates'))).toEqual(refusedAt('$.duplicates'));
		expect(parseAuditResult(withField(audit, 'duplicates', 'all'))).toEqual(
			refusedAt('$.duplicates')
		);
	});

	it('error envelope: closed code list and retryAfter only where it belongs', () => {
		const limited = example('error-rate-limited');
		const wrong = example('error-invalid-credentials');
		expect(parseBrokerError(withField(wrong, 'error.code', 'teapot'))).toEqual(
			refusedAt('$.error.code')
		);
		expect(parseBrokerError(without(limited, 'error.retryAfter'))).toEqual(
			refusedAt('$.error.retryAfter')
		);
		expect(parseBrokerError(withField(limited, 'error.retryAfter', -1))).toEqual(
			refusedAt('$.error.retryAfter')
		);
		expect(parseBrokerError(withField(wrong, 'error.retryAfter', 5))).toEqual(
			refusedAt('$.error.retryAfter')
		);
		const unavailable = { error: { code: 'unavailable', message: 'maintenance' } };
		expect(parseBrokerError(unavailable).ok).toBe(true);
		expect(parseBrokerError(withField(unavailable, 'error.retryAfter', 60)).ok).toBe(true);
		expect(parseBrokerError(without(wrong, 'error.message'))).toEqual(refusedAt('$.error.message'));
		expect(parseBrokerError(wrong.error)).toEqual(refusedAt('$.error'));
	});

	it('never throws, whatever arrives', () => {
		const hostile = new Proxy(
			{},
			{
				get: () => {
					throw new Error('trap');
				},
				getOwnPropertyDescriptor: () => {
					throw new Error('trap');
				}
			}
		);
		for (const parse of PARSERS) expect(parse(hostile)).toEqual(refusedAt('$'));
		fc.assert(
			fc.property(fc.anything({ withObjectString: true, withNullPrototype: true }), (value) => {
				for (const parse of PARSERS) expect(parse(value).ok).toBe(false);
			})
		);
	});
});

describe('encodings and helpers', () => {
	it('base64url round-trips every length and matches Node', () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
				const text = base64urlEncode(bytes);
				expect(text).toBe(Buffer.from(bytes).toString('base64url'));
				expect(base64urlDecode(text)).toEqual(bytes);
			})
		);
	});

	it('base64url decoding refuses anything non-canonical', () => {
		expect(base64urlDecode('')).toEqual(new Uint8Array(0));
		expect(base64urlDecode('AA')).toEqual(new Uint8Array([0]));
		for (const s of ['AB', 'AAB', 'AA==', 'A', 'AAAAA', 'a+b/', 'AA AA', 'AAé=', 'AA\n']) {
			expect(base64urlDecode(s), s).toBeNull();
		}
	});

	it('relay subprotocols: the version, then the token as a valid subprotocol token', () => {
		const token = example('totp-signed-in').accessToken as string;
		const protocols = relaySubprotocols(token);
		expect(protocols).toEqual([RELAY_SUBPROTOCOL, `benchside.token.${token}`]);
		// RFC 6455 §4.1: each subprotocol is an RFC 7230 token (tchar).
		for (const p of protocols) expect(p).toMatch(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/);
	});

	it('fills path parameters, percent-encoded, and refuses a missing one', () => {
		expect(brokerPath('device', { deviceId: '_8DCvlgoynJhJhbqJ6rO_Q' })).toBe(
			'/api/v1/devices/_8DCvlgoynJhJhbqJ6rO_Q'
		);
		expect(brokerPath('deviceApprove', { deviceId: 'a/b' })).toBe('/api/v1/devices/a%2Fb/approve');
		expect(brokerPath('health')).toBe('/api/v1/health');
		expect(() => brokerPath('device')).toThrow(RangeError);
	});
});
