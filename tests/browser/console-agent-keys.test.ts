import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { recordRefusedConnection } from '$lib/history/record-live-session.svelte';
import { sessionEvents } from '$lib/history/journal';
import { eventText } from '$lib/history/timeline';
import { base64urlDecode, base64urlEncode } from '$lib/protocol/base64url';
import { fingerprint, generateIdentity } from '$lib/protocol/identity';
import type { OpenSessionRequest } from '$lib/session/types';
import { CONNECTED_HX2041, shot, signInNewBrowser, startRig, type Rig } from './console/harness';
import { scratchHistory } from './history/scratch';

const { freshDb } = scratchHistory('benchside-history-agent-keys');

// Key rotation memory (docs/protocol.md Part 1, "Pinning the agent key"): the console remembers
// the agent key it connected to and stops when the broker later shows another one. The live
// session is a stub that records what the console would pin; the broker is the reference one.
let rig: Rig | null = null;
const errors: string[] = [];
window.addEventListener('error', (e) => errors.push(e.message));

afterEach(async () => {
	await rig?.destroy();
	rig = null;
	expect(errors).toEqual([]);
});

function stubSession() {
	const requests: OpenSessionRequest[] = [];
	const openSession = async (req: OpenSessionRequest) => {
		requests.push(req);
		// As the relay would see a short session: the console came and left again, so the
		// agent is free for the next connection.
		rig?.broker.sessionConnected(req.sessionIdText);
		rig?.broker.endSession(req.sessionIdText);
		return CONNECTED_HX2041;
	};
	return { openSession, requests };
}

const title = 'Connected to Haematology analyser HX-2041';

async function connectTo(search: string) {
	await page.getByLabelText('Search').fill(search);
	await page.getByRole('listbox').getByRole('option').first().click();
	await page.getByLabelText('One-time password').fill('ABCD-EF23');
	await page.getByRole('button', { name: 'Connect', exact: true }).click();
}

async function backToFleet() {
	await page.getByRole('button', { name: 'Instruments' }).click();
	await expect.element(page.getByRole('heading', { name: 'Instruments' })).toBeVisible();
}

/** Connects once, so that this browser remembers the agent key of HX-2041. */
async function firstConnection(r: Rig) {
	await signInNewBrowser(r);
	await connectTo('HX-2041');
	await expect.element(page.getByRole('heading', { name: title })).toBeVisible();
	const known = await r.state.connect.knownKeys.get('ins-2041');
	expect(known).toMatchObject({ instrumentId: 'ins-2041', agentKeyId: 'agk-test-1' });
	await backToFleet();
	return known!;
}

describe('the agent key this browser connected to', () => {
	it('stops at an announced rotation, and connects with the new key after a recorded acknowledgement', async () => {
		const stub = stubSession();
		rig = await startRig({ openSession: stub.openSession });
		const known = await firstConnection(rig);

		const rotated = await generateIdentity();
		rig.broker.rotateAgentKey('ins-2041', { publicKey: rotated.publicKey, keyId: 'agk-test-2' });
		await connectTo('HX-2041');
		const warning = page.getByTestId('agent-key-rotated');
		await expect.element(warning).toHaveTextContent('This instrument’s identity key has changed');
		await expect.element(warning).toHaveTextContent('key substitution');
		await expect.element(warning).toHaveAttribute('role', 'alert');
		const oldPrint = await fingerprint(
			Uint8Array.from(atob(known.agentKey.replace(/-/g, '+').replace(/_/g, '/')), (c) =>
				c.charCodeAt(0)
			)
		);
		await expect.element(page.getByTestId('known-fingerprint')).toHaveTextContent(oldPrint);
		await expect
			.element(page.getByTestId('shown-fingerprint'))
			.toHaveTextContent(await fingerprint(rotated.publicKey));
		await expect
			.element(page.getByRole('button', { name: 'Connect', exact: true }))
			.not.toBeInTheDocument();
		expect(stub.requests).toHaveLength(1); // nothing went to the agent
		expect(await rig.state.connect.knownKeys.acknowledgements('ins-2041')).toEqual([]);
		await shot('connect-key-rotated');

		await page.getByRole('button', { name: 'The site confirmed this new key: connect' }).click();
		await expect.element(page.getByRole('heading', { name: title })).toBeVisible();
		expect(stub.requests).toHaveLength(2);
		expect(stub.requests[1]!.pinnedAgentKey).toEqual(rotated.publicKey);
		// The connection that pins it records the approval in its session history.
		expect(stub.requests[0]!.record?.keyAccepted).toBeUndefined();
		expect(stub.requests[1]!.record?.keyAccepted).toEqual({
			from: { agentKeyId: 'agk-test-1', fingerprint: oldPrint },
			to: { agentKeyId: 'agk-test-2', fingerprint: await fingerprint(rotated.publicKey) },
			rotatedAt: expect.any(String)
		});
		const [ack, ...more] = await rig.state.connect.knownKeys.acknowledgements('ins-2041');
		expect(stub.requests[1]!.record?.keyAccepted?.rotatedAt).toBe(ack!.rotatedAt);
		expect(more).toEqual([]);
		expect(ack).toMatchObject({
			instrumentId: 'ins-2041',
			technicianId: 'tech-0001',
			from: { agentKeyId: 'agk-test-1', agentKey: known.agentKey },
			to: { agentKeyId: 'agk-test-2', agentKey: base64urlEncode(rotated.publicKey) }
		});
		expect(await rig.state.connect.knownKeys.get('ins-2041')).toMatchObject({
			agentKeyId: 'agk-test-2',
			agentKey: base64urlEncode(rotated.publicKey)
		});

		// From now on the new key is simply the known one.
		await backToFleet();
		await connectTo('HX-2041');
		await expect.element(page.getByRole('heading', { name: title })).toBeVisible();
		expect(stub.requests).toHaveLength(3);
	});

	it('refuses a swapped key that no rotation announces: do not proceed, no way on', async () => {
		const stub = stubSession();
		const history = await freshDb();
		rig = await startRig({
			openSession: stub.openSession,
			recordRefusal: async (refused) => void (await recordRefusedConnection(history, refused))
		});
		const known = await firstConnection(rig);

		const impostor = await generateIdentity();
		rig.broker.registerAgent('ins-2041', { publicKey: impostor.publicKey, keyId: 'agk-test-1' });
		await connectTo('HX-2041');
		const warning = page.getByTestId('agent-key-substituted');
		await expect.element(warning).toHaveTextContent('Do not proceed — report this.');
		await expect.element(warning).toHaveTextContent('key substitution by the broker');
		await expect
			.element(page.getByTestId('shown-fingerprint'))
			.toHaveTextContent(await fingerprint(impostor.publicKey));
		await expect
			.element(page.getByRole('button', { name: 'Connect', exact: true }))
			.not.toBeInTheDocument();
		await expect
			.element(page.getByRole('button', { name: /confirmed this new key/ }))
			.not.toBeInTheDocument();
		await shot('connect-key-substituted');
		expect(stub.requests).toHaveLength(1);

		// The refusal is in session history (and so bound for the broker's audit trail): a
		// failed session of the one the broker created, with both keys' fingerprints.
		const [session, ...others] = await history.getAll('sessions');
		expect(others).toEqual([]);
		expect(session).toMatchObject({
			instrumentId: 'ins-2041',
			technicianId: 'tech-0001',
			technicianName: 'Camille Martin',
			outcome: 'failed'
		});
		const events = await sessionEvents(history, session!.id);
		expect(events.map((e) => e.type)).toEqual(['connect-attempt', 'connect-failed', 'end']);
		expect(events[1]!.data).toEqual({
			code: 'agent-key-substituted',
			message:
				`known key agk-test-1 (${await fingerprint(base64urlDecode(known.agentKey)!)}), ` +
				`the broker showed agk-test-1 (${await fingerprint(impostor.publicKey)})`
		});
		expect(eventText(events[1]!)).toContain('the broker showed another identity key');
		expect(await history.count('outbox')).toBeGreaterThan(0);
		expect(await rig.state.connect.knownKeys.get('ins-2041')).toMatchObject({
			agentKeyId: 'agk-test-1'
		});
	});
});
