import { afterEach, describe, expect, it } from 'vitest';
import { cdp, page } from 'vitest/browser';
import { locale } from '$lib/i18n';
import {
	CAMILLE,
	openAccount,
	shot,
	signInNewBrowser,
	signInWithPassword,
	signOut,
	startRig,
	type Rig
} from './console/harness';

// Passkeys end to end in real Chromium: the console's account menu and sign-in against the
// reference broker, with Chromium's virtual authenticator (DevTools protocol, WebAuthn domain)
// standing in for the laptop's platform authenticator.
let rig: Rig | null = null;
let authenticatorId: string | null = null;
const errors: string[] = [];
window.addEventListener('error', (e) => errors.push(e.message));

interface VirtualCredential {
	credentialId: string;
	rpId: string;
	signCount: number;
	isResidentCredential: boolean;
}

async function virtualAuthenticator(): Promise<string> {
	const session = cdp();
	await session.send('WebAuthn.enable', { enableUI: false });
	const reply = (await session.send('WebAuthn.addVirtualAuthenticator', {
		options: {
			protocol: 'ctap2',
			transport: 'internal',
			hasResidentKey: true,
			hasUserVerification: true,
			isUserVerified: true
		}
	})) as { authenticatorId: string };
	return reply.authenticatorId;
}

async function credentials(): Promise<VirtualCredential[]> {
	const reply = (await cdp().send('WebAuthn.getCredentials', {
		authenticatorId: authenticatorId!
	})) as {
		credentials: VirtualCredential[];
	};
	return reply.credentials;
}

afterEach(async () => {
	await rig?.destroy();
	rig = null;
	if (authenticatorId) {
		await cdp().send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
		authenticatorId = null;
	}
	await cdp().send('WebAuthn.disable');
	expect(errors).toEqual([]);
});

describe('passkeys', () => {
	it('registers a passkey from the account menu, then signs in with password + passkey', async () => {
		authenticatorId = await virtualAuthenticator();
		rig = await startRig();
		await signInNewBrowser(rig);
		expect(await credentials()).toEqual([]);

		await openAccount();
		await page.getByRole('button', { name: 'Add a passkey' }).click();
		await expect
			.element(page.getByTestId('passkey-status'))
			.toHaveTextContent(
				'Passkey added. Next time you can confirm your sign-in with it instead of a code.'
			);
		await shot('passkey-added');
		const [made] = await credentials();
		expect(made).toMatchObject({ rpId: location.hostname, isResidentCredential: true });

		await signOut();
		await signInWithPassword();
		await expect.element(page.getByRole('heading', { name: 'Confirm it is you' })).toBeVisible();
		const usePasskey = page.getByRole('button', { name: 'Use a security key or passkey' });
		await expect.element(usePasskey).toBeVisible();
		await shot('passkey-second-factor');
		await usePasskey.click();
		await expect.element(page.getByRole('heading', { name: 'Instruments' })).toBeVisible();
		await expect
			.element(page.getByRole('button', { name: `Signed in as ${CAMILLE.name}` }))
			.toBeVisible();
		// The authenticator signed once more than at registration: the broker saw the counter grow.
		const [used] = await credentials();
		expect(used!.credentialId).toBe(made!.credentialId);
		expect(used!.signCount).toBeGreaterThan(made!.signCount);
	});

	it('shows the translated notice when the passkey ceremony is cancelled, and TOTP still works', async () => {
		authenticatorId = await virtualAuthenticator();
		rig = await startRig();
		await signInNewBrowser(rig);
		await openAccount();
		await page.getByRole('button', { name: 'Add a passkey' }).click();
		await expect.element(page.getByTestId('passkey-status')).toHaveTextContent('Passkey added.');
		await signOut();
		await signInWithPassword();
		// The passkey is gone from the authenticator: the browser's request ends without one.
		await cdp().send('WebAuthn.clearCredentials', { authenticatorId });
		await page.getByRole('button', { name: 'Use a security key or passkey' }).click();
		await expect
			.element(page.getByTestId('signin-notice'))
			.toHaveTextContent('The security key request was cancelled or timed out.');
		await expect.element(page.getByRole('heading', { name: 'Confirm it is you' })).toBeVisible();
		await shot('passkey-cancelled');
		// Kept as a code, so it reads again in the other language.
		locale.set('fr');
		await expect
			.element(page.getByTestId('signin-notice'))
			.toHaveTextContent('La demande à la clé de sécurité a été annulée ou a expiré.');
		locale.set('en');
		await page.getByLabelText('Authentication code').fill(rig.nextTotp());
		await page.getByRole('button', { name: 'Confirm' }).click();
		await expect.element(page.getByRole('heading', { name: 'Instruments' })).toBeVisible();
	});
});
