/**
 * A simulated agent and a console connected through an in-memory "socket" that delivers bytes
 * asynchronously, as a relay would. The console side is the app's own ConsoleConnection.
 */
import { toHex } from '../../src/lib/protocol/bytes';
import type { ChannelOptions } from '../../src/lib/protocol/channel';
import { ConsoleConnection, type CloseInfo } from '../../src/lib/protocol/console-connection';
import { generateIdentity, type Identity } from '../../src/lib/protocol/identity';
import type { AppMessage, Capability } from '../../src/lib/protocol/messages';
import { ConsoleResume, type ResumeTicket } from '../../src/lib/protocol/resume';
import { InstrumentAgent, type AgentSpec } from '../../mocks/agent/agent';
import type { AgentConnection } from '../../mocks/agent/connection';
import type { ScreenInput, ScreenSink, ScreenSource } from '../../mocks/agent/screen/types';

/** A screen that "encodes" tiny fake chunks on demand and records the input it gets. */
export class FakeScreen implements ScreenSource {
	readonly screens = [
		{ id: 0, name: 'Main', width: 1920, height: 1080, primary: true },
		{ id: 1, name: 'Service', width: 1280, height: 720, primary: false }
	];
	readonly inputs: ScreenInput[] = [];
	readonly sinks = new Map<number, ScreenSink>();
	keyRequests = 0;
	async encodable() {
		return ['vp8', 'vp09.00.10.08'];
	}
	async start(screenId: number, codecs: string[], sink: ScreenSink) {
		const codec = codecs.find((c) => c === 'vp8' || c === 'vp09.00.10.08') ?? null;
		if (!codec) return null;
		this.sinks.set(screenId, sink);
		sink.config({ screenId, codec, width: 1920, height: 1080 });
		return codec;
	}
	/** Emits n chunks on a started screen, the first a key frame. */
	emit(screenId: number, n: number, size = 200) {
		const sink = this.sinks.get(screenId);
		for (let i = 0; i < n; i++) {
			sink?.chunk({
				screenId,
				key: i === 0,
				timestamp: i * 33_333,
				duration: 33_333,
				data: new Uint8Array(size).fill(i & 0xff)
			});
		}
	}
	stop(screenId: number) {
		this.sinks.delete(screenId);
	}
	requestKeyFrame() {
		this.keyRequests++;
	}
	input(event: ScreenInput) {
		this.inputs.push(event);
	}
	dispose() {}
}

export interface Session {
	sessionId: Uint8Array;
	agent: InstrumentAgent;
	screen: FakeScreen;
	conn: ConsoleConnection;
	received: AppMessage[];
	closed: Promise<CloseInfo>;
	agentSide: () => AgentConnection | null;
	/** Resolves with the next received message of that type (already received ones count). */
	next<T extends AppMessage['type']>(
		type: T,
		after?: number
	): Promise<Extract<AppMessage, { type: T }>>;
	send(m: AppMessage): Promise<void>;
	consent(capability: Capability, scope?: 'once' | 'session'): Promise<AppMessage>;
	/** Asks for screen 0's stream in VP8 (view granted first) and waits for its video-config. */
	startStream(): Promise<AppMessage>;
	/** The ticket to resume this connection, once the agent has sent one. */
	ticket(): Promise<ResumeTicket>;
}

export async function makeAgent(spec: Partial<AgentSpec> & { technicianDevice?: Identity } = {}) {
	const screen = new FakeScreen();
	const device = spec.technicianDevice ?? (await generateIdentity());
	const agent = await InstrumentAgent.create({
		instrumentId: 'HX-2041',
		name: 'Haematology analyser HX-2041',
		phi: false,
		capabilities: ['view', 'control', 'file-transfer', 'clipboard'],
		screen,
		isDeviceAllowed: (tech, key) => tech === 'tech-17' && toHex(key) === toHex(device.publicKey),
		...spec
	});
	return { agent, screen, device };
}

/** Opens a console connection to `agent` for a new announced session. */
export async function openSession(
	agent: InstrumentAgent,
	device: Identity,
	options: {
		password?: string;
		sessionId?: Uint8Array;
		announce?: boolean;
		pinned?: Uint8Array;
		/** Sees every byte on the wire, each way. */
		tap?: (direction: 'c2a' | 'a2c', bytes: Uint8Array) => void;
		channel?: ChannelOptions;
		/** Resume with this ticket instead of the password handshake (same `sessionId`). */
		resume?: ResumeTicket;
		/** The device that resumes (defaults to `device`). */
		resumeDevice?: Identity;
		/** Sees every message the console receives, as it arrives (a console-side peer). */
		onMessage?: (m: AppMessage) => void;
	} = {}
): Promise<Omit<Session, 'screen'>> {
	const sessionId = options.sessionId ?? crypto.getRandomValues(new Uint8Array(16));
	if (options.announce !== false) agent.expectSession(toHex(sessionId));
	const received: AppMessage[] = [];
	const waiters: (() => void)[] = [];
	let resolveClosed!: (c: CloseInfo) => void;
	const closed = new Promise<CloseInfo>((r) => (resolveClosed = r));
	let agentSide: AgentConnection | null = null;
	let consoleOpen = true;
	let agentOpen = true;
	let resumption: Uint8Array | null = null;
	let version = 1;
	// Each direction delivers on a later task, byte copies, like a socket.
	const toAgent = (b: Uint8Array) => {
		const copy = b.slice();
		options.tap?.('c2a', copy);
		setTimeout(() => agentOpen && agentSide?.receive(copy), 0);
	};
	const conn = new ConsoleConnection(
		options.resume
			? await ConsoleResume.create({
					ticket: options.resume,
					sessionId,
					device: options.resumeDevice ?? device,
					...(options.channel ? { channel: options.channel } : {})
				})
			: {
					password: options.password ?? agent.password(),
					instrumentId: agent.instrumentId,
					sessionId,
					technicianId: 'tech-17',
					device,
					pinnedAgentKey: options.pinned ?? agent.identity.publicKey,
					...(options.channel ? { channel: options.channel } : {})
				},
		{
			send: toAgent,
			close: () => {
				if (!consoleOpen) return;
				consoleOpen = false;
				setTimeout(() => {
					agentOpen = false;
					agentSide?.closed();
				}, 0);
			}
		},
		{
			onMessage: (m) => {
				received.push(m);
				options.onMessage?.(m);
				for (const w of waiters.splice(0)) w();
			},
			onOpen: (v, secret) => {
				version = v;
				resumption = secret;
			},
			onClose: (info) => resolveClosed(info)
		}
	);
	agentSide = agent.accept(sessionId, {
		send: (b) => {
			const copy = b.slice();
			options.tap?.('a2c', copy);
			setTimeout(() => consoleOpen && conn.receive(copy), 0);
		},
		close: (code, reason) => {
			if (!agentOpen) return;
			agentOpen = false;
			setTimeout(() => {
				consoleOpen = false;
				conn.transportClosed(code, reason);
			}, 0);
		}
	});
	if (agentSide) conn.start();
	const until = async (pred: (m: AppMessage) => boolean, after: number, what: string) => {
		const deadline = Date.now() + 5000;
		for (;;) {
			const found = received.slice(after).find(pred);
			if (found) return found;
			if (conn.state === 'closed')
				throw new Error(`closed before ${what}: ${conn.closeInfo?.code}`);
			if (Date.now() > deadline) throw new Error(`no ${what} within 5 s`);
			await new Promise<void>((r) => {
				waiters.push(r);
				setTimeout(r, 20);
			});
		}
	};
	const next: Session['next'] = (type, after = 0) =>
		until((m) => m.type === type, after, type) as never;
	let requestId = 0;
	return {
		sessionId,
		agent,
		conn,
		received,
		closed,
		agentSide: () => agentSide,
		next,
		send: (m) => conn.send(m),
		async ticket() {
			const t = await next('resume-ticket');
			return { ticketId: t.ticketId, secret: resumption!, version };
		},
		async startStream() {
			const mark = received.length;
			await conn.send({
				type: 'stream-start',
				screenId: 0,
				codecs: ['vp8'],
				maxWidth: 1920,
				maxHeight: 1080
			});
			return next('video-config', mark);
		},
		async consent(capability, scope = 'session') {
			const id = ++requestId;
			const mark = received.length;
			await conn.send({ type: 'consent-request', requestId: id, capability, scope, note: '' });
			return until(
				(m) => (m.type === 'consent-grant' || m.type === 'consent-deny') && m.requestId === id,
				mark,
				`answer to consent request ${id}`
			);
		}
	};
}
