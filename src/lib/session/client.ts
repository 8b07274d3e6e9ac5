import { dev } from '$app/environment';
import { openHistoryDb } from '$lib/history/db';
import type { WriteFailure } from '$lib/history/journal';
import { reportQuotaExceeded } from '$lib/history/quota';
import {
	recordLiveSession,
	recordRefusedConnection,
	type LiveRecording
} from '$lib/history/record-live-session.svelte';
import { LiveSession } from './live-session.svelte';
import type { OpenSessionRequest, OpenSessionResult, RefusedConnection } from './types';

let current: { session: LiveSession; recording: LiveRecording | null } | null = null;

/** The open live session, for the session page (null when none). */
export function currentSession(): LiveSession | null {
	return current?.session ?? null;
}

/**
 * Connects to the instrument's agent through the stream worker and runs the handshake. Every
 * step is written to session history as it happens (connect attempt included). On success the
 * session stays open for the session page (`currentSession()`).
 */
export async function openSession(req: OpenSessionRequest): Promise<OpenSessionResult> {
	if (typeof VideoDecoder === 'undefined' || typeof OffscreenCanvas === 'undefined') {
		return {
			ok: false,
			failure: { code: 'no-webcodecs', message: 'WebCodecs or OffscreenCanvas missing' }
		};
	}
	await endSession();
	const session = new LiveSession(req);
	const recording = await startRecording(session, req);
	// In dev the broker's relay is a mock in this page; the worker's socket reaches it by a bridge.
	const bridge = dev ? (await import('$mocks/browser')).relayBridgePort() : null;
	const result = await session.open(bridge ?? undefined);
	await recording?.opened(result);
	current = result.ok ? { session, recording } : null;
	if (!result.ok) recording?.stop();
	// The screen is recorded into history by default, except on PHI instruments, whose screens
	// show patient data: there the technician turns it on only if the customer agrees.
	else if (recording && (req.recordScreen ?? !result.info.phi))
		await session.setScreenRecording(true);
	return result;
}

/** Ends the open session (goodbye to the agent) and closes its history record. */
export async function endSession(): Promise<void> {
	const open = current;
	current = null;
	if (!open) return;
	await open.session.end().catch(() => {});
	await open.recording?.end();
}

/** Keeps a connection refused before the handshake in session history (see `RefusedConnection`). */
export async function recordRefusal(refused: RefusedConnection): Promise<void> {
	try {
		const written = await recordRefusedConnection(await openHistoryDb(), refused);
		if (!written.ok) historyWriteFailed(written);
	} catch (error) {
		console.warn('[benchside] session history unavailable', error);
	}
}

/** History is kept where the browser allows it; a console without IndexedDB still connects. */
async function startRecording(session: LiveSession, req: OpenSessionRequest) {
	try {
		const db = await openHistoryDb();
		const started = await recordLiveSession(session, {
			db,
			serial: req.record?.serial ?? '',
			site: req.record?.site ?? '',
			names: {
				instrumentName: req.record?.instrumentName,
				model: req.record?.model,
				technicianName: req.record?.technicianName
			},
			...(req.record?.keyAccepted ? { keyAccepted: req.record.keyAccepted } : {}),
			onError: historyWriteFailed
		});
		return started.ok ? started.recording : null;
	} catch (error) {
		console.warn('[benchside] session history unavailable', error);
		return null;
	}
}

/** A history write that failed: logged, and a full quota told to the page. */
function historyWriteFailed(failure: WriteFailure): void {
	console.warn('[benchside] history write failed', failure);
	if (failure.code === 'quota') reportQuotaExceeded();
}
