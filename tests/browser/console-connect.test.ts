import { http, HttpResponse } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { sessionEvents } from '$lib/history/journal';
import { eventText } from '$lib/history/timeline';
import type { OpenSessionRequest, OpenSessionResult } from '$lib/session/types';
import { base64urlEncode } from '$lib/protocol/base64url';
import {
	CONNECTED_HX2041,
	shot,
	signInNewBrowser,
	startRig,
	worker,
	type Rig
} from './console/harness';

// Connecting: the broker part is the reference broker; the live session (the handshake in the
// stream worker) is replaced by a stub that answers what the agent would.
let rig: Rig | null = null;
const errors: string[] = [];
window.addEventListener('error', (e) => errors.push(e.message));

afterEach(async () => {
	await rig?.destroy();
	rig = null;
	expect(errors).toEqual([]);
});

function stubSession(...answers: OpenSessionResult[]) {
	const requests: OpenSessionRequest[] = [];
	const openSession = async (req: OpenSessionRequest) => {
		requests.push(req);
		const answer = answers.shift() ?? {
			ok: false,
			failure: { code: 'socket-closed', message: '' }
		};
		// As the relay would: the console arrived, and a failed handshake ends the session.
		rig?.broker.sessionConnected(req.sessionIdText);
		if (!answer.ok) rig?.broker.endSession(req.sessionIdText);
		return answer;
	};
	return { openSession, requests };
}

async function openConnect(r: Rig, instrument: string) {
	await signInNewBrowser(r);
	await page.getByLabelText('Search').fill(instrument);
	await page.getByRole('listbox').getByRole('option').first().click();
	await expect
		.element(page.getByRole('heading', { name: 'Connect to an instrument' }))
		.toBeVisible();
}

const failure = () => page.getByTestId('connect-failure');
const password = () => page.getByLabelText('One-time password');
const connectButton = () => page.getByRole('button', { name: 'Connect' });

describe('connecting to an instrument', () => {
	it('opens a session with the pinned agent key and the device key, then shows it', async () => {
		const stub = stubSession(CONNECTED_HX2041);
		rig = await startRig({ openSession: stub.openSession });
		await openConnect(rig, 'HX-2041');
		await expect.element(page.getByTestId('connect-instrument')).toHaveTextContent('PHI');
		// What was done on it before: this device's history, filtered to it.
		await expect
			.element(page.getByRole('link', { name: 'Sessions with this instrument on this device' }))
			.toHaveAttribute('href', '/history?instrument=ins-2041');
		await password().fill('abcd ef23');
		await shot('connect');
		await connectButton().click();
		await expect
			.element(page.getByRole('heading', { name: 'Connected to Haematology analyser HX-2041' }))
			.toBeVisible();

		const [req] = stub.requests;
		const record = rig.broker.listInstruments(rig.state.broker.accessTokenForRelay(), {});
		const pinned = record.ok && record.body.instruments.find((i) => i.id === 'ins-2041')!.agentKey;
		expect(base64urlEncode(req!.pinnedAgentKey)).toBe(pinned);
		expect(req!.instrumentId).toBe('ins-2041');
		expect(req!.password).toBe('abcd ef23');
		expect(req!.relayUrl).toBe(`wss://relay.benchside.test/relay/v1/${req!.sessionIdText}`);
		expect(req!.accessToken).toBe(rig.state.broker.accessTokenForRelay());
		expect(req!.device.privateKey.extractable).toBe(false);
		expect(req!.technicianId).toBe('tech-0001');
		// What history keeps of the instrument and the technician, as the broker lists them.
		expect(req!.record).toEqual({
			serial: 'HX5-21-02041',
			site: 'CHU Lyon Sud, Laboratoire central',
			instrumentName: 'Haematology analyser HX-2041',
			model: 'HX-5000',
			technicianName: 'Camille Martin'
		});
	});

	it('stops at an agent identity mismatch with a warning and no way to retry', async () => {
		const stub = stubSession({
			ok: false,
			failure: { code: 'agent-key-mismatch', message: 'agent key is not the pinned one' }
		});
		rig = await startRig({ openSession: stub.openSession });
		await openConnect(rig, 'CX-3317');
		await password().fill('ABCD-EF23');
		await connectButton().click();
		const warning = page.getByTestId('agent-key-mismatch');
		await expect.element(warning).toHaveTextContent('Do not proceed — report this');
		await expect.element(warning).toHaveAttribute('role', 'alert');
		await expect.element(connectButton()).not.toBeInTheDocument();
		await shot('connect-agent-key-mismatch');
	});

	it('explains a wrong password with the wait, then a replaced password', async () => {
		const stub = stubSession(
			{ ok: false, failure: { code: 'key-confirmation', message: '', retryAfterMs: 2000 } },
			{ ok: false, failure: { code: 'password-replaced', message: '' } }
		);
		rig = await startRig({ openSession: stub.openSession });
		await openConnect(rig, 'CX-3317');
		await password().fill('ABCD-EF23');
		await connectButton().click();
		await expect.element(failure()).toHaveTextContent(/Wrong password.*try again in 2 seconds\./);
		await expect.element(connectButton()).toBeDisabled();
		await shot('connect-wrong-password');
		await expect.element(failure(), { timeout: 4000 }).toHaveTextContent('You can try again now.');
		await connectButton().click();
		await expect
			.element(failure())
			.toHaveTextContent(
				'The password was replaced after too many attempts: ask the customer for the new one.'
			);
		await expect.element(password()).toHaveValue('');
	});

	it('explains an offline instrument, an unreachable broker and a mistyped password', async () => {
		rig = await startRig({ openSession: stubSession().openSession });
		await openConnect(rig, 'IA-7702');
		await password().fill('ABCD-EF2');
		await connectButton().click();
		await expect
			.element(failure())
			.toHaveTextContent('The password has 8 letters and digits, like ABCD-EF23.');
		await password().fill('ABCD-EF23');
		await connectButton().click();
		await expect.element(failure()).toHaveTextContent('The instrument is offline.');

		worker.use(http.post('/api/v1/sessions', () => HttpResponse.error()));
		await page.getByLabelText('Instrument ID or serial').fill('CX9-19-03317');
		await connectButton().click();
		await expect
			.element(failure())
			.toHaveTextContent('The broker cannot be reached. Check the network and try again.');

		// Both requests are in the history as failed sessions, the mistyped password (never
		// sent) is not: every connection request is logged, under a local id where the broker
		// made no session.
		const sessions = (await rig.history.getAll('sessions')).sort(
			(a, b) => a.startedAt - b.startedAt
		);
		expect(sessions.map((s) => [s.instrumentId, s.serial, s.outcome])).toEqual([
			['ins-7702', 'IA8-20-07702', 'failed'],
			['ins-3317', 'CX9-19-03317', 'failed']
		]);
		expect(sessions.every((s) => /^local-[0-9a-f-]{36}$/.test(s.id))).toBe(true);
		const refused = await Promise.all(
			sessions.map(async (s) => (await sessionEvents(rig!.history, s.id))[1]!)
		);
		expect(refused.map((e) => [e.type, e.data])).toEqual([
			['request-refused', { code: 'instrument-offline', status: 409 }],
			['request-refused', { code: 'unreachable', status: null }]
		]);
		expect(refused.map(eventText)).toEqual([
			'The broker did not open the session: The instrument is offline. (instrument-offline)',
			'The broker did not open the session: The broker cannot be reached. Check the network ' +
				'and try again. (unreachable)'
		]);
	});
});
