/**
 * The instrument PC's files, as far as a support session sees them: exports the technician
 * may download, uploads received (kept whole, or partial for a resume), all checked by SHA-256.
 */
import { concat, utf8 } from '../../src/lib/protocol/bytes';
import { sha256 } from '../../src/lib/protocol/kdf';

export interface StoredFile {
	name: string;
	mime: string;
	data: Uint8Array;
}

export interface Upload {
	name: string;
	size: number;
	sha256: Uint8Array;
	received: Uint8Array[];
	receivedBytes: number;
}

function eventLog(instrument: string, lines: number): Uint8Array {
	const out: string[] = [];
	const t0 = Date.UTC(2026, 10, 28, 6, 0, 0);
	const events = [
		'INFO  Daily QC passed (level 1, 2, 3)',
		'WARN  Reagent R2 below 15 %',
		'INFO  Sample rack 14 loaded',
		'ERROR Aspiration pressure out of range, probe 2',
		'INFO  Probe 2 wash cycle completed'
	];
	for (let i = 0; i < lines; i++) {
		const at = new Date(t0 + i * 37_000).toISOString();
		out.push(`${at} ${instrument} ${events[i % events.length]}`);
	}
	return utf8.encode(out.join('\n') + '\n');
}

export class AgentFiles {
	readonly downloads: StoredFile[];
	/** Completed uploads by name, and partial ones kept for a resume. */
	readonly received = new Map<string, StoredFile>();
	readonly partial = new Map<string, Upload>();

	constructor(instrumentName: string) {
		this.downloads = [
			{
				name: 'event-log-2026-11-28.txt',
				mime: 'text/plain',
				data: eventLog(instrumentName, 4000)
			},
			{
				name: 'analyser.cfg',
				mime: 'text/plain',
				data: utf8.encode(
					'[probe]\naspiration_ul=12.5\nwash_cycles=2\n[optics]\ngain=1.08\nlaser_mw=20\n'
				)
			}
		];
	}

	/**
	 * Exports whose names a hostile or broken agent might send: path separators, traversal,
	 * control and bidi characters, HTML. The console must show and save them inert.
	 */
	addHostileNames() {
		const names = [
			'../../../etc/passwd',
			'C:\\Windows\\System32\\drivers\\etc\\hosts',
			'invoice\u202Efdp.exe',
			'<img src=x onerror="document.title=\'pwned\'">.txt',
			'bell\u0007and\nnewline.log'
		];
		for (const name of names) {
			if (this.download(name)) continue;
			this.downloads.push({ name, mime: 'text/plain', data: utf8.encode(`hostile: ${name}\n`) });
		}
	}

	download(name: string): StoredFile | undefined {
		return this.downloads.find((f) => f.name === name);
	}

	/** Where a new upload of this file resumes: the bytes kept from an earlier attempt. */
	resumeOffset(name: string, size: number, hash: Uint8Array): number {
		const p = this.partial.get(name);
		if (!p || p.size !== size || p.sha256.some((b, i) => b !== hash[i])) return 0;
		return p.receivedBytes;
	}

	startUpload(name: string, size: number, hash: Uint8Array): Upload {
		const offset = this.resumeOffset(name, size, hash);
		const upload =
			offset > 0
				? this.partial.get(name)!
				: { name, size, sha256: hash, received: [], receivedBytes: 0 };
		this.partial.set(name, upload);
		return upload;
	}

	/** Completes an upload; resolves to the SHA-256 of what arrived. */
	async finishUpload(upload: Upload, mime: string): Promise<Uint8Array> {
		const data = concat(...upload.received);
		const hash = await sha256(data);
		this.partial.delete(upload.name);
		this.received.set(upload.name, { name: upload.name, mime, data });
		return hash;
	}
}
