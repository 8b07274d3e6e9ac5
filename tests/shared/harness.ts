/**
 * An in-memory console and agent that speak the real protocol module to each other, with a
 * hook between them to play the man in the middle. Shared by the node and browser suites.
 */
import { FrameDecoder, type Frame } from '../../src/lib/protocol/framing';
import { ProtocolError } from '../../src/lib/protocol/errors';
import {
	AgentHandshake,
	ConsoleHandshake,
	type AgentHandshakeInput,
	type ConsoleHandshakeInput
} from '../../src/lib/protocol/handshake';
import { generateIdentity, type Identity } from '../../src/lib/protocol/identity';
import { PasswordGuard } from '../../src/lib/protocol/guard';
import { randomBytes, equalBytes, concat } from '../../src/lib/protocol/bytes';
import type { SecureChannel } from '../../src/lib/protocol/channel';

export function frames(...chunks: Uint8Array[]): Frame[] {
	const d = new FrameDecoder();
	const out = chunks.flatMap((c) => d.push(c));
	d.end();
	return out;
}

export function one(...chunks: Uint8Array[]): Frame {
	const f = frames(...chunks);
	if (f.length !== 1) throw new Error(`expected one frame, got ${f.length}`);
	return f[0]!;
}

export interface World {
	device: Identity;
	agentKey: Identity & { keyId: string };
	sessionId: Uint8Array;
	password: string;
	guard: PasswordGuard;
	wire: Uint8Array[];
}

export async function world(overrides: Partial<World> = {}): Promise<World> {
	return {
		device: overrides.device ?? (await generateIdentity()),
		agentKey: overrides.agentKey ?? { ...(await generateIdentity()), keyId: 'agent-key-1' },
		sessionId: overrides.sessionId ?? randomBytes(16),
		password: overrides.password ?? 'K7QF-2MXP',
		guard: overrides.guard ?? new PasswordGuard(),
		wire: []
	};
}

export interface Options {
	typed?: string;
	pinned?: Uint8Array;
	consoleVersions?: number[];
	agentVersions?: number[];
	allowed?: boolean;
	/** Rewrites a frame on its way; returns the bytes that arrive instead. */
	mitm?: (direction: 'c2a' | 'a2c', bytes: Uint8Array) => Uint8Array;
	console?: Partial<ConsoleHandshakeInput>;
	agent?: Partial<AgentHandshakeInput>;
}

export interface Connected {
	console: SecureChannel;
	agent: SecureChannel;
	version: number;
}

/** Runs a whole handshake; rejects with the console's or the agent's ProtocolError. */
export async function connect(w: World, o: Options = {}): Promise<Connected> {
	const pass = (dir: 'c2a' | 'a2c', b: Uint8Array) => {
		const out = o.mitm ? o.mitm(dir, b) : b;
		w.wire.push(out);
		return out;
	};
	const c = new ConsoleHandshake({
		password: o.typed ?? w.password,
		instrumentId: 'HX-2041',
		sessionId: w.sessionId,
		technicianId: 'tech-17',
		device: w.device,
		pinnedAgentKey: o.pinned ?? w.agentKey.publicKey,
		...(o.consoleVersions ? { versions: o.consoleVersions } : {}),
		...o.console
	});
	const a = new AgentHandshake({
		instrumentId: 'HX-2041',
		sessionId: w.sessionId,
		password: () => w.password,
		identity: w.agentKey,
		isDeviceAllowed: (tech, key) =>
			(o.allowed ?? true) && tech === 'tech-17' && equalBytes(key, w.device.publicKey),
		guard: w.guard,
		...(o.agentVersions ? { versions: o.agentVersions } : {}),
		...o.agent
	});
	const hello = await a.receive(one(pass('c2a', c.start())));
	if (hello.outcome === 'failed') {
		// The agent's reason, with what the console made of the alert it was sent.
		const seen = await c.receive(one(pass('a2c', concat(...hello.send)))).catch((e) => e);
		throw Object.assign(hello.error, { consoleSaw: seen.code });
	}
	let done;
	try {
		done = await c.receive(one(pass('a2c', concat(...hello.send))));
	} catch (e) {
		if (e instanceof ProtocolError && e.code === 'key-confirmation') {
			const answer = await a.receive(one(pass('c2a', c.abortFrame())));
			throw ConsoleHandshake.answer(one(pass('a2c', concat(...answer.send))));
		}
		a.abandon();
		throw e;
	}
	const fin = await a.receive(one(pass('c2a', done.finished)));
	if (fin.outcome !== 'established') {
		throw fin.outcome === 'failed' ? fin.error : new Error('agent still waiting');
	}
	return { console: done.channel, agent: fin.channel, version: done.version };
}

/** Seals on one side and opens on the other, through a fresh frame decoder. */
export async function deliver(
	from: SecureChannel,
	to: SecureChannel,
	message: Parameters<SecureChannel['seal']>[0]
) {
	const parts = await from.seal(message);
	const out = [];
	for (const f of frames(...parts)) out.push(await to.open(f));
	return out;
}
