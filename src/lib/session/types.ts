/**
 * The contract between the pages and the live session (the stream worker that owns the agent
 * connection). Pages call `openSession()` from ./client and read `LiveSession` state; no page
 * touches the protocol itself.
 */
import type { ProtocolErrorCode } from '$lib/protocol/errors';
import type { Capability } from '$lib/protocol/messages';

export interface OpenSessionRequest {
	/** From POST /api/v1/sessions. */
	relayUrl: string;
	sessionIdText: string;
	accessToken: string;
	instrumentId: string;
	technicianId: string;
	/** The one-time password the customer read out (as typed). */
	password: string;
	/** The trusted device's key pair (private key non-extractable). */
	device: { publicKey: Uint8Array; privateKey: CryptoKey };
	/** The agent's public key from the broker's instrument record: pinned, never from the agent. */
	pinnedAgentKey: Uint8Array;
	/**
	 * What session history keeps about the instrument and the technician, as the broker lists
	 * them: serial and site, and the names a reviewer reads.
	 */
	record?: {
		serial: string;
		site: string;
		instrumentName?: string;
		model?: string;
		technicianName?: string;
		/** The rotated agent key the technician confirmed with the site for this connection. */
		keyAccepted?: AcceptedAgentKey;
	};
	/** Record the screen into history; by default on, except on PHI instruments. */
	recordScreen?: boolean;
}

/** An agent key by its id and fingerprint (a digest of the public key), as people compare it. */
export type AgentKeyRef = {
	agentKeyId: string;
	fingerprint: string;
};

/**
 * An announced rotation of the agent's key that the technician confirmed (with the site). Type
 * aliases, not interfaces: history keeps it as event data, which must be plain JSON.
 */
export type AcceptedAgentKey = {
	from: AgentKeyRef;
	to: AgentKeyRef;
	/** The broker's `agentKeyRotatedAt`. */
	rotatedAt: string;
};

/**
 * A connection request that ended before a byte went to the agent: refused by the console (a
 * substituted agent key, though the broker had created the session) or by the broker (the
 * instrument is offline, busy or not on the whitelist; the broker unreachable). Kept in session
 * history as a failed session, and so sent to the broker's audit trail: every connection request
 * is logged.
 */
export interface RefusedConnection {
	/** The broker's session id, or a local one (`local-<uuid>`) when the broker created none. */
	sessionIdText: string;
	instrumentId: string;
	technicianId: string;
	record: NonNullable<OpenSessionRequest['record']>;
	refusal:
		| {
				by: 'console';
				code: 'agent-key-substituted';
				/** Both keys' ids and fingerprints (public keys' digests, no secret). */
				message: string;
		  }
		/** The broker's failure code (or the console's: unreachable, timeout, bad-reply). */
		| { by: 'broker'; code: string; status: number | null };
}

/** Why a connection attempt or a session ended: every code has a translated message. */
export type SessionFailureCode =
	| ProtocolErrorCode
	| 'unreachable'
	| 'socket-closed'
	| 'relay-unauthorized'
	| 'relay-forbidden'
	| 'relay-session-unknown'
	| 'relay-session-taken'
	| 'relay-peer-gone'
	| 'relay-rate-limited'
	| 'no-webcodecs'
	| 'goodbye';

export interface SessionFailure {
	code: SessionFailureCode;
	message: string;
	/** e.g. retryAfterMs for retry-later and key-confirmation. */
	retryAfterMs?: number;
}

export interface SessionInfo {
	instrumentId: string;
	agentVersion: string;
	phi: boolean;
	capabilities: Capability[];
	screens: { id: number; name: string; width: number; height: number; primary: boolean }[];
	codecs: string[];
}

export type OpenSessionResult =
	{ ok: true; info: SessionInfo; version: number } | { ok: false; failure: SessionFailure };

/** The end-of-session summary: shown to the technician and recorded once into history. */
export interface SessionSummary {
	durationMs: number;
	capabilities: Capability[];
	filesUp: number;
	filesDown: number;
	bytesUp: number;
	bytesDown: number;
}
