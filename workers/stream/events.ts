/**
 * What the stream worker tells the page, on a dedicated MessagePort (low rate: never frames).
 * A discriminated union, handled with an exhaustive switch on the page side.
 */
import type { Capability } from '../../src/lib/protocol/messages';
import type { SessionFailure, SessionFailureCode } from '../../src/lib/session/types';
import type { VideoStats } from './video';

export type ConsentState = 'pending' | 'granted' | 'denied' | 'revoked' | 'released';

/** A transfer's life (docs/protocol.md, "Files"); the last five are final. */
export type TransferState =
	| 'hashing'
	| 'requested'
	| 'offered'
	| 'sending'
	| 'receiving'
	| 'verifying'
	| 'done'
	| 'failed'
	| 'cancelled'
	| 'revoked';

/** Why a transfer failed: the protocol's abort reasons plus what goes wrong on this side. */
export type TransferFailure =
	| 'cancelled'
	| 'denied'
	| 'revoked'
	| 'phi'
	| 'integrity'
	| 'io-error'
	| 'too-large'
	| 'bad-offset'
	| 'closed'
	| 'reconnect'
	| 'read-error'
	| 'bad-name';

export interface TransferView {
	id: number;
	direction: 'upload' | 'download';
	/** Already passed through `safeFileName`: no path, no control or bidi characters. */
	name: string;
	size: number;
	mime: string;
	/** Bytes acknowledged by the agent (upload) or received (download). */
	bytes: number;
	state: TransferState;
	/** Hex SHA-256 of the whole file, once known. */
	sha256?: string;
	/** A download that continues where a dropped connection cut it: the bytes kept from then. */
	resumedFrom?: number;
	reason?: TransferFailure;
	message?: string;
}

/** Why the worker would not start a transfer (checked there, not only in the UI). */
export type TransferRefusal = 'phi' | 'no-consent' | 'closed' | 'bad-name' | 'too-large';
export type StartResult = { ok: true; id: number } | { ok: false; code: TransferRefusal };

export interface RemoteFile {
	name: string;
	size: number;
	mime: string;
}

/** Recording of the screen into session history: off, on, or stopped by a failure. */
export type ScreenRecordingState = 'off' | 'on' | 'failed';

export type SessionEvent =
	| {
			type: 'consent';
			capability: Capability;
			state: ConsentState;
			scope?: 'once' | 'session';
			reason?: string;
			at: number;
			/** The agent's signature over the answer checked out under the pinned key. */
			verified: boolean;
			/** The agent's signature itself, for answers from the agent. */
			signature?: Uint8Array;
			requestId?: number;
	  }
	| { type: 'video'; screenId: number; codec: string; width: number; height: number }
	| { type: 'chat'; from: 'customer'; messageId: number; text: string; at: number }
	| { type: 'chat-ack'; messageId: number }
	| { type: 'clipboard'; text: string; at: number }
	| {
			type: 'stats';
			video: VideoStats;
			/** Null until the first pong. */
			rttMs: number | null;
	  }
	| { type: 'transfer'; transfer: TransferView }
	| { type: 'file-list'; files: RemoteFile[] }
	/** A verified download; `data` is transferred, not copied. */
	| { type: 'file-received'; id: number; name: string; mime: string; data: ArrayBuffer }
	/** The socket dropped and the session is being resumed (docs/protocol.md, "Resumption"). */
	| { type: 'connection'; state: 'lost'; code: SessionFailureCode; at: number }
	| { type: 'connection'; state: 'reconnecting' | 'resumed'; attempt: number; at: number }
	| { type: 'closed'; failure: SessionFailure }
	| { type: 'screen-recording'; state: ScreenRecordingState; code?: 'quota' | 'write-failed' };
