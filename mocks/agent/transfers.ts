/**
 * File transfers on the agent's side, both ways (docs/protocol.md, "Files"): uploads are checked
 * chunk by chunk and by SHA-256 at the end; downloads are offered from the agent's exports.
 * Consent and the PHI rule are checked here again, whatever the console believes.
 */
import { safeFileName } from '../../src/lib/protocol/filenames';
import { sha256 } from '../../src/lib/protocol/kdf';
import type { AppMessage, Capability } from '../../src/lib/protocol/messages';
import type { AgentContext } from './context';
import type { Upload } from './files';

type Msg<T extends AppMessage['type']> = Extract<AppMessage, { type: T }>;
type Abort = Msg<'file-abort'>['reason'];
export const CHUNK_BYTES = 64 * 1024;
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
/** Scenario `drop-mid-download`: the socket drops after this many chunks of a download. */
export const DROP_AFTER_CHUNKS = 2;
const STALL_MS = 200;

interface Outgoing {
	name: string;
	data: Uint8Array;
	hash: Uint8Array;
	cancelled: boolean;
}

export class AgentFileTransfers {
	readonly #ctx: AgentContext;
	readonly #send: (m: AppMessage) => Promise<void>;
	readonly #has: (c: Capability) => boolean;
	readonly #uploads = new Map<number, { upload: Upload; mime: string }>();
	readonly #downloads = new Map<number, Outgoing>();
	/** Called when a transfer starts: a grant of scope `once` is spent by it. */
	spendOnce: () => void = () => {};
	/** Drops the socket (scenario `drop-mid-download`: every download while it is on). */
	drop: (() => void) | null = null;

	constructor(
		ctx: AgentContext,
		send: (m: AppMessage) => Promise<void>,
		has: (c: Capability) => boolean
	) {
		this.#ctx = ctx;
		this.#send = send;
		this.#has = has;
	}

	async sendList() {
		const files = this.#ctx.files.downloads.map((f) => ({
			name: f.name,
			size: f.data.length,
			mime: f.mime
		}));
		await this.#send({ type: 'file-list', files });
	}

	async onMessage(
		m: Msg<
			| 'file-offer'
			| 'file-accept'
			| 'file-chunk'
			| 'file-ack'
			| 'file-complete'
			| 'file-abort'
			| 'file-request'
		>
	) {
		switch (m.type) {
			case 'file-offer':
				return this.#onOffer(m);
			case 'file-chunk':
				return this.#onChunk(m);
			case 'file-request':
				return this.#onRequest(m);
			case 'file-accept':
				return this.#stream(m.transferId, m.offset);
			case 'file-complete': {
				const out = this.#downloads.get(m.transferId);
				if (out && !out.hash.every((b, i) => b === m.sha256[i])) {
					this.#ctx.log({ type: 'file-integrity', detail: out.name });
				} else if (out) this.#ctx.log({ type: 'file-sent', detail: out.name });
				this.#downloads.delete(m.transferId);
				return;
			}
			case 'file-abort': {
				const out = this.#downloads.get(m.transferId);
				if (out) out.cancelled = true;
				this.#downloads.delete(m.transferId);
				const up = this.#uploads.get(m.transferId);
				// A cancelled upload is thrown away; other aborts keep the part for a resume.
				if (up && m.reason === 'cancelled') this.#ctx.files.partial.delete(up.upload.name);
				this.#uploads.delete(m.transferId);
				this.#ctx.log({ type: 'file-aborted', detail: m.reason });
				return;
			}
			case 'file-ack':
				return;
		}
	}

	/** A transfer may start: file transfer granted and the instrument holds no patient data. */
	#refusal(): Abort | null {
		if (this.#ctx.phi) return 'phi';
		if (!this.#has('file-transfer')) return 'denied';
		return null;
	}

	async #abort(transferId: number, reason: Abort, message: string) {
		this.#ctx.log({ type: 'file-refused', detail: `${reason}: ${message}` });
		await this.#send({ type: 'file-abort', transferId, reason, message });
	}

	async #onOffer(m: Msg<'file-offer'>) {
		const refusal = this.#refusal();
		if (refusal) return this.#abort(m.transferId, refusal, 'file transfer is not allowed');
		if (m.size > MAX_UPLOAD_BYTES) return this.#abort(m.transferId, 'too-large', 'over 2 GiB');
		const safe = safeFileName(m.name);
		if (!safe.ok)
			return this.#abort(m.transferId, 'io-error', `unusable file name (${safe.reason})`);
		this.spendOnce();
		const upload = this.#ctx.files.startUpload(safe.name, m.size, m.sha256);
		this.#uploads.set(m.transferId, { upload, mime: m.mime });
		this.#ctx.log({ type: 'file-receiving', detail: `${safe.name} from ${upload.receivedBytes}` });
		await this.#send({
			type: 'file-accept',
			transferId: m.transferId,
			offset: upload.receivedBytes
		});
		// Nothing left to send (an empty file, or one kept whole): only the SHA-256 to check.
		if (upload.receivedBytes === m.size) await this.#complete(m.transferId);
	}

	async #onChunk(m: Msg<'file-chunk'>) {
		const entry = this.#uploads.get(m.transferId);
		if (!entry) return;
		// Consent is checked when a transfer starts: one admitted under a grant of scope `once`
		// finishes; a revocation ends it through abortAll().
		const { upload } = entry;
		if (m.offset !== upload.receivedBytes || upload.receivedBytes + m.data.length > upload.size) {
			this.#uploads.delete(m.transferId);
			return this.#abort(
				m.transferId,
				'io-error',
				`chunk at ${m.offset}, expected ${upload.receivedBytes}`
			);
		}
		upload.received.push(m.data.slice());
		upload.receivedBytes += m.data.length;
		await this.#send({
			type: 'file-ack',
			transferId: m.transferId,
			received: upload.receivedBytes
		});
		if (upload.receivedBytes === upload.size) await this.#complete(m.transferId);
	}

	async #complete(transferId: number) {
		const { upload, mime } = this.#uploads.get(transferId)!;
		this.#uploads.delete(transferId);
		const hash = await this.#ctx.files.finishUpload(upload, mime);
		if (!hash.every((b, i) => b === upload.sha256[i])) {
			this.#ctx.files.received.delete(upload.name);
			return this.#abort(transferId, 'integrity', 'SHA-256 of the received file differs');
		}
		this.#ctx.log({ type: 'file-received', detail: upload.name });
		await this.#send({ type: 'file-complete', transferId, sha256: hash });
	}

	async #onRequest(m: Msg<'file-request'>) {
		const refusal = this.#refusal();
		if (refusal) return this.#abort(m.transferId, refusal, 'file transfer is not allowed');
		const file = this.#ctx.files.download(m.name);
		if (!file) return this.#abort(m.transferId, 'io-error', 'no such file');
		this.spendOnce();
		const hash = await sha256(file.data);
		this.#downloads.set(m.transferId, { name: file.name, data: file.data, hash, cancelled: false });
		await this.#send({
			type: 'file-offer',
			transferId: m.transferId,
			name: file.name,
			size: file.data.length,
			sha256: hash,
			mime: file.mime
		});
	}

	/**
	 * Sends a download from the offset the console accepted: 0, or where a download cut by a drop
	 * stopped (docs/protocol.md, "Resumption"). Chunks start at multiples of CHUNK_BYTES, so a
	 * resumed offset must be one of them (or the size: nothing left but the hash check).
	 */
	async #stream(transferId: number, offset: number) {
		const out = this.#downloads.get(transferId);
		if (!out) return;
		const size = out.data.length;
		if (offset > size || (offset < size && offset % CHUNK_BYTES !== 0)) {
			this.#downloads.delete(transferId);
			return this.#abort(transferId, 'bad-offset', `offset ${offset} of ${size}`);
		}
		if (offset > 0) this.#ctx.log({ type: 'file-sending', detail: `${out.name} from ${offset}` });
		let sent = 0;
		for (let at = offset; at < size; at += CHUNK_BYTES) {
			if (out.cancelled) return;
			const data = out.data.subarray(at, Math.min(at + CHUNK_BYTES, size));
			await this.#send({ type: 'file-chunk', transferId, offset: at, data });
			if (++sent === DROP_AFTER_CHUNKS && this.#ctx.scenario() === 'drop-mid-download') {
				// The link stalls, then drops: what was sent reaches the console first.
				const drop = this.drop;
				if (drop) return void setTimeout(drop, STALL_MS);
			}
		}
	}

	async abortAll(reason: Abort) {
		const ids = [...this.#uploads.keys(), ...this.#downloads.keys()];
		for (const out of this.#downloads.values()) out.cancelled = true;
		this.#uploads.clear();
		this.#downloads.clear();
		for (const id of ids) await this.#abort(id, reason, 'consent withdrawn');
	}

	dispose() {
		for (const out of this.#downloads.values()) out.cancelled = true;
		this.#downloads.clear();
		this.#uploads.clear();
	}
}
