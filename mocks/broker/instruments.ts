/**
 * The instruments the broker knows, their agents' keys and connection state, the whitelist of
 * who may reach what, and GET /api/v1/instruments paging. Instruments whose agent has never
 * enrolled a key have no valid record (`agentKey` is required) and are not listed.
 */
import { p256 } from '@noble/curves/nist.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlDecode, base64urlEncode } from '../../src/lib/protocol/base64url';
import {
	MAX_INSTRUMENTS_LIMIT,
	type Instrument,
	type InstrumentsPage
} from '../../src/lib/protocol/broker-api';
import { decodeUtf8, equalBytes, randomBytes, utf8 } from '../../src/lib/protocol/bytes';
import type { InstrumentFixture } from './fleet';
import { fail, iso, ok, type BrokerReply, type Clock } from './replies';
import { isId } from './requests';

export interface AgentKey {
	/** Raw uncompressed P-256 public key, 65 bytes. */
	publicKey: Uint8Array;
	keyId: string;
}

export interface InstrumentsQuery {
	cursor?: string | null;
	limit?: string | number | null;
}

interface Entry {
	fixture: InstrumentFixture;
	/** Position in the broker's stable order. */
	order: number;
	agent?: AgentRecord;
	online: boolean;
	lastSeenAt: number | null;
}

/** The key fields of the instrument record (Part 1, "Pinning the agent key"). */
interface AgentRecord {
	agentKey: string;
	agentKeyId: string;
	previousAgentKeyId?: string;
	agentKeyRotatedAt?: string;
}

const DEFAULT_LIMIT = 100;

export class InstrumentDirectory {
	readonly #entries: Entry[];
	readonly #byId = new Map<string, Entry>();
	readonly #whitelist = new Map<string, Set<string>>();
	/** Cursors are MACed, so the broker knows it issued them without remembering each one. */
	readonly #cursorKey = randomBytes(32);

	constructor(
		fleet: readonly InstrumentFixture[],
		readonly now: Clock
	) {
		const start = now();
		this.#entries = fleet.map((fixture, order) => ({
			fixture,
			order,
			online: fixture.online,
			lastSeenAt: fixture.lastSeenAgoMs === null ? null : start - fixture.lastSeenAgoMs
		}));
		for (const e of this.#entries) this.#byId.set(e.fixture.id, e);
	}

	fixtures(): InstrumentFixture[] {
		return this.#entries.map((e) => e.fixture);
	}

	/**
	 * The agent enrols a key; the record carries no rotation marker (a hostile broker that swaps
	 * keys does just this). Throws on programming errors of the mock world: an unknown instrument
	 * or a bad key.
	 */
	registerAgent(instrumentId: string, key: AgentKey): void {
		this.#entry(instrumentId).agent = checkedKey(key);
	}

	/** A rotation the agent announced: a new keyId, and the record names the key it replaces. */
	rotateAgent(instrumentId: string, key: AgentKey): void {
		const entry = this.#entry(instrumentId);
		const previous = entry.agent?.agentKeyId;
		if (previous === undefined) throw new RangeError(`${instrumentId} has no key to rotate`);
		if (previous === key.keyId) throw new RangeError('a rotation needs a new keyId');
		entry.agent = {
			...checkedKey(key),
			previousAgentKeyId: previous,
			agentKeyRotatedAt: iso(this.now())
		};
	}

	setOnline(instrumentId: string, online: boolean): void {
		const entry = this.#entry(instrumentId);
		if (entry.online || online) entry.lastSeenAt = this.now();
		entry.online = online;
	}

	/** The current record, or null when the instrument is unknown or its agent never enrolled. */
	record(instrumentId: string): Instrument | null {
		const entry = this.#byId.get(instrumentId);
		return entry ? this.#render(entry) : null;
	}

	setWhitelist(technicianId: string, instrumentIds: Iterable<string>): void {
		this.#whitelist.set(technicianId, new Set(instrumentIds));
	}

	isWhitelisted(technicianId: string, instrumentId: string): boolean {
		return this.#byId.has(instrumentId) && !!this.#whitelist.get(technicianId)?.has(instrumentId);
	}

	page(technicianId: string, query: InstrumentsQuery): BrokerReply<InstrumentsPage> {
		const limit = parseLimit(query.limit);
		if (limit === null) return fail('bad-request', `limit must be 1–${MAX_INSTRUMENTS_LIMIT}`);
		let after = -1;
		if (query.cursor !== undefined && query.cursor !== null) {
			const opened = this.#openCursor(technicianId, query.cursor);
			if (opened === null) return fail('bad-request', 'unknown cursor');
			after = opened;
		}
		const allowed = this.#whitelist.get(technicianId) ?? new Set<string>();
		const instruments: Instrument[] = [];
		let last = after;
		let more = false;
		for (let i = after + 1; i < this.#entries.length; i++) {
			const entry = this.#entries[i]!;
			if (!allowed.has(entry.fixture.id)) continue;
			const record = this.#render(entry);
			if (!record) continue;
			if (instruments.length === limit) {
				more = true;
				break;
			}
			instruments.push(record);
			last = entry.order;
		}
		const page: InstrumentsPage = { instruments };
		if (more) page.nextCursor = this.#issueCursor(technicianId, last);
		return ok(page);
	}

	#render(entry: Entry): Instrument | null {
		if (!entry.agent) return null;
		const { online: _online, lastSeenAgoMs: _ago, ...fixture } = entry.fixture;
		const lastSeen = entry.online ? this.now() : entry.lastSeenAt;
		return {
			...fixture,
			site: { ...fixture.site },
			capabilities: [...fixture.capabilities],
			online: entry.online,
			lastSeenAt: lastSeen === null ? null : iso(lastSeen),
			...entry.agent
		};
	}

	#entry(instrumentId: string): Entry {
		const entry = this.#byId.get(instrumentId);
		if (!entry) throw new RangeError(`no instrument ${instrumentId}`);
		return entry;
	}

	#issueCursor(technicianId: string, after: number): string {
		const payload = utf8.encode(`${technicianId}\n${after}`);
		const mac = hmac(sha256, this.#cursorKey, payload).subarray(0, 16);
		return `${base64urlEncode(payload)}.${base64urlEncode(mac)}`;
	}

	/** The order position the cursor continues after, or null for a cursor not issued to this technician. */
	#openCursor(technicianId: string, cursor: string): number | null {
		const [p, m, extra] = cursor.split('.');
		const payload = p === undefined ? null : base64urlDecode(p);
		const mac = m === undefined ? null : base64urlDecode(m);
		if (!payload || !mac || extra !== undefined) return null;
		const expected = hmac(sha256, this.#cursorKey, payload).subarray(0, 16);
		if (!equalBytes(mac, expected)) return null;
		const [tech, after] = (decodeUtf8(payload) ?? '').split('\n');
		return tech === technicianId && after !== undefined ? Number(after) : null;
	}
}

function checkedKey(key: AgentKey): AgentRecord {
	if (!isId(key.keyId)) throw new RangeError(`bad agent keyId ${key.keyId}`);
	if (key.publicKey.length !== 65 || key.publicKey[0] !== 0x04) {
		throw new RangeError('agent key must be a raw uncompressed P-256 point');
	}
	p256.Point.fromBytes(key.publicKey); // throws when not on the curve
	return { agentKey: base64urlEncode(key.publicKey), agentKeyId: key.keyId };
}

function parseLimit(v: string | number | null | undefined): number | null {
	if (v === undefined || v === null) return DEFAULT_LIMIT;
	const text = String(v);
	if (!/^[1-9]\d{0,2}$/.test(text)) return null;
	const n = Number(text);
	return n <= MAX_INSTRUMENTS_LIMIT ? n : null;
}
