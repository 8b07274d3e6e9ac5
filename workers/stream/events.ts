/**
 * What the stream worker tells the page, on a dedicated MessagePort (low rate: never frames).
 * A discriminated union, handled with an exhaustive switch on the page side.
 */
import type { Capability } from '../../src/lib/protocol/messages';
import type { SessionFailure } from '../../src/lib/session/types';
import type { VideoStats } from './video';

export type ConsentState = 'pending' | 'granted' | 'denied' | 'revoked' | 'released';

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
	  }
	| { type: 'video'; screenId: number; codec: string; width: number; height: number }
	| { type: 'chat'; from: 'customer'; messageId: number; text: string; at: number }
	| { type: 'chat-ack'; messageId: number }
	| { type: 'clipboard'; text: string }
	| { type: 'stats'; video: VideoStats; rttMs: number; agentFps: number; agentKbps: number }
	| { type: 'closed'; failure: SessionFailure };
