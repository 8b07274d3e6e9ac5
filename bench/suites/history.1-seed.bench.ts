/** Seeds part 1 of 4 of the history database (see history/shared.ts). */
import type { Report } from '../lib/types';
import { EVENTS_PER_SESSION, SEED_PARTS, SESSIONS, seedPart } from './history/shared';

export async function run(report: Report) {
	const ms = await seedPart(0);
	const events = (SESSIONS / SEED_PARTS) * EVENTS_PER_SESSION;
	report('history.seed.part-1.events-per-s', events / (ms / 1000), 'events/s');
}
