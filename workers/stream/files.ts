/**
 * File transfers on the console's side, both ways (docs/protocol.md, "Files"). Consent and the
 * PHI rule are checked here, in the worker, whatever the page asks; the agent checks them again.
 * Uploads are read whole (`arrayBuffer()`, up to MAX_UPLOAD_BYTES) to hash them before the offer.
 * A download cut by a dropped connection keeps its bytes for the resumed session: asked for again
 * and offered unchanged, it continues where it stopped (docs/protocol.md, "Resumption").
 */
import { toHex } from '../../src/lib/protocol/bytes';
import { safeFileName } from '../../src/lib/protocol/filenames';
import { sha256 } from '../../src/lib/protocol/kdf';
import type { AppMessage } from '../../src/lib/protocol/messages';
import type {
	RemoteFile,
	SessionEvent,
	StartResult,
	TransferFailure,
	TransferRefusal,
	TransferView
} from './events';

type Msg<T extends AppMessage['type']> = Extract<AppMessage, { type: T }>;
export type FileMessage = Msg<
	| 'file-list'
	| 'file-offer'
	| 'file-accept'
	| 'file-chunk'
	| 'file-ack'
	| 'file-complete'
	| 'file-abort'
>;

export const CHUNK_BYTES = 64 * 1024;
/** At most this many chunks sent and not yet acknowledged. */
export const WINDOW_CHUNKS = 16;
export const MAX_UPLOAD_BYTES = 256 * 1024 ** 2;
/** At most this many bytes of cut downloads are kept for a resumption (the oldest go first). */
export const MAX_KEPT_BYTES = MAX_UPLOAD_BYTES;
const FINAL = new Set(['done', 'failed', 'cancelled', 'revoked']);
const PROGRESS_EVERY_MS = 100;

export interface FileHost {
	/** Open channel, file-transfer granted (scope), PHI flag from session-info. */
	open(): boolean;
	phi(): boolean;
	grant(): 'once' | 'session' | undefined;
	/** A `once` grant is spent by the transfer it admits (the agent forgets it too). */
	spendOnce(): void;
	send(m: AppMessage): Promise<boolean>;
	emit(event: SessionEvent, transfer?: Transferable[]): void;
}

interface Transfer {
	view: TransferView;
	hash: Uint8Array;
	/** Upload: the file's bytes and the next offset to send. Download: the parts received. */
	data: Uint8Array | null;
	next: number;
	parts: Uint8Array[];
	lastEmit: number;
	/** Download: the name the agent listed (how it finds the file), and the name it offered. */
	remote?: string;
	offered?: string;
}

/** The part of a download cut by a drop, kept for the resumed session (by the agent's name). */
interface Kept {
	offered: string;
	size: number;
	hash: Uint8Array;
	parts: Uint8Array[];
	bytes: number;
}

export class FileTransfers {
	readonly #host: FileHost;
	readonly #transfers = new Map<number, Transfer>();
	readonly #kept = new Map<string, Kept>();
	#nextId = 1;
	files: RemoteFile[] = [];

	constructor(host: FileHost) {
		this.#host = host;
	}

	#refusal(): TransferRefusal | null {
		// The PHI rule first: no file message leaves this worker on such an instrument.
		if (this.#host.phi()) return 'phi';
		if (!this.#host.open()) return 'closed';
		if (!this.#host.grant()) return 'no-consent';
		return null;
	}

	#admit(view: TransferView, hash: Uint8Array, data: Uint8Array | null): Transfer {
		if (this.#host.grant() === 'once') this.#host.spendOnce();
		const t: Transfer = { view, hash, data, next: 0, parts: [], lastEmit: 0 };
		this.#transfers.set(view.id, t);
		this.#emit(t);
		return t;
	}

	#emit(t: Transfer, force = true) {
		const now = performance.now();
		if (!force && now - t.lastEmit < PROGRESS_EVERY_MS) return;
		t.lastEmit = now;
		this.#host.emit({ type: 'transfer', transfer: { ...t.view } });
	}

	#set(t: Transfer, patch: Partial<TransferView>) {
		Object.assign(t.view, patch);
		if (FINAL.has(t.view.state)) {
			this.#transfers.delete(t.view.id);
			t.data = null;
			t.parts = [];
		}
		this.#emit(t);
	}

	#fail(t: Transfer, reason: TransferFailure, message = '') {
		const state =
			reason === 'cancelled' ? 'cancelled' : reason === 'revoked' ? 'revoked' : 'failed';
		this.#set(t, { state, reason, message });
	}

	async upload(file: File): Promise<StartResult> {
		const refusal = this.#refusal();
		if (refusal) return { ok: false, code: refusal };
		const safe = safeFileName(file.name);
		if (!safe.ok) return { ok: false, code: 'bad-name' };
		if (file.size > MAX_UPLOAD_BYTES) return { ok: false, code: 'too-large' };
		const id = this.#nextId++;
		const view: TransferView = {
			id,
			direction: 'upload',
			name: safe.name,
			size: file.size,
			mime: file.type || 'application/octet-stream',
			bytes: 0,
			state: 'hashing'
		};
		const t = this.#admit(view, new Uint8Array(32), null);
		try {
			t.data = new Uint8Array(await file.arrayBuffer());
			t.hash = await sha256(t.data);
		} catch (e) {
			this.#fail(t, 'read-error', e instanceof Error ? e.message : String(e));
			return { ok: true, id };
		}
		if (t.view.state !== 'hashing') return { ok: true, id }; // cancelled or revoked meanwhile
		this.#set(t, { state: 'offered', sha256: toHex(t.hash) });
		const sent = await this.#host.send({
			type: 'file-offer',
			transferId: id,
			name: view.name,
			size: view.size,
			sha256: t.hash,
			mime: view.mime
		});
		if (!sent) this.#fail(t, 'closed');
		return { ok: true, id };
	}

	async request(name: string): Promise<StartResult> {
		const refusal = this.#refusal();
		if (refusal) return { ok: false, code: refusal };
		const listed = this.files.find((f) => f.name === name);
		if (!listed) return { ok: false, code: 'bad-name' };
		const id = this.#nextId++;
		const safe = safeFileName(name);
		const t = this.#admit(
			{
				id,
				direction: 'download',
				name: safe.ok ? safe.name : 'download',
				size: listed.size,
				mime: listed.mime,
				bytes: 0,
				state: 'requested'
			},
			new Uint8Array(32),
			null
		);
		t.remote = name;
		// The agent's own name goes back unchanged: it is how the agent finds the file.
		if (!(await this.#host.send({ type: 'file-request', transferId: id, name })))
			this.#fail(t, 'closed');
		return { ok: true, id };
	}

	async cancel(id: number) {
		const t = this.#transfers.get(id);
		if (!t) return;
		this.#fail(t, 'cancelled');
		await this.#host.send({ type: 'file-abort', transferId: id, reason: 'cancelled', message: '' });
	}

	/**
	 * Consent withdrawn (revoked by the customer, or given back): every transfer stops at once,
	 * cleanly, and the parts kept from cut downloads are forgotten with it, so a file asked for
	 * under a later grant starts over at 0 (docs/protocol.md, "Resumption", "What survives").
	 */
	async revoked() {
		this.#kept.clear();
		for (const t of [...this.#transfers.values()]) {
			this.#fail(t, 'revoked');
			await this.#host.send({
				type: 'file-abort',
				transferId: t.view.id,
				reason: 'revoked',
				message: 'consent withdrawn'
			});
		}
	}

	/**
	 * The channel closed (or dropped, to be resumed): nothing more can arrive or leave. A drop
	 * keeps what downloads received for the resumed session; the session's end forgets it all.
	 */
	closed(reason: 'closed' | 'reconnect' = 'closed') {
		if (reason === 'closed') this.#kept.clear();
		for (const t of [...this.#transfers.values()]) {
			if (reason === 'reconnect') this.#keep(t);
			this.#fail(t, reason);
		}
	}

	/** Bytes of cut downloads held for a resumption (tests, diagnostics). */
	get keptBytes(): number {
		let n = 0;
		for (const k of this.#kept.values()) n += k.bytes;
		return n;
	}

	/**
	 * Only a download receiving when the drop came, or holding all its bytes while their SHA-256
	 * is checked (resumed at its size: nothing left but the check), and only its bytes: never a
	 * cancelled one.
	 */
	#keep(t: Transfer) {
		const { view, remote, offered } = t;
		if (view.direction !== 'download' || remote === undefined || offered === undefined) return;
		if (view.state !== 'receiving' && view.state !== 'verifying') return;
		if (view.bytes === 0) return;
		this.#kept.delete(remote);
		this.#kept.set(remote, {
			offered,
			size: view.size,
			hash: t.hash,
			parts: t.parts,
			bytes: view.bytes
		});
		// Bounded: the oldest cut downloads are forgotten first (they start over if asked again).
		for (const [name] of this.#kept) {
			if (this.keptBytes <= MAX_KEPT_BYTES) break;
			this.#kept.delete(name);
		}
	}

	onMessage(m: FileMessage) {
		// On a PHI instrument nothing is listed, accepted or answered: the agent must not send these.
		if (this.#host.phi()) return;
		if (m.type === 'file-list') {
			this.files = m.files;
			this.#host.emit({ type: 'file-list', files: m.files });
			return;
		}
		const t = this.#transfers.get(m.transferId);
		if (!t) {
			// An offer we never asked for (or after a cancel): refused, never stored.
			if (m.type === 'file-offer')
				void this.#host.send({
					type: 'file-abort',
					transferId: m.transferId,
					reason: 'denied',
					message: 'not requested'
				});
			return;
		}
		switch (m.type) {
			case 'file-accept':
				return this.#onAccept(t, m.offset);
			case 'file-ack':
				return this.#onAck(t, m.received);
			case 'file-complete':
				return void this.#onComplete(t, m.sha256);
			case 'file-abort':
				return this.#fail(t, m.reason, m.message);
			case 'file-offer':
				return this.#onOffer(t, m);
			case 'file-chunk':
				return void this.#onChunk(t, m);
			default: {
				const never: never = m;
				throw new Error(`unhandled ${JSON.stringify(never)}`);
			}
		}
	}

	// Upload ----------------------------------------------------------------------------------

	#onAccept(t: Transfer, offset: number) {
		if (t.view.direction !== 'upload' || t.view.state !== 'offered' || !t.data) return;
		// A non-zero offset resumes a partial file the agent kept: at one of our chunks, or the end.
		const size = t.data.length;
		if (offset > size || (offset < size && offset % CHUNK_BYTES !== 0))
			return void this.#abort(t, 'bad-offset', `offset ${offset} of ${size}`);
		t.next = offset;
		this.#set(t, { state: 'sending', bytes: offset });
		this.#pump(t);
	}

	#pump(t: Transfer) {
		const data = t.data;
		if (!data) return;
		while (
			t.view.state === 'sending' &&
			t.next < data.length &&
			t.next - t.view.bytes < WINDOW_CHUNKS * CHUNK_BYTES
		) {
			const offset = t.next;
			const end = Math.min(offset + CHUNK_BYTES, data.length);
			t.next = end;
			// One copy of the slice into the record body; a draft would not save it, since the file
			// is already in memory (drafts pay off when the source writes in place, like the encoder).
			void this.#host.send({
				type: 'file-chunk',
				transferId: t.view.id,
				offset,
				data: data.subarray(offset, end)
			});
		}
	}

	#onAck(t: Transfer, received: number) {
		if (t.view.direction !== 'upload' || t.view.state !== 'sending') return;
		if (received < t.view.bytes || received > t.view.size) return;
		t.view.bytes = received;
		if (received === t.view.size) this.#set(t, { state: 'verifying' });
		else {
			this.#emit(t, false);
			this.#pump(t);
		}
	}

	async #onComplete(t: Transfer, hash: Uint8Array) {
		if (t.view.direction !== 'upload') return;
		if (!equal(hash, t.hash)) return this.#abort(t, 'integrity', 'SHA-256 differs');
		this.#set(t, { state: 'done', bytes: t.view.size });
	}

	async #abort(
		t: Transfer,
		reason: TransferFailure & Msg<'file-abort'>['reason'],
		message: string
	) {
		this.#fail(t, reason, message);
		await this.#host.send({ type: 'file-abort', transferId: t.view.id, reason, message });
	}

	// Download --------------------------------------------------------------------------------

	#onOffer(t: Transfer, m: Msg<'file-offer'>) {
		if (t.view.direction !== 'download' || t.view.state !== 'requested') return;
		const safe = safeFileName(m.name);
		if (!safe.ok) return void this.#abort(t, 'io-error', `unusable file name (${safe.reason})`);
		if (m.size > MAX_UPLOAD_BYTES) return void this.#abort(t, 'too-large', 'over 256 MiB');
		t.hash = m.sha256.slice();
		t.offered = m.name;
		// The part a drop cut is used once, and only for the very same file; else it starts over.
		const kept = t.remote === undefined ? undefined : this.#kept.get(t.remote);
		if (t.remote !== undefined) this.#kept.delete(t.remote);
		const same =
			kept && kept.offered === m.name && kept.size === m.size && equal(kept.hash, m.sha256);
		const offset = same ? kept.bytes : 0;
		if (same) t.parts = kept.parts;
		this.#set(t, {
			state: 'receiving',
			name: safe.name,
			size: m.size,
			mime: m.mime,
			bytes: offset,
			sha256: toHex(t.hash),
			...(same ? { resumedFrom: offset } : {})
		});
		void this.#host.send({ type: 'file-accept', transferId: t.view.id, offset });
		if (offset === m.size) void this.#finishDownload(t);
	}

	async #onChunk(t: Transfer, m: Msg<'file-chunk'>) {
		if (t.view.direction !== 'download' || t.view.state !== 'receiving') return;
		if (m.offset !== t.view.bytes || t.view.bytes + m.data.length > t.view.size)
			return this.#abort(t, 'io-error', `chunk at ${m.offset}, expected ${t.view.bytes}`);
		t.parts.push(m.data);
		t.view.bytes += m.data.length;
		const last = t.view.bytes === t.view.size;
		// Acknowledge every fourth chunk and the last: enough for the sender's window.
		if (last || t.parts.length % 4 === 0)
			void this.#host.send({ type: 'file-ack', transferId: t.view.id, received: t.view.bytes });
		if (last) await this.#finishDownload(t);
		else this.#emit(t, false);
	}

	async #finishDownload(t: Transfer) {
		this.#set(t, { state: 'verifying' });
		const whole = new Uint8Array(t.view.size);
		let at = 0;
		for (const p of t.parts) {
			whole.set(p, at);
			at += p.length;
		}
		const hash = await sha256(whole);
		// Revoked, cancelled or cut while hashing (a cut one is kept whole for the resumption).
		if (t.view.state !== 'verifying') return;
		if (!equal(hash, t.hash)) return this.#abort(t, 'integrity', 'SHA-256 differs');
		// Checked, so it is the technician's: done and saved whether or not the completion leaves.
		void this.#host.send({ type: 'file-complete', transferId: t.view.id, sha256: hash });
		this.#set(t, { state: 'done' });
		this.#host.emit(
			{
				type: 'file-received',
				id: t.view.id,
				name: t.view.name,
				mime: t.view.mime,
				data: whole.buffer
			},
			[whole.buffer]
		);
	}
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
	return a.length === b.length && a.every((v, i) => v === b[i]);
}
