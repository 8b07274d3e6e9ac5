/**
 * File names from a peer (docs/protocol.md, "Files"): the one function both the console's worker
 * and the agent pass every offered or requested name through before showing or storing it.
 */
import { describe, expect, it } from 'vitest';
import { safeFileName } from '../../src/lib/protocol/filenames';

describe('file names from a peer', () => {
	it('reduce any path to its last component, never . or .., with no traversal left', () => {
		const cases: [string, string][] = [
			['../../etc/passwd', 'passwd'],
			['..\\..\\Windows\\System32\\drivers\\etc\\hosts', 'hosts'],
			['C:\\Users\\lab\\export.csv', 'export.csv'],
			['/absolute/path/run.log', 'run.log'],
			['..hidden', '_hidden'],
			['report\u202etxt.exe', 'reporttxt.exe'],
			['<img src=x onerror=alert(1)>.cfg', '_img src=x onerror=alert(1)_.cfg']
		];
		for (const [raw, clean] of cases)
			expect(safeFileName(raw), raw).toEqual({ ok: true, name: clean });
		for (const raw of ['..', '.', '../', 'a/..', 'dir/', '\u202e'])
			expect(safeFileName(raw), raw).toEqual({ ok: false, reason: 'empty' });
		expect(safeFileName('CON.txt')).toEqual({ ok: false, reason: 'reserved' });
	});
});
