/**
 * POST /api/v1/audit: batches all or nothing, each event idempotent by its id (the first copy
 * stays), replies of a batch kept 24 hours under its Idempotency-Key. Stored in arrival order.
 */
import type { AuditEvent, AuditResult, Technician } from '../../src/lib/protocol/broker-api';
import { fail, iso, ok, type BrokerReply, type Clock } from './replies';
import { isUuid, parseAuditBatch } from './requests';

const KEEP_REPLIES = 24 * 3600_000;

export interface StoredAuditEvent {
	technicianId: string;
	receivedAt: string;
	event: AuditEvent;
}

export class AuditStore {
	readonly #log: StoredAuditEvent[] = [];
	readonly #ids = new Set<string>();
	readonly #replies = new Map<string, { at: number; reply: BrokerReply<AuditResult> }>();

	constructor(
		readonly now: Clock,
		/** Who owns a session, or undefined for one this broker does not know. */
		readonly sessionOwner: (sessionId: string) => string | undefined
	) {}

	submit(
		technician: Technician,
		body: unknown,
		idempotencyKey: string | null | undefined
	): BrokerReply<AuditResult> {
		// Part 1 has the console send one with every batch; the reference broker insists, to
		// catch a console that forgets it.
		if (!isUuid(idempotencyKey)) return fail('bad-request', 'Idempotency-Key must be a UUID');
		const replyKey = `${technician.id}\n${idempotencyKey}`;
		const kept = this.#replies.get(replyKey);
		if (kept && this.now() - kept.at < KEEP_REPLIES) return kept.reply;

		const batch = parseAuditBatch(body);
		if (batch === 'too-many') return fail('payload-too-large', 'more than 500 events');
		if (!batch) return fail('bad-request', 'malformed audit batch');
		const foreign = batch.events.some((e) => {
			const owner = e.sessionId === undefined ? undefined : this.sessionOwner(e.sessionId);
			return owner !== undefined && owner !== technician.id;
		});
		if (foreign) return fail('forbidden', 'an event names another technician’s session');

		const accepted: string[] = [];
		const duplicates: string[] = [];
		const receivedAt = iso(this.now());
		const seen = new Set<string>();
		for (const event of batch.events) {
			// An id repeated inside one batch is listed once: each id in exactly one list.
			if (seen.has(event.id)) continue;
			seen.add(event.id);
			if (this.#ids.has(event.id)) {
				duplicates.push(event.id);
				continue;
			}
			this.#ids.add(event.id);
			this.#log.push({ technicianId: technician.id, receivedAt, event });
			accepted.push(event.id);
		}
		const reply = ok({ accepted, duplicates });
		this.#replies.set(replyKey, { at: this.now(), reply });
		return reply;
	}

	log(): readonly StoredAuditEvent[] {
		return this.#log;
	}
}
