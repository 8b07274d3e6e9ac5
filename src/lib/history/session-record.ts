/** One session as stored: its row, its events in seq order, its files. */
import type { EventRow, HistoryDb, SessionRow, TransferRow } from './db';
import { eventsOf } from './journal';
import { announceSessionsChanged } from './notice';

export interface SessionRecord {
	session: SessionRow;
	events: EventRow[];
	transfers: TransferRow[];
}

const range = (id: string) => IDBKeyRange.bound([id, -Infinity], [id, Infinity]);

/** Reads a session in one transaction (so its parts agree); null when there is no such session. */
export async function readSession(db: HistoryDb, id: string): Promise<SessionRecord | null> {
	const tx = db.transaction(['sessions', 'eventBlocks', 'transfers']);
	const [session, blocks, transfers] = await Promise.all([
		tx.objectStore('sessions').get(id),
		tx.objectStore('eventBlocks').getAll(range(id)),
		tx.objectStore('transfers').getAll(range(id))
	]);
	return session ? { session, events: eventsOf(blocks), transfers } : null;
}

export type TicketResult =
	| { ok: true; session: SessionRow }
	| { ok: false; code: 'invalid' | 'unknown-session' | 'storage' };

/** Ticket numbers reach reports and other systems: printable, short, one line. */
export function validTicket(ticket: string): boolean {
	// Control characters and bidirectional overrides, as Part 1 refuses them in text fields.
	// eslint-disable-next-line no-control-regex
	const forbidden = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
	return ticket.length <= 64 && !forbidden.test(ticket);
}

/**
 * Sets (or, with '', clears) the reviewer's ticket number on the session row. It is not an event:
 * the ticket is the reviewer's annotation, not part of what happened, so the chain is untouched.
 */
export async function setTicket(db: HistoryDb, id: string, ticket: string): Promise<TicketResult> {
	const value = ticket.trim();
	if (!validTicket(value)) return { ok: false, code: 'invalid' };
	try {
		const tx = db.transaction('sessions', 'readwrite');
		const session = await tx.store.get(id);
		if (!session) {
			tx.abort();
			await tx.done.catch(() => {});
			return { ok: false, code: 'unknown-session' };
		}
		const { ticket: _old, ...rest } = session;
		const next: SessionRow = value ? { ...rest, ticket: value } : rest;
		await Promise.all([tx.store.put(next), tx.done]);
		announceSessionsChanged([id]);
		return { ok: true, session: next };
	} catch {
		return { ok: false, code: 'storage' };
	}
}
