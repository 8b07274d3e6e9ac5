import { afterEach, describe, expect, it } from 'vitest';
import { page } from 'vitest/browser';
import { generateIdentity } from '$lib/protocol/identity';
import {
	createRigWorld,
	WORLD_PASSWORD,
	shot,
	signInNewBrowser,
	startRig,
	type Rig
} from './console/harness';

// Connecting for real: the console's connect page, the live session's handshake in the stream
// worker, the mock relay and the instrument's agent (mocks/world.ts), all in this Chromium tab.
let rig: Rig | null = null;
const errors: string[] = [];
window.addEventListener('error', (e) => errors.push(e.message));

afterEach(async () => {
	await rig?.destroy();
	rig = null;
	expect(errors).toEqual([]);
});

async function connectTo(r: Rig, search: string, password: string) {
	await signInNewBrowser(r);
	await page.getByLabelText('Search').fill(search);
	await page.getByRole('listbox').getByRole('option').first().click();
	await page.getByLabelText('One-time password').fill(password);
	await page.getByRole('button', { name: 'Connect' }).click();
}

describe('connecting to an instrument through the mock world', () => {
	it('filters the fleet, picks the instrument and connects with the customer’s password', async () => {
		const { world, openSession } = await createRigWorld();
		rig = await startRig({ world, openSession });
		// As people type it: lower case, a space instead of the dash.
		await connectTo(rig, 'CX-3317', WORLD_PASSWORD.toLowerCase().replace('-', ' '));
		await expect
			.element(page.getByRole('heading', { name: 'Connected to Chemistry analyser CX-3317' }), {
				timeout: 20_000
			})
			.toBeVisible();
		await shot('connected');
	});

	it('stops with the warning when the broker’s key for the agent is not the agent’s', async () => {
		const { world, openSession } = await createRigWorld();
		const agent = world.agents.get('ins-3317')!;
		// The broker hands out another key under the agent's key id: someone in the middle.
		const impostor = await generateIdentity();
		world.broker.registerAgent('ins-3317', {
			publicKey: impostor.publicKey,
			keyId: agent.identity.keyId
		});
		rig = await startRig({ world, openSession });
		await connectTo(rig, 'CX-3317', WORLD_PASSWORD);
		const warning = page.getByTestId('agent-key-mismatch');
		await expect
			.element(warning, { timeout: 20_000 })
			.toHaveTextContent('Do not proceed — report this');
		await expect.element(page.getByRole('button', { name: 'Connect' })).not.toBeInTheDocument();
	});
});
