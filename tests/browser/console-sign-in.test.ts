import { afterEach, describe, expect, it } from 'vitest';
import { page, userEvent } from 'vitest/browser';
import { locale } from '$lib/i18n';
import {
	CAMILLE,
	enterCode,
	shot,
	signInNewBrowser,
	signInWithPassword,
	signOut,
	startRig,
	worker,
	type Rig
} from './console/harness';

// Sign-in end to end in real Chromium: the console's components against the reference broker
// (MSW in this tab). The e2e layer drives the production build, which has no mock broker.
let rig: Rig | null = null;
const errors: string[] = [];
const onError = (e: ErrorEvent) => errors.push(e.message);
window.addEventListener('error', onError);

afterEach(async () => {
	await rig?.destroy();
	rig = null;
	locale.set('en');
	expect(errors).toEqual([]);
});

describe('signing in to the console', () => {
	it('registers a new browser, waits for approval, then signs in with a TOTP code', async () => {
		rig = await startRig();
		await signInNewBrowser(rig, true);
		expect(rig.state.auth.technician?.name).toBe(CAMILLE.name);
		await expect
			.element(page.getByRole('button', { name: `Signed in as ${CAMILLE.name}` }))
			.toBeVisible();
		await expect.element(page.getByTestId('fleet-count')).toHaveTextContent('10 of 10 instruments');
		await shot('fleet');

		// The device key: in IndexedDB, registered, approved, and never readable.
		const device = await rig.state.auth.devices.load();
		expect(device?.privateKey.extractable).toBe(false);
		expect(device?.publicKey.length).toBe(65);
		expect(rig.broker.deviceStatus(device!.deviceId).body).toEqual({
			deviceId: device!.deviceId,
			status: 'approved'
		});

		await signOut();
		await expect.element(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
		await expect
			.element(page.getByTestId('signin-notice'))
			.toHaveTextContent('You are signed out.');
		expect(rig.state.broker.accessTokenForRelay()).toBeNull();
	});

	it('refuses a TOTP code that was already used', async () => {
		rig = await startRig();
		await signInNewBrowser(rig);
		const used = rig.broker.currentTotp(CAMILLE.email)!;
		await signOut();
		await signInWithPassword();
		await enterCode(rig, used);
		await expect
			.element(page.getByTestId('signin-notice'))
			.toHaveTextContent('That code was already used. Wait for the next one.');
		await expect.element(page.getByRole('heading', { name: 'Confirm it is you' })).toBeVisible();
		await shot('totp-reused');
		await enterCode(rig);
		await expect.element(page.getByRole('heading', { name: 'Instruments' })).toBeVisible();
	});

	it('folds the account actions under the name: opens, and closes by Escape, a click away or Tab', async () => {
		rig = await startRig();
		await signInNewBrowser(rig);
		const toggle = page.getByRole('button', { name: `Signed in as ${CAMILLE.name}` });
		const signOutButton = page.getByRole('button', { name: 'Sign out' });
		await expect.element(toggle).toHaveTextContent(CAMILLE.name);
		await expect.element(toggle).toHaveAttribute('aria-expanded', 'false');
		expect(signOutButton.elements()).toHaveLength(0);

		await toggle.click();
		await expect.element(toggle).toHaveAttribute('aria-expanded', 'true');
		await expect.element(page.getByLabelText('Lock when idle after')).toBeVisible();
		await expect.element(page.getByRole('button', { name: 'Add a passkey' })).toBeVisible();
		await expect.element(signOutButton).toBeVisible();
		await shot('account-menu');
		// Escape from inside it folds it and gives the focus back to the name.
		(page.getByLabelText('Lock when idle after').element() as HTMLElement).focus();
		await userEvent.keyboard('{Escape}');
		await expect.element(toggle).toHaveAttribute('aria-expanded', 'false');
		expect(document.activeElement).toBe(toggle.element());

		// A click elsewhere on the page folds it.
		await toggle.click();
		await expect.element(signOutButton).toBeVisible();
		await page.getByRole('heading', { name: 'Instruments' }).click();
		await expect.element(toggle).toHaveAttribute('aria-expanded', 'false');

		// Tab walks through it, and on past its last button folds it.
		await toggle.click();
		await userEvent.tab();
		expect(document.activeElement).toBe(page.getByLabelText('Lock when idle after').element());
		await userEvent.tab();
		await userEvent.tab();
		expect(document.activeElement).toBe(signOutButton.element());
		await expect.element(toggle).toHaveAttribute('aria-expanded', 'true');
		await userEvent.tab();
		await expect.element(toggle).toHaveAttribute('aria-expanded', 'false');
	});

	it('shows how long to wait after too many wrong passwords', async () => {
		rig = await startRig();
		await signInWithPassword('not-the-password');
		const notice = page.getByTestId('signin-notice');
		await expect.element(notice).toHaveTextContent('E-mail address or password is wrong.');
		for (let i = 0; i < 4; i++) {
			await page.getByRole('button', { name: 'Sign in' }).click();
			await expect.element(notice).toHaveTextContent('E-mail address or password is wrong.');
		}
		// The sixth attempt meets the broker's limit: 5 failures per 15 minutes.
		await page.getByRole('button', { name: 'Sign in' }).click();
		await expect.element(notice).toHaveTextContent(/Too many attempts\. Try again in 15 minutes\./);
		await expect.element(page.getByRole('button', { name: 'Sign in' })).toBeDisabled();
		await shot('rate-limited');
	});

	it('keeps the access token out of every storage the page has', async () => {
		rig = await startRig();
		let token = '';
		// MSW reports a response after the page has it, and its body is read after that: on a
		// busy machine the page may be signed in first (CI once read no token). So the listener
		// stays until the token has been read.
		const reads: Promise<void>[] = [];
		const capture = ({ request, response }: { request: Request; response: Response }) => {
			if (!request.url.endsWith('/api/v1/auth/totp')) return;
			reads.push(
				response
					.clone()
					.json()
					.then((body: { accessToken?: string }) => {
						if (body.accessToken) token = body.accessToken;
					})
			);
		};
		worker.events.on('response:mocked', capture);
		try {
			await signInNewBrowser(rig);
			await expect
				.poll(async () => {
					await Promise.all(reads);
					return token;
				})
				.toMatch(/^[A-Za-z0-9._~-]{16,}$/);
		} finally {
			worker.events.removeListener('response:mocked', capture);
		}
		expect(rig.state.broker.accessTokenForRelay()).toBe(token);

		const stored: string[] = [document.cookie];
		for (const store of [localStorage, sessionStorage]) {
			for (let i = 0; i < store.length; i++) {
				stored.push(`${store.key(i)}=${store.getItem(store.key(i)!)}`);
			}
		}
		for (const { name } of await indexedDB.databases()) {
			stored.push(...(await dumpDatabase(name!)));
		}
		expect(stored.length).toBeGreaterThan(1);
		expect(stored.filter((s) => s.includes(token))).toEqual([]);
	});

	it('locks when idle, asks for the password, and keeps the page as it was', async () => {
		rig = await startRig();
		await signInNewBrowser(rig);
		await page.getByLabelText('Search').fill('lyon');
		await expect.element(page.getByTestId('fleet-count')).toHaveTextContent('1 of 10 instruments');

		rig.state.idle.setTimeoutMs(300);
		const dialog = page.getByRole('dialog', { name: 'Console locked' });
		await expect.element(dialog).toBeVisible();
		expect(document.querySelector('[data-testid="page"]')?.hasAttribute('inert')).toBe(true);
		await expect.element(page.getByLabelText('Password')).toHaveFocus();
		await shot('idle-lock');

		await userEvent.type(page.getByLabelText('Password'), 'wrong{Enter}');
		await expect.element(dialog).toHaveTextContent('E-mail address or password is wrong.');
		rig.state.idle.setTimeoutMs(60_000);
		await userEvent.type(page.getByLabelText('Password'), `${CAMILLE.password}{Enter}`);
		await expect.element(dialog).not.toBeInTheDocument();
		expect(document.querySelector('[data-testid="page"]')?.hasAttribute('inert')).toBe(false);
		await expect.element(page.getByLabelText('Search')).toHaveValue('lyon');
		await expect.element(page.getByTestId('fleet-count')).toHaveTextContent('1 of 10 instruments');
	});

	it('runs the same sign-in in French', async () => {
		locale.set('fr');
		rig = await startRig();
		await expect.element(page.getByRole('heading', { name: 'Connexion' })).toBeVisible();
		await page.getByLabelText('Adresse e-mail').fill(CAMILLE.email);
		await page.getByLabelText('Mot de passe').fill('faux');
		await page.getByRole('button', { name: 'Se connecter' }).click();
		await expect
			.element(page.getByTestId('signin-notice'))
			.toHaveTextContent('L’adresse e-mail ou le mot de passe est incorrect.');
		await shot('fr-sign-in-error');
		await page.getByLabelText('Mot de passe').fill(CAMILLE.password);
		await page.getByRole('button', { name: 'Se connecter' }).click();
		await expect
			.element(page.getByRole('heading', { name: 'Confirmez votre identité' }))
			.toBeVisible();
		await page.getByLabelText('Code d’authentification').fill(rig.nextTotp());
		await page.getByRole('button', { name: 'Confirmer' }).click();
		await expect
			.element(page.getByRole('heading', { name: 'Ce navigateur attend d’être approuvé…' }))
			.toBeVisible();
		await expect.element(page.getByText('Empreinte de la clé')).toBeVisible();
		await shot('fr-device-waiting');
		rig.approvePending();
		await expect
			.element(page.getByRole('heading', { name: 'Ce navigateur est approuvé' }))
			.toBeVisible();
		await page.getByLabelText('Mot de passe').fill(CAMILLE.password);
		await page.getByRole('button', { name: 'Se connecter' }).click();
		await page.getByLabelText('Code d’authentification').fill(rig.nextTotp());
		await page.getByRole('button', { name: 'Confirmer' }).click();
		await expect.element(page.getByRole('heading', { name: 'Instruments' })).toBeVisible();
		await expect
			.element(page.getByTestId('fleet-count'))
			.toHaveTextContent('10 instruments sur 10');
		expect(document.documentElement.lang).toBe('fr');
		await shot('fr-fleet');

		// Switching language re-renders in place, and the choice is remembered.
		await page.getByRole('button', { name: 'Anglais' }).click();
		await expect.element(page.getByTestId('fleet-count')).toHaveTextContent('10 of 10 instruments');
		expect(localStorage.getItem('benchside-locale')).toBe('en');
	});
});

/** Every value of every object store, as text (Uint8Arrays and CryptoKeys included). */
async function dumpDatabase(name: string): Promise<string[]> {
	const db = await new Promise<IDBDatabase>((ok, fail) => {
		const open = indexedDB.open(name);
		open.onsuccess = () => ok(open.result);
		open.onerror = () => fail(open.error);
	});
	const out: string[] = [];
	for (const storeName of db.objectStoreNames) {
		const all = await new Promise<unknown[]>((ok) => {
			const req = db.transaction(storeName).objectStore(storeName).getAll();
			req.onsuccess = () => ok(req.result);
		});
		for (const value of all) out.push(`${name}/${storeName}: ${textOf(value)}`);
	}
	db.close();
	return out;
}

function textOf(value: unknown): string {
	return JSON.stringify(value, (_k, v) =>
		v instanceof Uint8Array ? new TextDecoder().decode(v) : v instanceof CryptoKey ? '[key]' : v
	);
}
