/**
 * "Storage is full" as a fact every tab can show: a history write refused for lack of space
 * (nothing of it was kept: each event is one transaction) is reported here and broadcast.
 */
const CHANNEL = 'benchside-history-quota';
let exceededAt: number | null = null;

export function reportQuotaExceeded(at = Date.now()): void {
	exceededAt = at;
	if (typeof BroadcastChannel === 'undefined') return;
	const channel = new BroadcastChannel(CHANNEL);
	channel.postMessage({ type: 'quota-exceeded', at });
	channel.close();
}

/** The last refusal seen by this tab, or null. */
export function quotaExceededAt(): number | null {
	return exceededAt;
}

/** Calls `listener` when any tab (this one included) reports a refusal. */
export function onQuotaExceeded(listener: (at: number) => void): () => void {
	if (typeof BroadcastChannel === 'undefined') return () => {};
	const channel = new BroadcastChannel(CHANNEL);
	channel.onmessage = (e: MessageEvent<unknown>) => {
		const d = e.data as { type?: unknown; at?: unknown } | null;
		if (d?.type === 'quota-exceeded' && typeof d.at === 'number') {
			exceededAt = d.at;
			listener(d.at);
		}
	};
	return () => channel.close();
}
