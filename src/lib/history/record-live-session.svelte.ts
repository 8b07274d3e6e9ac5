/**
 * Records a live session into history by watching its rune state. Effects, not polling: each
 * worker event arrives as its own MessagePort task and Svelte flushes effects between tasks, so
 * every consent transition and chat line is seen once, when it happens, at no idle cost.
 */
import { untrack } from 'svelte';
import { base64urlEncode } from '$lib/protocol/base64url';
import { CAPABILITIES, type Capability } from '$lib/protocol/messages';
import type { ConsentView, LinkState, LiveSession } from '$lib/session/live-session.svelte';
import type {
	AcceptedAgentKey,
	OpenSessionResult,
	RefusedConnection,
	SessionFailure,
	SessionInfo,
	SessionSummary
} from '$lib/session/types';
import type { HistoryDb, SessionOutcome } from './db';
import type { WriteFailure, WriteResult } from './journal';
import { HistoryRecorder } from './recorder';

/** What is read of a `LiveSession` (structural, so a test can stand in for one). */
export interface RecordableSession {
	readonly request: {
		sessionIdText: string;
		instrumentId: string;
		technicianId: string;
		pinnedAgentKey?: Uint8Array;
	};
	readonly info: SessionInfo | null;
	readonly consent: Partial<Record<Capability, RecordableConsent>>;
	readonly chat: readonly { from: 'technician' | 'customer'; messageId: number; text: string }[];
	readonly closed: SessionFailure | null;
	/** File transfers both ways; each is written once its fate is known. */
	readonly transfers?: { readonly rows: readonly RecordableTransfer[] };
	/** Screen recording state and why it failed, when it did. */
	readonly screenRecording?: { state: 'off' | 'on' | 'failed'; code?: string };
	/** Drops and resumptions of the relay link (recorded as `disconnected` / `reconnected`). */
	readonly link?: LinkState;
	/** The end-of-session summary, recorded once before the final event. */
	summary?(): SessionSummary;
}
// LiveSession must stay recordable: this stops compiling if the two drift apart.
const _liveSessionFits = (s: LiveSession): RecordableSession => s;

/** The entries that have a value: an empty name is no name. */
const withoutEmpty = <T extends Record<string, string | undefined>>(o: T): Partial<T> =>
	Object.fromEntries(Object.entries(o).filter(([, v]) => !!v)) as Partial<T>;

/** A transfer as the live session shows it (the fields history keeps). */
export interface RecordableTransfer {
	id: number;
	direction: 'upload' | 'download';
	name: string;
	size: number;
	state: string;
	sha256?: string;
}
const FINAL_TRANSFER_STATES = ['done', 'failed', 'cancelled', 'revoked'] as const;
type FinalTransferState = (typeof FINAL_TRANSFER_STATES)[number];
const isFinal = (state: string): state is FinalTransferState =>
	(FINAL_TRANSFER_STATES as readonly string[]).includes(state);

/** A consent answer as the live session shows it (one definition: `ConsentView`). */
export type RecordableConsent = ConsentView;

export interface RecordMeta {
	db: HistoryDb;
	serial: string;
	site: string;
	/** The instrument's name and model and the technician's name, as the broker gave them. */
	names?: { instrumentName?: string; model?: string; technicianName?: string };
	/** A rotated agent key the technician accepted for this connection: recorded first. */
	keyAccepted?: AcceptedAgentKey;
	ticket?: string;
	/** Writes that fail (quota above all) are reported, never thrown into an effect. */
	onError?: (failure: WriteFailure) => void;
	now?: () => number;
}

export interface LiveRecording {
	readonly recorder: HistoryRecorder;
	/** The result of `LiveSession.open()`: a failure is recorded and ends the session. */
	opened(result: OpenSessionResult): Promise<void>;
	/** After `LiveSession.end()`: the final event, then the effects stop. */
	end(outcome?: Exclude<SessionOutcome, 'open'>): Promise<void>;
	/** Resolves once everything seen so far is written. */
	settled(): Promise<void>;
	stop(): void;
}

/**
 * Records a connection refused before the handshake (`RefusedConnection`): a session with its
 * connect attempt, the failure and its end, outcome failed. Its events reach the broker's audit
 * trail as every session's do.
 */
export async function recordRefusedConnection(
	db: HistoryDb,
	refused: RefusedConnection,
	now?: () => number
): Promise<WriteResult> {
	const { serial, site, instrumentName, model, technicianName } = refused.record;
	const started = await HistoryRecorder.start(
		db,
		{
			sessionId: refused.sessionIdText,
			instrumentId: refused.instrumentId,
			technicianId: refused.technicianId,
			serial,
			site,
			...withoutEmpty({ instrumentName, model, technicianName })
		},
		now
	);
	if (!started.ok) return started;
	const { refusal } = refused;
	const failed =
		refusal.by === 'broker'
			? await started.recorder.requestRefused(refusal.code, refusal.status)
			: await started.recorder.connectFailed(refusal.code, refusal.message);
	const ended = await started.recorder.end('failed', refusal.code);
	return failed.ok ? ended : failed;
}

export async function recordLiveSession(
	session: RecordableSession,
	meta: RecordMeta
): Promise<{ ok: true; recording: LiveRecording } | WriteFailure> {
	const { request } = session;
	const started = await HistoryRecorder.start(
		meta.db,
		{
			sessionId: request.sessionIdText,
			instrumentId: request.instrumentId,
			technicianId: request.technicianId,
			serial: meta.serial,
			site: meta.site,
			...withoutEmpty(meta.names ?? {}),
			...(meta.ticket ? { ticket: meta.ticket } : {}),
			...(request.pinnedAgentKey ? { agentKey: base64urlEncode(request.pinnedAgentKey) } : {})
		},
		meta.now
	);
	if (!started.ok) return started;
	const recorder = started.recorder;
	const report = (result: WriteResult) => {
		if (!result.ok && result.code !== 'session-closed') (meta.onError ?? console.error)(result);
	};
	let last = Promise.resolve();
	const track = (write: Promise<WriteResult>) => {
		last = write.then(report);
	};
	// The approval this connection rests on comes right after its attempt.
	if (meta.keyAccepted) track(recorder.agentKeyAccepted(meta.keyAccepted));

	// Bookkeeping of what was written, read only inside untrack(): deliberately not reactive.
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	const seenConsent = new Map<Capability, RecordableConsent>();
	const onConsent = (consent: RecordableSession['consent']) => {
		for (const capability of CAPABILITIES) {
			const view = consent[capability];
			const before = seenConsent.get(capability);
			if (!view || before === view) continue;
			seenConsent.set(capability, view);
			if (view.state === 'pending')
				track(recorder.consentRequested(capability, view.scope ?? 'session'));
			else if (view.state === 'released') track(recorder.consentReleased(capability));
			else
				track(
					recorder.consentAnswered({
						capability,
						state: view.state,
						verified: view.verified,
						scope: view.scope,
						reason: view.reason,
						signature: view.signature,
						requestId: view.requestId,
						at: view.at
					})
				);
			if (capability !== 'control') continue;
			if (view.state === 'granted' && view.verified) track(recorder.controlTaken());
			else if (before?.state === 'granted' && view.state !== 'pending')
				track(recorder.controlReleased(view.state === 'released' ? 'technician' : 'customer'));
		}
	};
	// eslint-disable-next-line svelte/prefer-svelte-reactivity
	const seenChat = new Set<string>();
	const onChat = (chat: RecordableSession['chat']) => {
		for (const line of chat) {
			const key = `${line.from}:${line.messageId}`;
			if (seenChat.has(key)) continue;
			seenChat.add(key);
			track(recorder.chat(line.from, line.messageId, line.text));
		}
	};

	// Assigned below; an effect may only call it once the root exists.
	let stop = () => {};
	let finishing = false;
	const finish = async (outcome: Exclude<SessionOutcome, 'open'>, code: string | null) => {
		if (finishing) return last;
		finishing = true;
		stop();
		// The summary goes in once, whoever ended the session, right before the final event.
		if (session.summary && session.info) track(recorder.summary(session.summary()));
		track(recorder.end(outcome, code));
		await last;
	};

	stop = $effect.root(() => {
		$effect(() => {
			const consent = session.consent;
			untrack(() => onConsent(consent));
		});
		$effect(() => {
			const chat = session.chat;
			untrack(() => onChat(chat));
		});
		let lastLink: LinkState = { state: 'open' };
		$effect(() => {
			const link = session.link;
			if (!link || link === lastLink) return;
			untrack(() => {
				const before = lastLink;
				lastLink = link;
				if (link.state === 'reconnecting' && before.state !== 'reconnecting')
					track(recorder.disconnected(link.code));
				else if (link.state === 'resumed') track(recorder.reconnected(link.attempt));
			});
		});
		// eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, read untracked
		const seenTransfers = new Set<number>();
		$effect(() => {
			const rows = session.transfers?.rows ?? [];
			untrack(() => {
				for (const t of rows) {
					if (!isFinal(t.state) || seenTransfers.has(t.id)) continue;
					seenTransfers.add(t.id);
					track(
						recorder.file({
							transferId: t.id,
							direction: t.direction,
							name: t.name,
							size: t.size,
							sha256: t.sha256 ?? '',
							state: t.state
						})
					);
				}
			});
		});
		$effect(() => {
			const screen = session.screenRecording;
			if (screen) untrack(() => track(recorder.screenRecording(screen.state, screen.code ?? null)));
		});
		$effect(() => {
			const info = session.info;
			if (info) untrack(() => track(recorder.connected(info)));
		});
		$effect(() => {
			const closed = session.closed;
			// 'goodbye' is the agent ending the session in order (the customer closed it).
			if (closed)
				untrack(() => void finish(closed.code === 'goodbye' ? 'completed' : 'failed', closed.code));
		});
	});

	const recording: LiveRecording = {
		recorder,
		async opened(result) {
			if (result.ok) return;
			track(recorder.connectFailed(result.failure.code, result.failure.message));
			await finish('failed', result.failure.code);
		},
		end: (outcome = 'completed') => finish(outcome, null),
		settled: async () => {
			await recorder.settled();
			await last;
		},
		stop
	};
	return { ok: true, recording };
}
