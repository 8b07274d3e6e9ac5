/**
 * Screen recording (issue 8): the decrypted, still-encoded video of a session, kept encrypted at
 * rest in the history database and replayed through the same decode pipeline as the live view.
 *
 * A row holds one `video-config` or `video-chunk` message body exactly as the protocol encodes it
 * (src/lib/protocol/messages.ts), sealed with AES-256-GCM under this browser's screen-recording
 * key: a non-extractable CryptoKey kept in IndexedDB, which no script can read out, so a copy of
 * the database alone does not show the screens. Each row's AAD binds the session id and the row's
 * place, so rows cannot be swapped between sessions or reordered unnoticed.
 *
 * Plain TypeScript with no DOM: the stream worker records, the replay worker reads, tests do both.
 */
import { openDB } from 'idb';
import { bufferSource, utf8 } from '../protocol/bytes';
import { decode, encode } from '../protocol/codec';
import { ProtocolError } from '../protocol/errors';
import { APPLICATION, type AppMessage } from '../protocol/messages';
import type { HistoryDb, RecordingRow } from './db';

export type RecordedMessage = Extract<AppMessage, { type: 'video-config' | 'video-chunk' }>;

const KEYS_DB = 'benchside-keys';
const KEY_NAME = 'screen-recording';

/**
 * This browser's screen-recording key, made on first use. Two tabs racing to make it both end up
 * with the one stored first.
 */
export async function screenRecordingKey(dbName = KEYS_DB): Promise<CryptoKey> {
	const db = await openDB(dbName, 1, {
		upgrade(d) {
			d.createObjectStore('keys');
		}
	});
	try {
		const stored = (await db.get('keys', KEY_NAME)) as CryptoKey | undefined;
		if (stored) return stored;
		const made = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, [
			'encrypt',
			'decrypt'
		]);
		await db.add('keys', made, KEY_NAME).catch(() => {});
		return (await db.get('keys', KEY_NAME)) as CryptoKey;
	} finally {
		db.close();
	}
}

function aad(sessionId: string, seq: number): Uint8Array<ArrayBuffer> {
	const id = utf8.encode(sessionId);
	const out = new Uint8Array(id.length + 4);
	out.set(id);
	new DataView(out.buffer).setUint32(id.length, seq);
	return out;
}

/** The protocol's own encoding of the message: type id, then its body. */
function plaintext(m: RecordedMessage): Uint8Array {
	const body = encode(
		APPLICATION[m.type].body as never,
		m as never,
		64 + ('data' in m ? m.data.length : 0)
	);
	const out = new Uint8Array(1 + body.length);
	out[0] = APPLICATION[m.type].id;
	out.set(body, 1);
	return out;
}

function parsePlaintext(bytes: Uint8Array): RecordedMessage {
	const id = bytes[0];
	const body = bytes.subarray(1);
	if (id === APPLICATION['video-config'].id)
		return { type: 'video-config', ...decode(APPLICATION['video-config'].body, body) };
	if (id === APPLICATION['video-chunk'].id)
		return { type: 'video-chunk', ...decode(APPLICATION['video-chunk'].body, body) };
	throw new ProtocolError('unknown-message', `recorded message type ${id}`);
}

export async function sealRow(
	key: CryptoKey,
	sessionId: string,
	seq: number,
	timestamp: number,
	m: RecordedMessage
): Promise<RecordingRow> {
	const iv = crypto.getRandomValues(new Uint8Array(12));
	const ciphertext = await crypto.subtle.encrypt(
		{ name: 'AES-GCM', iv, additionalData: aad(sessionId, seq) },
		key,
		bufferSource(plaintext(m))
	);
	return {
		sessionId,
		seq,
		kind: m.type === 'video-config' ? 'config' : 'chunk',
		key: m.type === 'video-config' || m.key,
		timestamp,
		iv,
		ciphertext: new Uint8Array(ciphertext)
	};
}

export type OpenRowResult = { ok: true; message: RecordedMessage } | { ok: false; seq: number };

/** Decrypts a row; a row that fails (altered, moved, another browser's key) is reported, not thrown. */
export async function openRow(key: CryptoKey, row: RecordingRow): Promise<OpenRowResult> {
	try {
		const plain = await crypto.subtle.decrypt(
			{ name: 'AES-GCM', iv: bufferSource(row.iv), additionalData: aad(row.sessionId, row.seq) },
			key,
			bufferSource(row.ciphertext)
		);
		const message = parsePlaintext(new Uint8Array(plain));
		if ((message.type === 'video-config') !== (row.kind === 'config')) throw new Error('kind');
		return { ok: true, message };
	} catch {
		return { ok: false, seq: row.seq };
	}
}

export type RecorderFailure = 'quota' | 'write-failed';

export interface ScreenRecorderOptions {
	db: HistoryDb;
	key: CryptoKey;
	sessionId: string;
	/** Rows are written at least this often: a crash loses at most this much video. */
	flushMs?: number;
	now?: () => number;
	onFailure?: (code: RecorderFailure) => void;
}

/**
 * Records one session's screen. `add()` takes each video message as the live view gets it;
 * recording starts at a config followed by a key frame (deltas before one are skipped, since
 * they could not be decoded on replay), and rows are written in batches, one transaction each.
 */
export class ScreenRecorder {
	readonly #o: Required<Omit<ScreenRecorderOptions, 'onFailure'>> &
		Pick<ScreenRecorderOptions, 'onFailure'>;
	#seq = 0;
	#started: number | null = null;
	#config: Extract<RecordedMessage, { type: 'video-config' }> | null = null;
	#configWritten = false;
	#pending: Promise<RecordingRow>[] = [];
	#writing: Promise<void> = Promise.resolve();
	#timer: ReturnType<typeof setInterval>;
	#stopped = false;
	#paused = false;
	/** Rows written so far. */
	written = 0;

	constructor(options: ScreenRecorderOptions) {
		this.#o = { flushMs: 250, now: Date.now, ...options };
		this.#timer = setInterval(() => void this.flush(), this.#o.flushMs);
	}

	/** Recording paused by the technician: nothing is added until `resume()`. */
	pause() {
		this.#paused = true;
		void this.flush();
	}

	/** Goes on from the next config and key frame (ask the agent for one). */
	resume() {
		this.#paused = false;
		this.#configWritten = false;
	}

	get paused() {
		return this.#paused;
	}

	get stopped() {
		return this.#stopped;
	}

	add(m: RecordedMessage) {
		if (this.#stopped) return;
		if (m.type === 'video-config') {
			this.#config = m;
			this.#configWritten = false;
			return;
		}
		if (this.#paused) return;
		if (!this.#configWritten) {
			if (!m.key || !this.#config) return;
			this.#push(this.#config);
			this.#configWritten = true;
		}
		this.#push(m);
	}

	#push(m: RecordedMessage) {
		const now = this.#o.now();
		this.#started ??= now;
		const row = sealRow(this.#o.key, this.#o.sessionId, this.#seq++, now - this.#started, m);
		row.catch(() => {});
		this.#pending.push(row);
	}

	/** Writes what is pending in one transaction: all of it or none. */
	flush(): Promise<void> {
		const batch = this.#pending;
		this.#pending = [];
		if (batch.length === 0) return this.#writing;
		this.#writing = this.#writing.then(async () => {
			try {
				const rows = await Promise.all(batch);
				const tx = this.#o.db.transaction('recordings', 'readwrite');
				await Promise.all([...rows.map((r) => tx.store.put(r)), tx.done]);
				this.written += rows.length;
			} catch (e) {
				this.#fail(
					e instanceof DOMException && e.name === 'QuotaExceededError' ? 'quota' : 'write-failed'
				);
			}
		});
		return this.#writing;
	}

	#fail(code: RecorderFailure) {
		if (this.#stopped) return;
		this.#stop();
		this.#o.onFailure?.(code);
	}

	#stop() {
		this.#stopped = true;
		clearInterval(this.#timer);
		this.#pending = [];
	}

	/** Writes what is left and stops. */
	async stop(): Promise<void> {
		if (this.#stopped) return this.#writing;
		clearInterval(this.#timer);
		await this.flush();
		this.#stop();
	}
}

export interface TimelineEntry {
	seq: number;
	kind: 'config' | 'chunk';
	key: boolean;
	/** Milliseconds from the start of the recording. */
	timestamp: number;
}

/** The rows of a session's recording without their video, in order (for seeking and duration). */
export async function recordingTimeline(
	db: HistoryDb,
	sessionId: string
): Promise<TimelineEntry[]> {
	const out: TimelineEntry[] = [];
	const range = IDBKeyRange.bound([sessionId, 0], [sessionId, Infinity]);
	let cursor = await db.transaction('recordings').store.openCursor(range);
	for (; cursor; cursor = await cursor.continue()) {
		const { seq, kind, key, timestamp } = cursor.value;
		out.push({ seq, kind, key, timestamp });
	}
	return out;
}

/** Rows `from`..`to` (inclusive) of a session's recording. */
export function recordingRows(
	db: HistoryDb,
	sessionId: string,
	from: number,
	to: number
): Promise<RecordingRow[]> {
	return db.getAll('recordings', IDBKeyRange.bound([sessionId, from], [sessionId, to]));
}

/** Whether a session has any recorded video. */
export async function hasRecording(db: HistoryDb, sessionId: string): Promise<boolean> {
	return (
		(await db.count('recordings', IDBKeyRange.bound([sessionId, 0], [sessionId, Infinity]))) > 0
	);
}
