/**
 * Service reports as the files a reviewer downloads: the ticket number set on the page is stored
 * on the session row and appears in the report; the JSON and CSV bytes are checked field by
 * field; a bulk export of a date range holds exactly the sessions started in it.
 */
import { describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { mount, unmount } from 'svelte';
import '../../src/app.css';
import { withIndexKeys } from '$lib/history/db';
import { bulkExport, csvField } from '$lib/history/report';
import SessionHistory from '$lib/history/ui/SessionHistory.svelte';
import { START, seedSession } from './history/seed';
import { scratchHistory } from './history/scratch';

const { cleanups, freshDb } = scratchHistory('history-export');

/** Catches what the page hands to the browser's downloads. */
function captureDownloads() {
	const files: { name: string; blob: Blob }[] = [];
	const create = URL.createObjectURL;
	const click = HTMLAnchorElement.prototype.click;
	let last: Blob | null = null;
	URL.createObjectURL = (blob: Blob | MediaSource) => {
		last = blob as Blob;
		return 'blob:captured';
	};
	HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
		if (last) files.push({ name: this.download, blob: last });
	};
	cleanups.push(() => {
		URL.createObjectURL = create;
		HTMLAnchorElement.prototype.click = click;
	});
	return files;
}

const iso = (t: number) => new Date(t).toISOString();

describe('service reports', () => {
	it('downloads one session as JSON and CSV with its ticket, consents and files', async () => {
		const db = await freshDb();
		const { sessionId } = await seedSession(db, { names: true });
		const files = captureDownloads();
		const target = document.createElement('div');
		document.body.append(target);
		const app = mount(SessionHistory, { target, props: { db, sessionId } });
		cleanups.push(
			() => unmount(app),
			() => target.remove()
		);

		await page.getByLabelText('Ticket number').fill('INC-20417');
		await page.getByRole('button', { name: 'Save ticket' }).click();
		await expect.element(page.getByText('Ticket number saved.')).toBeVisible();
		expect((await db.get('sessions', sessionId))?.ticket).toBe('INC-20417');
		await expect.element(page.getByTestId('ticket')).toHaveTextContent('INC-20417');
		// A line break is not a ticket number: refused, and the stored one stays.
		await page.getByLabelText('Ticket number').fill('=cmd|x\u0007');
		await page.getByRole('button', { name: 'Save ticket' }).click();
		await expect
			.element(page.getByText('A ticket number is at most 64 characters, on one line.'))
			.toBeVisible();
		expect((await db.get('sessions', sessionId))?.ticket).toBe('INC-20417');

		await page.getByRole('button', { name: 'Download JSON' }).click();
		await page.getByRole('button', { name: 'Download CSV' }).click();
		await expect.poll(() => files.length).toBe(2);
		expect(files.map((f) => f.name)).toEqual([
			'benchside-CX5-17-0042-2026-03-14.json',
			'benchside-CX5-17-0042-2026-03-14.csv'
		]);
		const session = (await db.get('sessions', sessionId))!;

		const json = JSON.parse(await files[0]!.blob.text());
		expect(files[0]!.blob.type).toBe('application/json');
		expect(json).toMatchObject({
			format: 'benchside-service-report',
			version: 1,
			session: {
				sessionId,
				instrumentId: 'ins-3317',
				serial: 'CX5-17-0042',
				site: 'Zentrallabor Basel',
				technicianId: 'tech-camille',
				ticket: 'INC-20417',
				startedAt: iso(START + 1500),
				endedAt: iso(session.endedAt!),
				durationMs: session.endedAt! - session.startedAt,
				outcome: 'completed',
				capabilities: ['control'],
				instrumentName: 'Chemistry analyser CX-5042',
				model: 'CX-500',
				technicianName: 'Camille Martin'
			},
			chain: { intact: true, events: 14 },
			consents: [
				{
					event: 3,
					capability: 'control',
					answer: 'granted',
					scope: 'session',
					signed: true,
					verifiedDuringSession: true
				}
			],
			files: [
				{
					transferId: 1,
					name: 'pump.log',
					direction: 'download',
					size: 20480,
					sha256: 'ab'.repeat(32),
					state: 'done'
				},
				{
					transferId: 2,
					name: 'firmware-fix.cfg',
					direction: 'upload',
					size: 812,
					sha256: 'cd'.repeat(32),
					state: 'done'
				}
			]
		});
		expect(json.events).toHaveLength(14);
		expect(json.events[5]).toMatchObject({
			seq: 5,
			type: 'chat',
			data: { text: 'The pump makes a clicking noise.' }
		});

		const csv = new Uint8Array(await files[1]!.blob.arrayBuffer());
		expect([...csv.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 BOM
		const lines = new TextDecoder().decode(csv).split('\r\n');
		// A random id may begin with '-': the report neutralises it as a would-be formula.
		const idCell = sessionId.startsWith('-') ? `'${sessionId}` : sessionId;
		const s = `${idCell},CX5-17-0042,ins-3317,Zentrallabor Basel,tech-camille,INC-20417,${iso(session.startedAt)},${iso(session.endedAt!)},${Math.round((session.endedAt! - session.startedAt) / 1000)},completed,control,Chemistry analyser CX-5042,CX-500,Camille Martin`;
		expect(lines).toEqual([
			'session_id,serial,instrument_id,site,technician,ticket,started_at,ended_at,duration_s,outcome,capabilities,instrument_name,model,technician_name,item,event,at,capability,answer,signed,file,direction,size,sha256,state',
			`${s},session,,,,,,,,,,`,
			`${s},consent,4,${json.consents[0].at},control,granted,true,,,,,`,
			`${s},file,,${json.files[0].at},,,,pump.log,download,20480,${'ab'.repeat(32)},done`,
			`${s},file,,${json.files[1].at},,,,firmware-fix.cfg,upload,812,${'cd'.repeat(32)},done`,
			''
		]);
	});

	it('quotes CSV fields and defuses spreadsheet formulas', () => {
		expect(csvField('plain')).toBe('plain');
		expect(csvField('a,b')).toBe('"a,b"');
		expect(csvField('say "hi"')).toBe('"say ""hi"""');
		expect(csvField('two\nlines')).toBe('"two\nlines"');
		expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
		expect(csvField('-2+3')).toBe("'-2+3");
		expect(csvField(-2)).toBe('-2');
		expect(csvField(null)).toBe('');
	});

	it('exports a date range in bulk: exactly the sessions started in it', async () => {
		const db = await freshDb();
		const day = 86_400_000;
		const tx = db.transaction('sessions', 'readwrite');
		for (let i = 0; i < 450; i++) {
			void tx.store.put(
				withIndexKeys({
					id: `b-${String(i).padStart(3, '0')}`,
					instrumentId: 'ins-1',
					serial: `SN,${i}`,
					site: 'Lyon',
					technicianId: 't1',
					// Three sessions share each start time: pages must not lose or repeat them.
					startedAt: START + Math.floor(i / 3) * (day / 10),
					endedAt: null,
					outcome: 'open',
					capabilities: []
				})
			);
		}
		await tx.done;
		const from = START + 5 * day;
		const to = START + 12 * day - 1;
		const inRange = (await db.getAll('sessions')).filter(
			(s) => s.startedAt >= from && s.startedAt <= to
		);
		expect(inRange.length).toBe(210);

		const csv = await bulkExport(db, 'csv', from, to);
		expect(csv.sessions).toBe(210);
		const rows = csv.parts.join('').split('\r\n').slice(1, -1);
		expect(rows).toHaveLength(210);
		expect(rows.map((r) => r.split(',')[0]).sort()).toEqual(inRange.map((s) => s.id).sort());
		// The comma in the serial is quoted, so the columns stay in place.
		expect(rows[0]).toMatch(/^b-\d{3},"SN,\d+",ins-1,Lyon,t1,,/);

		const json = JSON.parse((await bulkExport(db, 'json', from, to, START)).parts.join(''));
		expect(json).toMatchObject({
			format: 'benchside-service-report',
			from: iso(from),
			to: iso(to)
		});
		expect(
			json.sessions.map((s: { session: { sessionId: string } }) => s.session.sessionId).sort()
		).toEqual(inRange.map((s) => s.id).sort());
	});
});
