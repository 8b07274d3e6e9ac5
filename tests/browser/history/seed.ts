/** A recorded session with real consent signatures, for the history page tests. */
import { EMPTY_HEAD, appendEvent, readHead, type ChainHead } from '$lib/history/journal';
import type { HistoryDb } from '$lib/history/db';
import { HistoryRecorder } from '$lib/history/recorder';
import { base64urlEncode } from '$lib/protocol/base64url';
import { signConsent } from '$lib/protocol/consent';
import { generateIdentity } from '$lib/protocol/identity';

export const START = Date.UTC(2026, 2, 14, 9, 26, 53);

/**
 * A session whose tab crashed after its first event: written without a recorder, so no one holds
 * its lock, and still `open`. Returns the head of its chain.
 */
export async function seedCrashedSession(
	db: HistoryDb,
	id: string,
	startedAt: number
): Promise<ChainHead> {
	const first = await appendEvent(
		db,
		id,
		EMPTY_HEAD,
		{ type: 'connect-attempt', data: { attempt: 1 }, at: startedAt },
		{
			create: {
				id,
				instrumentId: 'ins-9',
				serial: 'X',
				site: 'Lyon',
				technicianId: 't',
				startedAt,
				endedAt: null,
				outcome: 'open',
				capabilities: []
			}
		}
	);
	if (!first.ok) throw new Error(first.code);
	return first.head;
}

export interface Seeded {
	sessionId: string;
	sessionBytes: Uint8Array;
	recorder: HistoryRecorder;
}

/**
 * connect-attempt, connected, consent asked and granted (signed by the agent), control, chat,
 * a file each way, then (unless `open`) a summary, a lost and regained connection and the end.
 * With `names`, the session keeps the instrument's and the technician's names, as the console
 * records them now; without, it is a session recorded before.
 */
/** The names a seeded session keeps with `names`. */
export const SEEDED_NAMES = {
	instrumentName: 'Chemistry analyser CX-5042',
	model: 'CX-500',
	technicianName: 'Camille Martin'
};

export async function seedSession(
	db: HistoryDb,
	options: { badSignature?: boolean; open?: boolean; technicianId?: string; names?: boolean } = {}
): Promise<Seeded> {
	const agent = await generateIdentity();
	const sessionBytes = crypto.getRandomValues(new Uint8Array(16));
	const sessionId = base64urlEncode(sessionBytes);
	let t = START;
	const now = () => (t += 1500);
	const started = await HistoryRecorder.start(
		db,
		{
			sessionId,
			instrumentId: 'ins-3317',
			serial: 'CX5-17-0042',
			site: 'Zentrallabor Basel',
			technicianId: options.technicianId ?? 'tech-camille',
			agentKey: base64urlEncode(agent.publicKey),
			...(options.names ? SEEDED_NAMES : {})
		},
		now
	);
	if (!started.ok) throw new Error(started.code);
	const r = started.recorder;
	await r.connected({
		agentVersion: '2.4.1',
		phi: false,
		capabilities: ['view', 'control', 'file-transfer']
	});
	await r.consentRequested('control', 'session');
	const grant = await signConsent(agent, sessionBytes, {
		type: 'consent-grant',
		requestId: 7,
		capability: 'control',
		scope: 'session',
		at: START + 4000
	});
	await r.consentAnswered({
		capability: 'control',
		state: 'granted',
		verified: true,
		scope: 'session',
		requestId: 7,
		at: options.badSignature ? START + 4001 : START + 4000,
		signature: grant.signature
	});
	await r.controlTaken();
	await r.chat('customer', 1, 'The pump makes a clicking noise.');
	await r.chat('technician', 1, 'Restarting the pump now.');
	await r.controlReleased('technician');
	await r.file({
		transferId: 1,
		direction: 'download',
		name: 'pump.log',
		size: 20480,
		sha256: 'ab'.repeat(32),
		state: 'done'
	});
	await r.file({
		transferId: 2,
		direction: 'upload',
		name: 'firmware-fix.cfg',
		size: 812,
		sha256: 'cd'.repeat(32),
		state: 'done'
	});
	if (options.open) return { sessionId, sessionBytes, recorder: r };
	// Events of the parallel end-of-session work, written as that recorder will write them.
	for (const event of [
		{ type: 'disconnected', data: {} },
		{ type: 'reconnected', data: {} },
		{
			type: 'summary',
			data: {
				// As the session's own facts say: about 18 seconds, remote control only.
				durationMs: 18_000,
				capabilities: ['control'],
				filesUp: 1,
				filesDown: 1,
				bytesUp: 812,
				bytesDown: 20480
			}
		}
	]) {
		const appended = await appendEvent(db, sessionId, await readHead(db, sessionId), {
			...event,
			at: now()
		} as never);
		if (!appended.ok) throw new Error(appended.code);
	}
	// The recorder's head moved under it: end through the journal too.
	const head = await readHead(db, sessionId);
	const end = await appendEvent(
		db,
		sessionId,
		head,
		{ type: 'end', data: { outcome: 'completed', code: null }, at: now() },
		{ update: (s) => ({ ...s, outcome: 'completed', endedAt: t }) }
	);
	if (!end.ok) throw new Error(end.code);
	return { sessionId, sessionBytes, recorder: r };
}
