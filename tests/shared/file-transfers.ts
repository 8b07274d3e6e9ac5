/**
 * The console's file transfers (the stream worker's FileTransfers) against a scripted peer: file
 * transfer granted for the session, not a PHI instrument, every message it sends and every event
 * it emits kept for the test to read. Shared by node and browser tests.
 */
import type { AppMessage } from '../../src/lib/protocol/messages';
import type { SessionEvent } from '../../workers/stream/events';
import { FileTransfers } from '../../workers/stream/files';

export function scriptedFileTransfers() {
	const sent: AppMessage[] = [];
	const events: SessionEvent[] = [];
	const files = new FileTransfers({
		open: () => true,
		phi: () => false,
		grant: () => 'session',
		spendOnce: () => {},
		send: async (m) => (sent.push(m), true),
		emit: (e) => events.push(e)
	});
	return { files, sent, events };
}
