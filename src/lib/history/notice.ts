/**
 * Two tabs stay consistent: whoever changes sessions (a recorder, retention, a ticket) says so
 * on a BroadcastChannel, and every history list reloads: the posting channel object never hears
 * itself, but each listener has its own object, so lists in the posting tab hear it too.
 */
export const HISTORY_CHANNEL = 'benchside-history';

export type HistoryNotice = { type: 'sessions-changed'; sessionIds: string[] | null };

let channel: BroadcastChannel | null = null;

function shared(): BroadcastChannel | null {
	if (typeof BroadcastChannel === 'undefined') return null;
	return (channel ??= new BroadcastChannel(HISTORY_CHANNEL));
}

/** `null` ids: too many to name (retention, an import): reload everything. */
export function announceSessionsChanged(sessionIds: string[] | null): void {
	shared()?.postMessage({ type: 'sessions-changed', sessionIds } satisfies HistoryNotice);
}

function isNotice(data: unknown): data is HistoryNotice {
	if (typeof data !== 'object' || data === null) return false;
	const d = data as Record<string, unknown>;
	return (
		d.type === 'sessions-changed' &&
		(d.sessionIds === null ||
			(Array.isArray(d.sessionIds) && d.sessionIds.every((x) => typeof x === 'string')))
	);
}

/** Calls `listener` for every notice another tab (or worker) posts; returns the unsubscribe. */
export function onSessionsChanged(listener: (notice: HistoryNotice) => void): () => void {
	if (typeof BroadcastChannel === 'undefined') return () => {};
	// Its own channel object: a BroadcastChannel does not hear what it posts itself.
	const mine = new BroadcastChannel(HISTORY_CHANNEL);
	mine.onmessage = (e: MessageEvent<unknown>) => {
		if (isNotice(e.data)) listener(e.data);
	};
	return () => mine.close();
}
