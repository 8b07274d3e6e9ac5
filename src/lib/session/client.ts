import { dev } from '$app/environment';
import { LiveSession } from './live-session.svelte';
import type { OpenSessionRequest, OpenSessionResult } from './types';

let current: LiveSession | null = null;

/** The open live session, for the session page (null when none). */
export function currentSession(): LiveSession | null {
	return current;
}

/**
 * Connects to the instrument's agent through the stream worker and runs the handshake. On
 * success the session stays open for the session page (`currentSession()`).
 */
export async function openSession(req: OpenSessionRequest): Promise<OpenSessionResult> {
	if (typeof VideoDecoder === 'undefined' || typeof OffscreenCanvas === 'undefined') {
		return {
			ok: false,
			failure: { code: 'no-webcodecs', message: 'WebCodecs or OffscreenCanvas missing' }
		};
	}
	await current?.end().catch(() => {});
	const session = new LiveSession(req);
	// In dev the broker's relay is a mock in this page; the worker's socket reaches it by a bridge.
	const bridge = dev ? (await import('$mocks/browser')).relayBridgePort() : null;
	const result = await session.open(bridge ?? undefined);
	current = result.ok ? session : null;
	return result;
}
