/** Tampering with stored history as someone with access to this browser's IndexedDB could. */
import type { BlockEvent, HistoryDb } from '$lib/history/db';
import { sessionRange } from '$lib/history/journal';

/**
 * Rewrites one stored event inside the block that holds it (null removes it from the block) and
 * returns that block's key, so a test can say which record was touched.
 */
export async function editStoredEvent(
	db: HistoryDb,
	sessionId: string,
	seq: number,
	edit: (event: BlockEvent) => BlockEvent | null
): Promise<[string, number]> {
	const blocks = await db.getAll('eventBlocks', sessionRange(sessionId));
	const block = blocks.find((b) => b.events.some((e) => e.seq === seq));
	if (!block) throw new Error(`no stored event ${seq} in ${sessionId}`);
	const events = block.events.flatMap((e) => (e.seq === seq ? (edit(e) ?? []) : [e]));
	await db.put('eventBlocks', { ...block, events });
	return [block.sessionId, block.firstSeq];
}
