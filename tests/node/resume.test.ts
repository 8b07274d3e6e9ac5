/**
 * Resumption after a dropped socket (docs/protocol.md, "Resumption") against the reference agent:
 * what a console, an impostor and the relay see on the wire. The console side is the app's own
 * ConsoleConnection with ConsoleResume.
 */
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/lib/protocol/codec';
import { FrameDecoder } from '../../src/lib/protocol/framing';
import { generateIdentity } from '../../src/lib/protocol/identity';
import { alertBody } from '../../src/lib/protocol/messages';
import { makeAgent, openSession } from '../shared/agent-harness';
import { testClock } from '../shared/world-flow';

/** A session with view and control granted and a ticket, then the socket dropped. */
async function dropped(options: { clock?: ReturnType<typeof testClock> } = {}) {
	const { agent, screen, device } = await makeAgent(
		options.clock ? { now: options.clock.now } : {}
	);
	const first = await openSession(agent, device);
	await first.next('session-info');
	const ticket = await first.ticket();
	await first.consent('view');
	await first.consent('control');
	first.agentSide()!.drop();
	expect(await first.closed).toMatchObject({ code: 'socket-closed' });
	return { agent, screen, device, first, ticket, sessionId: first.sessionId };
}

/** The alerts an agent sends back, read from the bytes on the wire. */
function alertTap() {
	const decoder = new FrameDecoder();
	const alerts: string[] = [];
	return {
		alerts,
		tap: (dir: 'c2a' | 'a2c', bytes: Uint8Array) => {
			if (dir !== 'a2c') return;
			for (const f of decoder.push(bytes))
				if (f.kind === 'alert') alerts.push(decode(alertBody, f.payload).code);
		}
	};
}

describe('resuming a dropped session', () => {
	it('resumes with the ticket: new keys, no password, view kept, control to ask again', async () => {
		const { agent, screen, device, ticket, sessionId } = await dropped();
		const s = await openSession(agent, device, { sessionId, announce: false, resume: ticket });
		const info = await s.next('session-info');
		expect(info.instrumentId).toBe(agent.instrumentId);
		expect(s.agentSide()!.resumed).toBe(true);
		// View survives: the stream can start again at once and begins with a key frame.
		expect([...s.agentSide()!.grants.keys()]).toEqual(['view']);
		await s.startStream();
		screen.emit(0, 2);
		expect(await s.next('video-chunk')).toMatchObject({ key: true });
		// Control does not: input is dropped until the customer grants it again.
		await s.send({ type: 'pointer', screenId: 0, x: 1, y: 1, buttons: 0, action: 'move' });
		await expect.poll(() => agent.logEntries.at(-1)?.type).toBe('refused');
		expect(screen.inputs).toHaveLength(0);
		// A resumed session gets its own fresh ticket, for the next drop.
		const next = await s.ticket();
		expect(next.ticketId).not.toEqual(ticket.ticketId);
		expect(next.secret).not.toEqual(ticket.secret);
		await s.conn.end();
	});

	it('refuses a ticket used once already', async () => {
		const { agent, device, ticket, sessionId } = await dropped();
		const again = await openSession(agent, device, { sessionId, announce: false, resume: ticket });
		await again.next('session-info');
		again.agentSide()!.drop();
		await again.closed;
		const { alerts, tap } = alertTap();
		const replayed = await openSession(agent, device, {
			sessionId,
			announce: false,
			resume: ticket,
			tap
		});
		expect(await replayed.closed).toMatchObject({ code: 'resume-refused' });
		expect(alerts).toEqual(['resume-refused']);
	});

	it('refuses an expired ticket', async () => {
		const clock = testClock();
		const { agent, device, ticket, sessionId } = await dropped({ clock });
		clock.advance(agent.resumeLifetimeMs + 1);
		const s = await openSession(agent, device, { sessionId, announce: false, resume: ticket });
		expect(await s.closed).toMatchObject({ code: 'resume-refused' });
		expect(agent.logEntries.some((e) => e.type === 'resumed')).toBe(false);
	});

	it('refuses a ticket id with the wrong secret, and the ticket is spent by the attempt', async () => {
		const { agent, device, ticket, sessionId } = await dropped();
		const forged = { ...ticket, secret: crypto.getRandomValues(new Uint8Array(32)) };
		const s = await openSession(agent, device, { sessionId, announce: false, resume: forged });
		// The agent's confirmation does not check out under the wrong secret: the console stops.
		expect(await s.closed).toMatchObject({ code: 'key-confirmation' });
		const late = await openSession(agent, device, { sessionId, announce: false, resume: ticket });
		expect(await late.closed).toMatchObject({ code: 'resume-refused' });
	});

	it('refuses an unknown ticket id, and one presented for another session', async () => {
		const { agent, device, ticket, sessionId } = await dropped();
		const unknown = { ...ticket, ticketId: crypto.getRandomValues(new Uint8Array(16)) };
		const a = await openSession(agent, device, { sessionId, announce: false, resume: unknown });
		expect(await a.closed).toMatchObject({ code: 'resume-refused' });
		const other = await openSession(agent, device, { resume: ticket });
		expect(await other.closed).toMatchObject({ code: 'resume-refused' });
	});

	it('refuses another device holding the stolen secret (the ticket is bound to the device key)', async () => {
		const { agent, device, ticket, sessionId } = await dropped();
		const thief = await generateIdentity();
		const { alerts, tap } = alertTap();
		const s = await openSession(agent, device, {
			sessionId,
			announce: false,
			resume: ticket,
			resumeDevice: thief,
			tap
		});
		await expect.poll(() => alerts).toEqual(['resume-refused']);
		await s.closed;
		expect(agent.logEntries.some((e) => e.type === 'resumed')).toBe(false);
	});

	it('cannot resume a session that ended in order (goodbye)', async () => {
		const { agent, device } = await makeAgent();
		const first = await openSession(agent, device);
		const ticket = await first.ticket();
		await first.conn.end('ended-by-technician');
		await expect.poll(() => agent.connection).toBeNull();
		const s = await openSession(agent, device, {
			sessionId: first.sessionId,
			announce: false,
			resume: ticket
		});
		expect(await s.closed).toMatchObject({ code: 'resume-refused' });
	});

	it('an agent that forbids resumption sends no ticket', async () => {
		const { agent, device } = await makeAgent();
		agent.allowResume = false;
		const s = await openSession(agent, device);
		await s.next('session-info');
		await s.consent('view');
		expect(s.received.some((m) => m.type === 'resume-ticket')).toBe(false);
		await s.conn.end();
	});

	it('after a forged record ends the channel, the console resumes', async () => {
		const { agent, device } = await makeAgent();
		const s = await openSession(agent, device);
		const ticket = await s.ticket();
		await s.consent('view');
		agent.setScenario('corrupt-tag');
		for (let i = 0; i < 20; i++)
			await s.send({ type: 'ping', nonce: i, sentAt: i }).catch(() => {});
		expect(await s.closed).toMatchObject({ code: 'auth-tag' });
		const r = await openSession(agent, device, {
			sessionId: s.sessionId,
			announce: false,
			resume: ticket
		});
		await r.next('session-info');
		// The one-shot fault hit the session once; the resumed connection is clean.
		for (let i = 0; i < 20; i++) await r.send({ type: 'ping', nonce: i, sentAt: i });
		await expect.poll(() => r.received.filter((m) => m.type === 'pong').length).toBe(20);
		expect(r.conn.state).toBe('open');
		agent.setScenario('none');
		await r.conn.end();
	});
});
