/**
 * Writes a session into history as it happens: every event in its own transaction (a block of
 * one), with its outbox row, chained to the one before. A crash loses at most the event being written; the
 * session stays 'open' and `markInterrupted()` closes it at the next start.
 */
import type { Capability } from '$lib/protocol/messages';
import { base64urlEncode } from '$lib/protocol/base64url';
import type { AcceptedAgentKey } from '$lib/session/types';
import type { HistoryEvent } from './chain';
import type { HistoryDb, SessionOutcome, SessionRow, TransferRow } from './db';
import {
	EMPTY_HEAD,
	appendEvent,
	readEvent,
	readHead,
	type AppendOptions,
	type ChainHead,
	type WriteResult
} from './journal';

export interface SessionMeta {
	sessionId: string;
	instrumentId: string;
	serial: string;
	site: string;
	technicianId: string;
	ticket?: string;
	/** The agent's pinned public key (b64u), kept so Verify can check consent signatures. */
	agentKey?: string;
	/** Names for the reviewer (see `SessionRow`). */
	instrumentName?: string;
	model?: string;
	technicianName?: string;
}

/** While a tab records a session it holds this Web Lock; other tabs see the session as live. */
export const sessionLockName = (sessionId: string) => `benchside-history:${sessionId}`;

export type StartResult =
	{ ok: true; recorder: HistoryRecorder } | Exclude<WriteResult, { ok: true }>;

export class HistoryRecorder {
	readonly sessionId: string;
	readonly #db: HistoryDb;
	readonly #now: () => number;
	#head: ChainHead;
	#queue: Promise<unknown> = Promise.resolve();
	#ended = false;
	#unlock: () => void;

	private constructor(db: HistoryDb, sessionId: string, now: () => number) {
		this.#db = db;
		this.sessionId = sessionId;
		this.#head = EMPTY_HEAD;
		this.#now = now;
		this.#unlock = () => {};
	}

	/** Creates the session (outcome 'open') together with its first event, a connect attempt. */
	static async start(
		db: HistoryDb,
		meta: SessionMeta,
		now: () => number = Date.now
	): Promise<StartResult> {
		const recorder = new HistoryRecorder(db, meta.sessionId, now);
		if (!(await recorder.#lock()))
			return { ok: false, code: 'chain-conflict', message: 'recorded in another tab' };
		const at = now();
		const { sessionId, ...rest } = meta;
		const session: SessionRow = {
			...rest,
			id: sessionId,
			startedAt: at,
			endedAt: null,
			outcome: 'open',
			capabilities: []
		};
		const first = { type: 'connect-attempt', data: { attempt: 1 } } as const;
		const result = await recorder.#write(first, { create: session }, at);
		if (!result.ok) {
			recorder.#unlock();
			return result;
		}
		return { ok: true, recorder };
	}

	get ended() {
		return this.#ended;
	}

	/** Resolves once every event recorded so far is written (or has failed). */
	async settled(): Promise<void> {
		await this.#queue;
	}

	connectAttempt(attempt: number) {
		return this.#record({ type: 'connect-attempt', data: { attempt } });
	}
	connectFailed(code: string, message: string) {
		return this.#record({ type: 'connect-failed', data: { code, message } });
	}
	requestRefused(code: string, status: number | null) {
		return this.#record({ type: 'request-refused', data: { code, status } });
	}
	/** The technician accepted the agent's rotated key (confirmed with the site) to connect. */
	agentKeyAccepted(accepted: AcceptedAgentKey) {
		const { from, to, rotatedAt } = accepted;
		return this.#record({
			type: 'agent-key-accepted',
			data: {
				from: { agentKeyId: from.agentKeyId, fingerprint: from.fingerprint },
				to: { agentKeyId: to.agentKeyId, fingerprint: to.fingerprint },
				rotatedAt
			}
		});
	}
	connected(info: { agentVersion: string; phi: boolean; capabilities: Capability[] }) {
		const { agentVersion, phi, capabilities } = info;
		return this.#record({ type: 'connected', data: { agentVersion, phi, capabilities } });
	}
	consentRequested(capability: Capability, scope: 'once' | 'session') {
		return this.#record({ type: 'consent-requested', data: { capability, scope } });
	}
	consentAnswered(answer: {
		capability: Capability;
		state: 'granted' | 'denied' | 'revoked';
		verified: boolean;
		scope?: 'once' | 'session' | undefined;
		reason?: string | undefined;
		signature?: Uint8Array | undefined;
		requestId?: number | undefined;
		at?: number | undefined;
	}) {
		const { capability, state, verified } = answer;
		const event: HistoryEvent = {
			type: 'consent-answered',
			data: {
				capability,
				state,
				verified,
				scope: answer.scope ?? null,
				reason: answer.reason ?? null,
				answeredAt: answer.at ?? null,
				requestId: answer.requestId ?? null,
				signature: answer.signature ? base64urlEncode(answer.signature) : null
			}
		};
		// Only a verified grant counts as a capability used (the worker unlocks nothing else).
		if (state !== 'granted' || !verified) return this.#record(event);
		return this.#record(event, {
			update: (s) =>
				s.capabilities.includes(capability)
					? s
					: { ...s, capabilities: [...s.capabilities, capability] }
		});
	}
	consentReleased(capability: Capability) {
		return this.#record({ type: 'consent-released', data: { capability } });
	}
	controlTaken() {
		return this.#record({ type: 'control-taken', data: {} });
	}
	controlReleased(by: 'technician' | 'customer') {
		return this.#record({ type: 'control-released', data: { by } });
	}
	chat(from: 'technician' | 'customer', messageId: number, text: string) {
		return this.#record({ type: 'chat', data: { from, messageId, text } });
	}
	file(transfer: Omit<TransferRow, 'sessionId'>) {
		const { transferId, direction, name, size, sha256, state } = transfer;
		return this.#record(
			{ type: 'file', data: { transferId, direction, name, size, sha256, state } },
			{ transfer: { ...transfer, sessionId: this.sessionId } }
		);
	}
	error(code: string, message: string) {
		return this.#record({ type: 'error', data: { code, message } });
	}
	/** Screen recording turned on or off, or stopped by a failure (`code`: quota, write-failed). */
	screenRecording(state: 'on' | 'off' | 'failed', code: string | null = null) {
		return this.#record({ type: 'screen-recording', data: { state, code } });
	}
	/** The relay socket dropped; `code` is why (a session failure code). */
	disconnected(code: string) {
		return this.#record({ type: 'disconnected', data: { code } });
	}
	/** The session was resumed after a drop, at this attempt (1-based). */
	reconnected(attempt: number) {
		return this.#record({ type: 'reconnected', data: { attempt } });
	}
	/** The end-of-session summary, as one event (before `end`). */
	summary(data: {
		durationMs: number;
		capabilities: string[];
		filesUp: number;
		filesDown: number;
		bytesUp: number;
		bytesDown: number;
	}) {
		const { durationMs, capabilities, filesUp, filesDown, bytesUp, bytesDown } = data;
		return this.#record({
			type: 'summary',
			data: { durationMs, capabilities: [...capabilities], filesUp, filesDown, bytesUp, bytesDown }
		});
	}

	/** The last event: closes the session row in the same transaction and releases the lock. */
	async end(outcome: Exclude<SessionOutcome, 'open'>, code: string | null = null) {
		const at = this.#now();
		const result = await this.#record(
			{ type: 'end', data: { outcome, code } },
			{ update: (s) => ({ ...s, outcome, endedAt: at }) },
			at
		);
		if (result.ok) {
			this.#ended = true;
			this.#unlock();
		}
		return result;
	}

	/** Events are written one after another, each chained on the head the previous one left. */
	#record(event: HistoryEvent, options?: AppendOptions, at = this.#now()): Promise<WriteResult> {
		const next = this.#queue.then(() =>
			this.#ended
				? ({ ok: false, code: 'session-closed', message: 'session ended' } as const)
				: this.#write(event, options, at)
		);
		this.#queue = next;
		return next;
	}

	async #write(event: HistoryEvent, options: AppendOptions = {}, at = this.#now()) {
		const result = await appendEvent(
			this.#db,
			this.sessionId,
			this.#head,
			{ ...event, at },
			options
		);
		// On failure the head stays: the next event takes the same seq and the chain has no hole.
		if (result.ok) this.#head = result.head;
		return result;
	}

	/** Takes the session's lock for as long as it is recorded; false if another tab has it. */
	async #lock(): Promise<boolean> {
		if (typeof navigator === 'undefined' || !navigator.locks) return true;
		const held = new Promise<void>((release) => (this.#unlock = release));
		return new Promise<boolean>((acquired) => {
			void navigator.locks.request(
				sessionLockName(this.sessionId),
				{ ifAvailable: true },
				(lock) => {
					acquired(lock !== null);
					return lock ? held : undefined;
				}
			);
		});
	}
}

/**
 * At startup: sessions still 'open' that no tab is recording (no one holds their lock) were cut
 * short by a crash or a closed tab. Each gets a final 'end' event, so its chain stays whole.
 */
export async function markInterrupted(
	db: HistoryDb,
	now: () => number = Date.now
): Promise<string[]> {
	const open = await db.getAllKeysFromIndex(
		'sessions',
		'by-outcome',
		IDBKeyRange.bound(['open', -Infinity], ['open', Infinity])
	);
	const live = new Set(
		typeof navigator !== 'undefined' && navigator.locks
			? (await navigator.locks.query()).held?.map((l) => l.name)
			: []
	);
	const marked: string[] = [];
	for (const id of open) {
		if (live.has(sessionLockName(id))) continue;
		const head = await readHead(db, id);
		const last = head.seq >= 0 ? await readEvent(db, id, head.seq) : undefined;
		const result = await appendEvent(
			db,
			id,
			head,
			{ type: 'end', data: { outcome: 'interrupted', code: null }, at: now() },
			// The session ended, as far as anyone can tell, with its last recorded event.
			{ update: (s) => ({ ...s, outcome: 'interrupted', endedAt: last?.at ?? s.startedAt }) }
		);
		if (result.ok) marked.push(id);
	}
	return marked;
}
