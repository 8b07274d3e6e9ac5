/**
 * A whole session against the mock world, as the console opens one: the stream worker's own
 * socket through the dev relay bridge, the handshake, consent for view, the agent's live encoder,
 * decoding and the first paint. Figures: connect (socket to session-info), view granted to the
 * first frame painted (goal < 300 ms), and recovery from a decoder-breaking chunk to the next
 * frame painted (goal < 1 s), medians of a few sessions.
 */
import { transfer, wrap } from 'comlink';
import type { SessionEvent } from '../../workers/stream/events';
import type { StreamWorkerApi } from '../../workers/stream.worker';
import { serveRelayBridge } from '../../mocks/relay-bridge';
import {
	liveWorld,
	newSessionRequest,
	signedInTechnician,
	testClock
} from '../../tests/shared/world-flow';
import { median } from '../lib/measure';
import type { Report } from '../lib/types';

const INSTRUMENT = 'ins-3317'; // one 1920x1080 screen, no PHI
const SESSIONS = 4;

export async function run(report: Report) {
	const clock = testClock();
	const world = await liveWorld(clock);
	const technician = await signedInTechnician(world.broker, clock);
	const connectMs: number[] = [];
	const firstFrameMs: number[] = [];
	const recoveryMs: number[] = [];
	try {
		for (let i = 0; i < SESSIONS; i++) {
			const { request, sessionId, agent } = newSessionRequest(world, technician, INSTRUMENT);
			const worker = new Worker(new URL('../../workers/stream.worker.ts', import.meta.url), {
				type: 'module'
			});
			const api = wrap<StreamWorkerApi>(worker);
			const canvas = document.createElement('canvas');
			document.body.append(canvas);
			const offscreen = canvas.transferControlToOffscreen();
			const events = new MessageChannel();
			let granted: () => void = () => {};
			const grant = new Promise<void>((r) => (granted = r));
			events.port1.onmessage = (e: MessageEvent<SessionEvent>) => {
				if (
					e.data.type === 'consent' &&
					e.data.capability === 'view' &&
					e.data.state === 'granted'
				) {
					granted();
				}
			};
			const bridge = new MessageChannel();
			serveRelayBridge(world.relay, bridge.port1);
			const t0 = performance.now();
			const result = await api.open(
				request,
				transfer(offscreen, [offscreen]),
				transfer(events.port2, [events.port2]),
				transfer({ port: bridge.port2, relayBase: world.relayBase }, [bridge.port2])
			);
			if (!result.ok) throw new Error(JSON.stringify(result.failure));
			connectMs.push(performance.now() - t0);
			await api.requestConsent('view', 'session', '');
			await grant;
			const t1 = performance.now();
			const painted = api.nextPaint();
			await api.startStream(0);
			await painted;
			firstFrameMs.push(performance.now() - t1);
			// A well-sealed chunk of garbage: the decoder fails, is replaced, asks for a key frame.
			agent.setScenario('break-decoder');
			for (let wait = 0; !((await api.stats())?.recoveryMs ?? 0); wait++) {
				if (wait > 500) throw new Error('the stream did not recover from a decoder error');
				await new Promise((r) => setTimeout(r, 20));
			}
			recoveryMs.push((await api.stats())!.recoveryMs);
			agent.setScenario('none');
			await api.end();
			worker.terminate();
			canvas.remove();
			// The broker frees the agent once the relay has seen the socket close.
			for (let wait = 0; world.broker.session(sessionId)?.state !== 'ended'; wait++) {
				if (wait > 100) throw new Error('session did not end');
				await new Promise((r) => setTimeout(r, 20));
			}
		}
	} finally {
		world.dispose();
	}
	report('session.connect.ms', median(connectMs), 'ms');
	report('session.view-to-first-paint.ms', median(firstFrameMs), 'ms', '< 300');
	report('session.view-to-first-paint.max.ms', Math.max(...firstFrameMs), 'ms');
	report('stream.recovery.ms', median(recoveryMs), 'ms', '< 1000');
	report('stream.recovery.max.ms', Math.max(...recoveryMs), 'ms');
}
