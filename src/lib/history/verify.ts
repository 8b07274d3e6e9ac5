/**
 * "Verify" on the session page: the whole hash chain, then every consent answer's signature
 * against the agent key pinned when the session was opened. The result names the first event
 * that does not hold, so a reviewer can point at it.
 */
import { base64urlDecode } from '$lib/protocol/base64url';
import { verifyConsent, type ConsentAnswer } from '$lib/protocol/consent';
import { CAPABILITIES, DENY_REASONS, type Capability } from '$lib/protocol/messages';
import { checkChain, type ChainBreak } from './chain';
import type { EventRow, HistoryDb, JsonValue } from './db';
import { sessionEvents } from './journal';

/** How a consent answer's proof stands. */
export type SignatureState =
	/** Verified now against the pinned agent key. */
	| 'valid'
	/** Present, and does not verify: the answer or the signature was altered. */
	| 'invalid'
	/** The answer carries no signature (or not all the signed fields). */
	| 'unsigned'
	/** Signed, but this session has no pinned agent key recorded to check it with. */
	| 'no-key';

export type VerifyBreak = ChainBreak | 'consent-signature';

export type VerifyResult =
	| { ok: true; events: number; signatures: Record<SignatureState, number> }
	| { ok: false; seq: number; type: string | null; reason: VerifyBreak };

type Obj = { [k: string]: JsonValue };
const isObj = (v: JsonValue): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: JsonValue | undefined) => (typeof v === 'number' ? v : null);
const str = (v: JsonValue | undefined) => (typeof v === 'string' ? v : null);

/** The signed message a `consent-answered` event stands for, or null when it lacks a field. */
export function consentAnswerOf(event: EventRow): ConsentAnswer | null {
	const d = event.data;
	if (event.type !== 'consent-answered' || !isObj(d)) return null;
	const signature = base64urlDecode(str(d.signature) ?? '');
	const capability = str(d.capability) as Capability | null;
	const at = num(d.answeredAt);
	if (!signature || signature.length !== 64 || at === null) return null;
	if (!capability || !CAPABILITIES.includes(capability)) return null;
	const requestId = num(d.requestId);
	switch (d.state) {
		case 'granted': {
			const scope = str(d.scope);
			if (requestId === null || (scope !== 'once' && scope !== 'session')) return null;
			return { type: 'consent-grant', requestId, capability, scope, at, signature };
		}
		case 'denied': {
			const reason = DENY_REASONS.find((r) => r === d.reason);
			if (requestId === null || !reason) return null;
			return { type: 'consent-deny', requestId, capability, reason, at, signature };
		}
		case 'revoked':
			return { type: 'consent-revoke', capability, at, signature };
		default:
			return null;
	}
}

export async function signatureState(
	event: EventRow,
	agentKey: Uint8Array | null
): Promise<SignatureState> {
	const answer = consentAnswerOf(event);
	if (!answer) return 'unsigned';
	const sessionId = base64urlDecode(event.sessionId);
	if (!agentKey || !sessionId) return 'no-key';
	try {
		return (await verifyConsent(agentKey, sessionId, answer)) ? 'valid' : 'invalid';
	} catch {
		return 'invalid';
	}
}

export async function verifyEvents(
	events: readonly EventRow[],
	agentKeyText: string | undefined
): Promise<VerifyResult> {
	const chain = await checkChain(events);
	if (!chain.ok)
		return {
			ok: false,
			seq: chain.brokenAt,
			type:
				events.find((e) => e.seq === chain.brokenAt)?.type ?? events[chain.brokenAt]?.type ?? null,
			reason: chain.reason
		};
	const agentKey = agentKeyText ? base64urlDecode(agentKeyText) : null;
	const signatures: Record<SignatureState, number> = {
		valid: 0,
		invalid: 0,
		unsigned: 0,
		'no-key': 0
	};
	for (const event of events) {
		if (event.type !== 'consent-answered') continue;
		const state = await signatureState(event, agentKey);
		if (state === 'invalid')
			return { ok: false, seq: event.seq, type: event.type, reason: 'consent-signature' };
		signatures[state]++;
	}
	return { ok: true, events: events.length, signatures };
}

/** Reads a session's events afresh and verifies them. */
export async function verifyWholeSession(db: HistoryDb, sessionId: string): Promise<VerifyResult> {
	const session = await db.get('sessions', sessionId);
	return verifyEvents(await sessionEvents(db, sessionId), session?.agentKey);
}
