/**
 * One console connection to the simulated agent: the responder side of the handshake, then the
 * session itself (consent, video, input, files, chat) over the shared protocol module. Nothing
 * here frames or encrypts on its own: every byte comes from src/lib/protocol.
 */
import type { SecureChannel } from '../../src/lib/protocol/channel';
import { signConsent } from '../../src/lib/protocol/consent';
import { ProtocolError } from '../../src/lib/protocol/errors';
import { FrameDecoder, type Frame } from '../../src/lib/protocol/framing';
import { AgentHandshake } from '../../src/lib/protocol/handshake';
import { HANDSHAKE, type AppMessage, type Capability } from '../../src/lib/protocol/messages';
import { AgentResume } from '../../src/lib/protocol/resume';
import type { AgentContext } from './context';
import { AgentFileTransfers } from './transfers';
import { FaultyLink, type AgentTransport } from './scenarios';

type Msg<T extends AppMessage['type']> = Extract<AppMessage, { type: T }>;
type Grant = { scope: 'once' | 'session' };

export class AgentConnection {
	readonly #ctx: AgentContext;
	readonly #sessionId: Uint8Array;
	readonly #link: FaultyLink;
	readonly #decoder = new FrameDecoder();
	readonly #handshake: AgentHandshake;
	#resume: AgentResume | null = null;
	#resumedFrom: AgentConnection | null = null;
	#channel: SecureChannel | null = null;
	#queue: Promise<void> = Promise.resolve();
	readonly grants = new Map<Capability, Grant>();
	readonly #streaming = new Set<number>();
	#revokeTimers: ReturnType<typeof setTimeout>[] = [];
	#dragMoves = 0;
	#brokenChunkSent = false;
	#statsTimer: ReturnType<typeof setInterval> | null = null;
	#frames = 0;
	#bytes = 0;
	readonly transfers: AgentFileTransfers;
	technicianId = '';
	ended = false;
	/** When this connection ended (the agent's clock): a resumption ticket expires from then. */
	endedAt: number | null = null;
	/** Established by a resumption rather than the password handshake. */
	resumed = false;

	constructor(ctx: AgentContext, sessionId: Uint8Array, transport: AgentTransport) {
		this.#ctx = ctx;
		this.#sessionId = sessionId;
		this.#link = new FaultyLink(transport, () => ctx.scenario());
		this.#handshake = new AgentHandshake({
			instrumentId: ctx.instrumentId,
			sessionId,
			password: () => ctx.password(),
			identity: ctx.identity,
			isDeviceAllowed: (tech, key) => ctx.isDeviceAllowed(tech, key),
			guard: ctx.guard
		});
		this.transfers = new AgentFileTransfers(
			ctx,
			(m) => this.send(m),
			(c) => this.#has(c)
		);
		this.transfers.spendOnce = () => {
			if (this.grants.get('file-transfer')?.scope === 'once') this.grants.delete('file-transfer');
		};
		this.transfers.drop = () => this.drop();
		ctx.customer.answer = (requestId, decision) => void this.#answerPending(requestId, decision);
		ctx.customer.revoke = (capability) => void this.revoke(capability);
	}

	get sessionId(): Uint8Array {
		return this.#sessionId;
	}

	/** Bytes from the socket, in any split. */
	receive(bytes: Uint8Array) {
		let frames: Frame[];
		try {
			frames = this.#decoder.push(bytes);
		} catch (e) {
			return this.#fail(e);
		}
		for (const frame of frames) {
			this.#queue = this.#queue.then(() => this.#onFrame(frame)).catch((e) => this.#fail(e));
		}
	}

	/** The socket closed under us. */
	closed() {
		// Frames that arrived before the close are handled first: a goodbye ends in order.
		this.#queue = this.#queue.then(() => {
			if (this.ended) return;
			this.#handshake.abandon();
			this.#end('socket closed', true);
		});
	}

	async #onFrame(frame: Frame) {
		if (this.ended) return;
		if (this.#channel === null) return this.#onHandshake(frame);
		const message = await this.#channel.open(frame);
		await this.#onMessage(message);
	}

	async #onHandshake(frame: Frame) {
		// A console that held a ticket resumes instead of running the password handshake.
		if (
			this.#resume === null &&
			this.#handshake.state === 'awaiting-hello' &&
			frame.kind === 'handshake' &&
			frame.type === HANDSHAKE['resume-hello'].id
		) {
			this.#resume = new AgentResume({
				sessionId: this.#sessionId,
				take: (ticketId) => {
					const found = this.#ctx.takeTicket(this.#sessionId, ticketId);
					if (found.from) this.#resumedFrom = found.from;
					return found;
				}
			});
		}
		const step = this.#resume
			? await this.#resume.receive(frame)
			: await this.#handshake.receive(frame);
		for (const bytes of step.send) this.#link.clear(bytes);
		if (step.outcome === 'failed') {
			this.#ctx.log({ type: 'handshake-failed', detail: step.error.code });
			this.#link.close(4401, step.error.code);
			return this.#end(step.error.code);
		}
		if (step.outcome !== 'established') return;
		this.#channel = step.channel;
		this.technicianId = step.technicianId;
		const from = this.#resume ? this.#resumedFrom : null;
		this.resumed = from !== null;
		if (this.resumed) this.#link.oneShots = false;
		// Only view survives a resumption: control, files and clipboard are asked for again.
		if (from?.grants.has('view')) this.grants.set('view', { scope: 'session' });
		this.#ctx.log({
			type: this.resumed ? 'resumed' : 'connected',
			detail: step.technicianId
		});
		this.#ctx.onEstablished(this);
		await this.send({
			type: 'session-info',
			instrumentId: this.#ctx.instrumentId,
			agentVersion: this.#ctx.agentVersion,
			phi: this.#ctx.phi,
			capabilities: this.#ctx.capabilities.filter(
				(c) => !this.#ctx.phi || (c !== 'file-transfer' && c !== 'clipboard')
			),
			screens: this.#ctx.screen.screens,
			// A screen that cannot encode leaves the session usable for everything else.
			codecs: await this.#ctx.screen.encodable().catch((e: unknown) => {
				this.#ctx.log({ type: 'screen-error', detail: String(e) });
				return [];
			})
		});
		const ticketId = this.#ctx.issueTicket(this, {
			secret: step.resumption,
			version: step.version,
			technicianId: step.technicianId,
			deviceKey: step.deviceKey
		});
		if (ticketId)
			await this.send({
				type: 'resume-ticket',
				ticketId,
				lifetimeMs: this.#ctx.resumeLifetimeMs
			});
	}

	async #onMessage(m: AppMessage): Promise<void> {
		switch (m.type) {
			case 'consent-request':
				return this.#onConsentRequest(m);
			case 'consent-release':
				this.#drop(m.capability);
				this.#ctx.log({ type: 'released', detail: m.capability });
				return;
			case 'stream-start':
				return this.#startStream(m);
			case 'stream-stop':
				this.#ctx.screen.stop(m.screenId);
				this.#streaming.delete(m.screenId);
				return;
			case 'keyframe-request':
				this.#ctx.screen.requestKeyFrame(m.screenId);
				return;
			case 'pointer':
			case 'wheel':
			case 'key':
			case 'secure-attention':
				return this.#onInput(m);
			case 'file-offer':
			case 'file-accept':
			case 'file-chunk':
			case 'file-ack':
			case 'file-complete':
			case 'file-abort':
			case 'file-request':
				return this.transfers.onMessage(m);
			case 'chat':
				await this.send({ type: 'chat-ack', messageId: m.messageId });
				this.#ctx.onChat(m.text);
				return;
			case 'clipboard':
				// Clipboard needs its own consent and control, and never on a PHI instrument.
				if (this.#has('clipboard') && this.#has('control') && !this.#ctx.phi) {
					this.#ctx.onClipboard(m.text);
				} else this.#ctx.log({ type: 'refused', detail: 'clipboard without consent or on PHI' });
				return;
			case 'ping':
				await this.send({ type: 'pong', nonce: m.nonce, sentAt: m.sentAt });
				return;
			case 'goodbye':
				this.#ctx.log({ type: 'goodbye', detail: m.reason });
				this.#link.close(1000, 'goodbye');
				return this.#end(m.reason);
			case 'chat-ack':
			case 'pong':
			case 'rekey':
				return;
			case 'session-info':
			case 'resume-ticket':
			case 'consent-grant':
			case 'consent-deny':
			case 'consent-revoke':
			case 'video-config':
			case 'video-chunk':
			case 'stats':
			case 'file-list':
				// The channel refuses these from a console (wrong-direction) before they get here.
				throw new ProtocolError('wrong-direction', m.type);
			default: {
				const never: never = m;
				throw new Error(`unhandled message ${JSON.stringify(never)}`);
			}
		}
	}

	async #onConsentRequest(m: Msg<'consent-request'>) {
		const ctx = this.#ctx;
		ctx.log({ type: 'consent-requested', detail: `${m.capability} (${m.scope})` });
		// PHI instruments never transfer files or clipboard, whatever the console asks (§ Consent).
		if (ctx.phi && (m.capability === 'file-transfer' || m.capability === 'clipboard')) {
			return this.#deny(m.requestId, m.capability, 'phi');
		}
		if (!ctx.capabilities.includes(m.capability)) {
			return this.#deny(m.requestId, m.capability, 'unsupported');
		}
		if (ctx.scenario() === 'deny-all') return this.#deny(m.requestId, m.capability, 'customer');
		const decision = ctx.customer.decide(
			{ requestId: m.requestId, capability: m.capability, scope: m.scope, note: m.note },
			ctx.now()
		);
		if (decision === 'pending') return;
		if (decision === 'deny') return this.#deny(m.requestId, m.capability, 'customer');
		return this.#grant(m.requestId, m.capability, m.scope);
	}

	async #answerPending(requestId: number, decision: 'grant' | 'deny') {
		const request = this.#ctx.customer.lastRequest(requestId);
		if (!request || this.ended) return;
		if (decision === 'deny') return this.#deny(requestId, request.capability, 'customer');
		return this.#grant(requestId, request.capability, request.scope);
	}

	async #grant(requestId: number, capability: Capability, scope: 'once' | 'session') {
		this.grants.set(capability, { scope });
		this.#ctx.log({ type: 'consent-granted', detail: `${capability} (${scope})` });
		const answer = await signConsent(this.#ctx.identity, this.#sessionId, {
			type: 'consent-grant',
			requestId,
			capability,
			scope,
			at: this.#ctx.now()
		});
		await this.send(answer);
		if (capability === 'file-transfer') await this.transfers.sendList();
		const policy = this.#ctx.customer.policies[capability];
		if (policy.kind === 'revoke-after') {
			this.#revokeTimers.push(
				setTimeout(() => void this.revoke(capability), policy.seconds * 1000)
			);
		}
	}

	async #deny(requestId: number, capability: Capability, reason: Msg<'consent-deny'>['reason']) {
		this.#ctx.log({ type: 'consent-denied', detail: `${capability}: ${reason}` });
		await this.send(
			await signConsent(this.#ctx.identity, this.#sessionId, {
				type: 'consent-deny',
				requestId,
				capability,
				reason,
				at: this.#ctx.now()
			})
		);
	}

	/** The customer takes a capability back: effective at once, before the console hears of it. */
	async revoke(capability: Capability) {
		if (!this.grants.has(capability) || this.ended) return;
		this.#drop(capability);
		this.#ctx.log({ type: 'consent-revoked', detail: capability });
		await this.send(
			await signConsent(this.#ctx.identity, this.#sessionId, {
				type: 'consent-revoke',
				capability,
				at: this.#ctx.now()
			})
		);
	}

	#drop(capability: Capability) {
		this.grants.delete(capability);
		if (capability === 'control') this.#releaseHeld();
		if (capability === 'view') {
			for (const id of this.#streaming) this.#ctx.screen.stop(id);
			this.#streaming.clear();
		}
		if (capability === 'file-transfer') void this.transfers.abortAll('revoked');
	}

	#has(capability: Capability): boolean {
		return this.grants.has(capability);
	}

	async #startStream(m: Msg<'stream-start'>) {
		if (!this.#has('view')) {
			this.#ctx.log({ type: 'refused', detail: 'stream-start without view consent' });
			return;
		}
		const screenId = m.screenId;
		this.#streaming.add(screenId);
		const codec = await this.#ctx.screen.start(screenId, m.codecs, {
			config: (c) =>
				void this.send({
					type: 'video-config',
					screenId: c.screenId,
					codec: c.codec,
					width: c.width,
					height: c.height,
					description: c.description ?? new Uint8Array(0),
					primaries: c.colorSpace?.primaries ?? '',
					transfer: c.colorSpace?.transfer ?? '',
					matrix: c.colorSpace?.matrix ?? '',
					range:
						c.colorSpace?.fullRange === undefined || c.colorSpace.fullRange === null
							? 'unspecified'
							: c.colorSpace.fullRange
								? 'full'
								: 'limited'
				}),
			chunk: (c) => {
				if (!this.#streaming.has(c.screenId) || !this.#has('view')) return;
				this.#frames++;
				this.#bytes += c.data.length;
				let data = c.data;
				if (
					this.#ctx.scenario() === 'break-decoder' &&
					!this.#brokenChunkSent &&
					this.#frames > 20
				) {
					// A well-sealed chunk whose content no decoder can read.
					this.#brokenChunkSent = true;
					data = new Uint8Array(c.data.length).fill(0xa5);
				}
				void this.send({ type: 'video-chunk', ...c, data });
			},
			error: (message) => this.#ctx.log({ type: 'screen-error', detail: message })
		});
		this.#ctx.log({ type: 'stream', detail: codec ?? 'no common codec' });
		this.#statsTimer ??= setInterval(() => {
			void this.send({
				type: 'stats',
				fps: Math.min(0xffff, Math.round(this.#frames / 2)),
				bitrateKbps: Math.round((this.#bytes * 8) / 2 / 1000),
				encodeMs: 0,
				queue: 0
			});
			this.#frames = 0;
			this.#bytes = 0;
		}, 2000);
	}

	async #onInput(m: Msg<'pointer' | 'wheel' | 'key' | 'secure-attention'>) {
		// The agent enforces consent itself: without control, input is dropped, not trusted.
		if (!this.#has('control')) {
			this.#ctx.log({ type: 'refused', detail: `${m.type} without control consent` });
			return;
		}
		if (m.type === 'secure-attention') {
			this.#ctx.log({ type: 'secure-attention', detail: 'Ctrl+Alt+Del' });
			return;
		}
		if (m.type === 'pointer' && this.#ctx.scenario() === 'revoke-control-mid-drag') {
			this.#dragMoves = m.buttons !== 0 ? this.#dragMoves + 1 : 0;
			if (this.#dragMoves === 4) {
				await this.revoke('control');
				return;
			}
		}
		this.#ctx.screen.input(m);
		this.#hold(m);
	}

	/** What the console holds down on the instrument: buttons (where), and keys. */
	#held = { screenId: 0, x: 0, y: 0, buttons: 0, keys: new Set<string>() };

	#hold(m: Msg<'pointer' | 'wheel' | 'key' | 'secure-attention'>) {
		const held = this.#held;
		if (m.type === 'pointer')
			Object.assign(held, { screenId: m.screenId, x: m.x, y: m.y, buttons: m.buttons });
		else if (m.type === 'key' && m.down) held.keys.add(m.code);
		else if (m.type === 'key') held.keys.delete(m.code);
	}

	/**
	 * Control ended (revoked, given back, or the connection gone): whatever the console still held
	 * down is let go here, so no button or key stays pressed on the instrument (docs/protocol.md,
	 * "Input").
	 */
	#releaseHeld() {
		const held = this.#held;
		const released: string[] = [];
		if (held.buttons !== 0) {
			const { screenId, x, y } = held;
			this.#ctx.screen.input({ type: 'pointer', screenId, x, y, buttons: 0, action: 'up' });
			released.push(`buttons ${held.buttons}`);
			held.buttons = 0;
		}
		for (const code of held.keys) {
			this.#ctx.screen.input({ type: 'key', code, down: false, modifiers: 0, text: '' });
			released.push(code);
		}
		held.keys.clear();
		if (released.length > 0) this.#ctx.log({ type: 'input-released', detail: released.join(', ') });
	}

	/** Seals and sends one message; ordering follows call order. */
	async send(message: AppMessage) {
		const channel = this.#channel;
		if (!channel || this.ended || this.#link.closed) return;
		try {
			const parts = await channel.seal(message);
			// A rekey record may precede the message: each record is one unit for the link.
			for (let i = 0; i < parts.length; i += 2) this.#link.record(parts[i]!, parts[i + 1]!);
		} catch (e) {
			this.#fail(e);
		}
	}

	/** A network blip: the socket drops without a goodbye (the session stays resumable). */
	drop() {
		this.#link.close(1006, 'connection lost');
		this.#end('dropped', true);
	}

	/** The customer copied text on the instrument PC: sent only as the clipboard rule allows. */
	async copy(text: string): Promise<boolean> {
		if (this.#ctx.phi || !this.#has('clipboard') || !this.#has('control')) return false;
		await this.send({ type: 'clipboard', text });
		return true;
	}

	/** Ends the session from the customer's side. */
	async end(reason: Msg<'goodbye'>['reason'] = 'ended-by-customer') {
		await this.send({ type: 'goodbye', reason, message: '' });
		this.#link.close(1000, reason);
		this.#end(reason);
	}

	#fail(e: unknown) {
		const code = e instanceof ProtocolError ? e.code : 'internal';
		this.#ctx.log({ type: 'protocol-error', detail: code });
		if (!(e instanceof ProtocolError)) console.error('[mock agent]', e);
		this.#link.close(4400, code);
		this.#end(code, true);
	}

	/** `resumable`: the session was cut, not ended in order, so its ticket stays valid a while. */
	#end(reason: string, resumable = false) {
		if (this.ended) return;
		this.ended = true;
		this.endedAt = this.#ctx.now();
		this.#releaseHeld();
		for (const id of this.#streaming) this.#ctx.screen.stop(id);
		this.#streaming.clear();
		for (const t of this.#revokeTimers) clearTimeout(t);
		if (this.#statsTimer) clearInterval(this.#statsTimer);
		this.transfers.dispose();
		this.#channel?.close('channel-closed');
		this.#ctx.onEnded(this, reason, resumable);
	}
}
