/**
 * The events of a session and their hash chain, as pure functions (no IndexedDB): each event's
 * hash is SHA-256(prevHash ‖ canonical JSON of {sessionId, seq, at, type, data}), so editing,
 * removing or reordering one event breaks the chain exactly there.
 */
import type { ConsentState } from '$workers/stream/events';
import type { Capability } from '$lib/protocol/messages';
import type { AcceptedAgentKey } from '$lib/session/types';
import { concat, fromHex, toHex, utf8 } from '$lib/protocol/bytes';
import { sha256 } from '$lib/protocol/kdf';
import { sha256 as sha256Sync } from '@noble/hashes/sha2.js';
import type { EventRow, JsonValue, SessionOutcome, TransferRow } from './db';

/** The previous hash of a session's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Every kind of event history records, each with its data (plain JSON). */
export type HistoryEvent =
	| { type: 'connect-attempt'; data: { attempt: number } }
	| { type: 'connect-failed'; data: { code: string; message: string } }
	/** The broker refused to create the session (or did not answer): its failure code. */
	| { type: 'request-refused'; data: { code: string; status: number | null } }
	| { type: 'agent-key-accepted'; data: AcceptedAgentKey }
	| { type: 'connected'; data: { agentVersion: string; phi: boolean; capabilities: Capability[] } }
	| { type: 'consent-requested'; data: { capability: Capability; scope: 'once' | 'session' } }
	| {
			type: 'consent-answered';
			data: {
				capability: Capability;
				state: Extract<ConsentState, 'granted' | 'denied' | 'revoked'>;
				scope: 'once' | 'session' | null;
				reason: string | null;
				/** The agent's time in the signed answer (epoch ms), when known. */
				answeredAt: number | null;
				requestId: number | null;
				/** Whether the agent's signature checked out under the pinned key. */
				verified: boolean;
				/** The agent's ECDSA signature (base64url), when the live session hands it on. */
				signature: string | null;
			};
	  }
	| { type: 'consent-released'; data: { capability: Capability } }
	| { type: 'control-taken'; data: Record<string, never> }
	| { type: 'control-released'; data: { by: 'technician' | 'customer' } }
	| { type: 'chat'; data: { from: 'technician' | 'customer'; messageId: number; text: string } }
	| { type: 'screen-recording'; data: { state: 'on' | 'off' | 'failed'; code: string | null } }
	| {
			type: 'file';
			data: {
				transferId: number;
				direction: TransferRow['direction'];
				name: string;
				size: number;
				sha256: string;
				state: TransferRow['state'];
			};
	  }
	| { type: 'error'; data: { code: string; message: string } }
	/** The relay socket dropped (a resumption may follow). */
	| { type: 'disconnected'; data: { code: string } }
	/** The session was resumed after a drop, at this attempt. */
	| { type: 'reconnected'; data: { attempt: number } }
	/** What the session amounted to, recorded once as it ends. */
	| {
			type: 'summary';
			data: {
				durationMs: number;
				capabilities: string[];
				filesUp: number;
				filesDown: number;
				bytesUp: number;
				bytesDown: number;
			};
	  }
	| {
			type: 'end';
			data: { outcome: Exclude<SessionOutcome, 'open'>; code: string | null };
	  };

export type HistoryEventType = HistoryEvent['type'];

/**
 * Canonical JSON (the RFC 8785 shape for the values history stores): object keys sorted by code
 * unit, no whitespace, numbers and strings as JSON.stringify writes them.
 */
export function canonicalJson(value: JsonValue): string {
	if (value === null || typeof value === 'boolean' || typeof value === 'string')
		return JSON.stringify(value);
	if (typeof value === 'number') {
		if (!Number.isFinite(value)) throw new RangeError('non-finite number in history event');
		return JSON.stringify(value);
	}
	if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
	const keys = Object.keys(value).sort();
	const parts: string[] = [];
	for (const k of keys) {
		const v = value[k];
		// An undefined member has no JSON form: leave it out, as JSON.stringify would.
		if (v !== undefined) parts.push(`${JSON.stringify(k)}:${canonicalJson(v)}`);
	}
	return `{${parts.join(',')}}`;
}

export type ChainedFields = Pick<EventRow, 'sessionId' | 'seq' | 'at' | 'type' | 'data'>;

/** Hex SHA-256 over the previous hash (32 raw bytes) and the event's canonical JSON. */
export async function eventHash(prevHash: string, event: ChainedFields): Promise<string> {
	const { sessionId, seq, at, type, data } = event;
	const body = utf8.encode(canonicalJson({ sessionId, seq, at, type, data }));
	return toHex(await sha256(concat(fromHex(prevHash), body)));
}

/**
 * The same hash, computed synchronously (@noble/hashes): for batches of thousands of events,
 * where one WebCrypto round trip per event costs far more than the hashing itself.
 */
export function eventHashSync(prevHash: string, event: ChainedFields): string {
	return chainHashesSync(prevHash, [event])[0]!;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * The hashes of consecutive events chained on from `prevHash`, synchronously. Hashing is most of
 * a batch's cost (bench/README.md, history), so each digest feeds the next as bytes, with no hex
 * round trip, and hex is written through a table: a third less time per event than one
 * `eventHashSync` each.
 */
export function chainHashesSync(prevHash: string, events: readonly ChainedFields[]): string[] {
	const hashes: string[] = [];
	let prev = fromHex(prevHash);
	for (const { sessionId, seq, at, type, data } of events) {
		const body = utf8.encode(canonicalJson({ sessionId, seq, at, type, data }));
		prev = sha256Sync.create().update(prev).update(body).digest();
		let hex = '';
		for (const b of prev) hex += HEX[b];
		hashes.push(hex);
	}
	return hashes;
}

export type ChainCheck = { ok: true } | { ok: false; brokenAt: number; reason: ChainBreak };
export type ChainBreak = 'missing' | 'seq-gap' | 'prev-hash-mismatch' | 'hash-mismatch';

/** Checks events of one session in seq order; reports the first event that does not hold. */
export async function checkChain(events: readonly EventRow[]): Promise<ChainCheck> {
	// A session is created with its first event: none at all means it was removed.
	if (events.length === 0) return { ok: false, brokenAt: 0, reason: 'missing' };
	let prev = GENESIS_HASH;
	for (const [i, e] of events.entries()) {
		if (e.seq !== i) return { ok: false, brokenAt: i, reason: 'seq-gap' };
		if (e.prevHash !== prev) return { ok: false, brokenAt: e.seq, reason: 'prev-hash-mismatch' };
		if ((await eventHash(prev, e)) !== e.hash)
			return { ok: false, brokenAt: e.seq, reason: 'hash-mismatch' };
		prev = e.hash;
	}
	return { ok: true };
}
