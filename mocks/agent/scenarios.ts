/**
 * Hostile behaviour on request: named faults the agent applies to what it sends, switchable in
 * the dev panel and from tests. They exercise the console's framing, record checks and recovery.
 */
import { concat } from '../../src/lib/protocol/bytes';

export const AGENT_SCENARIOS = [
	'none',
	'drop-socket',
	'drop-mid-download',
	'corrupt-tag',
	'replay-record',
	'reorder-records',
	'split-merge',
	'throttle',
	'break-decoder',
	'deny-all',
	'revoke-control-mid-drag'
] as const;
export type AgentScenario = (typeof AGENT_SCENARIOS)[number];

export interface AgentTransport {
	send(bytes: Uint8Array): void;
	close(code: number, reason: string): void;
}

/** Which sealed record (counted from the first after the handshake) a one-shot fault hits. */
export const FAULT_AT_RECORD = 12;
/** Throttled bandwidth, bytes per second. */
export const THROTTLE_BYTES_PER_S = 64 * 1024;

/**
 * Wraps the socket: every sealed record passes through `record()`, so the record-level faults
 * (tag, replay, reorder, drop) hit one precise record and the stream faults (split and merge,
 * throttle) reshape the bytes. Clear handshake frames go through `clear()` untouched.
 */
export class FaultyLink {
	readonly #transport: AgentTransport;
	readonly #scenario: () => AgentScenario;
	#records = 0;
	#held: Uint8Array | null = null;
	#splitBuffer: Uint8Array[] = [];
	#splitTimer: ReturnType<typeof setTimeout> | null = null;
	#throttleFree = 0;
	#closed = false;
	/** One-shot faults hit a session once: a resumed connection is spared them. */
	oneShots = true;

	constructor(transport: AgentTransport, scenario: () => AgentScenario) {
		this.#transport = transport;
		this.#scenario = scenario;
	}

	get closed() {
		return this.#closed;
	}

	clear(bytes: Uint8Array) {
		this.#write(bytes);
	}

	/** One sealed record as its header and ciphertext. */
	record(header: Uint8Array, ciphertext: Uint8Array) {
		if (this.#closed) return;
		// One message per record (docs/protocol.md, "Transport"): every message costs the
		// console's worker a task or more, a copy of the record here costs less.
		const bytes = concat(header, ciphertext);
		if (this.#scenario() === 'none') {
			this.#records++;
			return this.#write(bytes);
		}
		const n = ++this.#records;
		const scenario = this.#scenario();
		if (n === FAULT_AT_RECORD && this.oneShots) {
			switch (scenario) {
				case 'corrupt-tag': {
					const forged = bytes.slice();
					forged[forged.length - 1]! ^= 0x01;
					return this.#write(forged);
				}
				case 'replay-record':
					this.#write(bytes);
					return this.#write(bytes);
				case 'reorder-records':
					this.#held = bytes;
					return;
				case 'drop-socket':
					return this.close(1006, 'scenario: socket dropped');
				default:
					break;
			}
		}
		this.#write(bytes);
		if (this.#held) {
			const held = this.#held;
			this.#held = null;
			this.#write(held);
		}
	}

	close(code: number, reason: string) {
		if (this.#closed) return;
		this.#flushSplit();
		this.#closed = true;
		this.#transport.close(code, reason);
	}

	#write(bytes: Uint8Array) {
		if (this.#closed) return;
		switch (this.#scenario()) {
			case 'split-merge':
				// Merge everything sent in one task, then deliver it in 1- to 7-byte messages.
				this.#splitBuffer.push(bytes.slice());
				this.#splitTimer ??= setTimeout(() => this.#flushSplit(), 0);
				return;
			case 'throttle': {
				const now = performance.now();
				const start = Math.max(now, this.#throttleFree);
				this.#throttleFree = start + (bytes.length / THROTTLE_BYTES_PER_S) * 1000;
				const copy = bytes.slice();
				setTimeout(() => !this.#closed && this.#transport.send(copy), start - now);
				return;
			}
			default:
				this.#transport.send(bytes);
		}
	}

	#flushSplit() {
		if (this.#splitTimer) clearTimeout(this.#splitTimer);
		this.#splitTimer = null;
		const merged = concat(...this.#splitBuffer);
		this.#splitBuffer = [];
		// Pieces of 1 to 7 bytes that ignore frame boundaries.
		for (let at = 0, size = 1; at < merged.length; at += size, size = (size % 7) + 1) {
			this.#transport.send(merged.slice(at, at + size));
		}
	}
}
