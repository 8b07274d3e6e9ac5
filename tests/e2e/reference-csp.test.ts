/**
 * The Content Security Policy of the production build (kit.csp in svelte.config.js), screen by
 * screen against the reference server: no violation and no console error on any of them. The
 * policy is also shown to bite: an injected inline script is refused and reported.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openAccount, useBrowser } from './browser';
import { approveWaitingDevice, connectTo, signIn, useReferenceServer } from './reference';

function policyOfTheBuild(): Map<string, string[]> {
	const html = readFileSync('build/index.html', 'utf8');
	const content = /<meta http-equiv="content-security-policy" content="([^"]+)"/.exec(html)?.[1];
	if (!content) throw new Error('build/index.html has no CSP meta tag');
	return new Map(
		content.split(';').map((d) => {
			const [name, ...values] = d.trim().split(/\s+/);
			return [name!, values];
		})
	);
}

describe('the Content Security Policy of the production build', () => {
	const ref = useReferenceServer();
	const e2e = useBrowser();

	it('allows no inline script, nothing by default, connections only to the broker', () => {
		const policy = policyOfTheBuild();
		expect(policy.get('default-src')).toEqual(["'none'"]);
		expect(policy.get('script-src')).not.toContain("'unsafe-inline'");
		expect(policy.get('script-src')).not.toContain("'unsafe-eval'");
		expect(policy.get('script-src')?.[0]).toBe("'self'");
		expect(
			policy
				.get('script-src')
				?.slice(1)
				.every((s) => s.startsWith("'sha256-"))
		).toBe(true);
		// PUBLIC_BROKER_URL is empty in this build: the broker and its relay are this origin.
		expect(policy.get('connect-src')).toEqual(["'self'"]);
		expect(policy.get('base-uri')).toEqual(["'none'"]);
	});

	it('reports no violation and no console error on any screen', { timeout: 120_000 }, async () => {
		const { page, context } = e2e;
		await context.addInitScript(() => {
			document.addEventListener('securitypolicyviolation', (e) => {
				console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
			});
		});
		page.on('dialog', (d) => void d.accept());
		const seen = new Map<string, string[]>();
		const screen = async (name: string) => {
			await page.waitForTimeout(300); // late loads (workers, icons) report too
			seen.set(name, e2e.errors.splice(0));
		};

		await page.goto(ref.url);
		await page.getByRole('heading', { name: 'Sign in' }).waitFor();
		await screen('sign-in');
		await signIn(page, ref, 'previous');
		await page.getByLabel('Key fingerprint').waitFor();
		await screen('device waiting');
		await approveWaitingDevice(page, ref);
		await screen('device approved');
		await signIn(page, ref, 'code');
		await page.getByRole('heading', { name: 'Instruments' }).waitFor();
		await screen('instruments');
		await page.getByText('Chemistry analyser CX-3317').click();
		await page.getByLabel('One-time password').waitFor();
		await screen('connect');
		await page.goBack();
		await connectTo(page, ref, 'ins-3317', 'Chemistry analyser CX-3317');
		await page.locator('li[data-capability="view"] button').click();
		await page.locator('li[data-capability="view"][data-state="granted"]').waitFor();
		await page.getByRole('button', { name: 'Statistics' }).click();
		await page.locator('li[data-capability="control"] button').click();
		await page.getByText('In control').waitFor();
		await screen('live session');
		await page.getByRole('button', { name: 'End session' }).click();
		await page.getByRole('alertdialog').getByRole('button', { name: 'End the session' }).click();
		await page.getByText('The session has ended.').waitFor();
		await screen('session ended');
		await page.getByRole('link', { name: 'Instruments', exact: true }).click();
		await page.getByRole('button', { name: /French/ }).click();
		await page.getByRole('heading', { name: 'Instruments' }).waitFor();
		await page.getByRole('button', { name: 'Connecté·e : Camille Martin' }).waitFor();
		await screen('instruments (French)');
		await openAccount(page);
		await screen('account menu (French)');
		await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
		await page.getByRole('heading', { name: 'Connexion' }).waitFor();
		await screen('signed out (French)');
		await e2e.shot('csp-signed-out');

		expect(Object.fromEntries(seen)).toEqual(
			Object.fromEntries([...seen.keys()].map((k) => [k, []]))
		);

		// And the policy bites: an inline script is refused, and reported as a violation.
		const ran = await page.evaluate(() => {
			const script = document.createElement('script');
			script.textContent = 'window.__injected = true';
			document.head.append(script);
			return (window as unknown as { __injected?: boolean }).__injected ?? false;
		});
		expect(ran).toBe(false);
		await expect.poll(() => e2e.errors.join('\n')).toContain('CSP violation: script-src');
	});
});
