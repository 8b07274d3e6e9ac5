/**
 * Passkeys at the reference broker (docs/protocol.md Part 1, "Passkeys" and "webauthn/*"), over
 * the wire through MSW: a technician registers a passkey, signs in with password + passkey, and
 * every forged or replayed ceremony is refused. The authenticator is a software one built from
 * the WebAuthn spec (tests/shared/soft-authenticator.ts), not from the broker's code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { base64urlEncode } from '$lib/protocol/base64url';
import { deviceProofMessage } from '$lib/protocol/broker-api';
import { sign } from '$lib/protocol/identity';
import { DEMO_CREDENTIALS } from '$mocks/broker/model';
import { derToP1363 } from '$mocks/broker/webauthn';
import { otherChallenge, p1363ToDer, SoftAuthenticator } from '../shared/soft-authenticator';
import { BrokerHarness, type Device } from './broker-harness';

const camille = DEMO_CREDENTIALS.camille;
const h = new BrokerHarness();
beforeAll(() => h.server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => h.server.close());

let token = '';
let device: Device;
beforeEach(async () => {
	h.reset();
	({ token, device } = await h.technician(camille));
});

async function addPasskey(key: SoftAuthenticator) {
	const { publicKey } = await h.succeed('passkeyOptions', { token });
	const credential = await key.register(publicKey.challenge);
	return h.succeed('passkeys', { token, body: { credential, label: 'Laptop passkey' } });
}

/** Password step with the device, then WebAuthn options: what the console does before get(). */
async function startPasskeySignIn() {
	const pw = await h.succeed('authPassword', h.login(camille, device.deviceId));
	const options = await h.succeed('authWebAuthnOptions', { body: { challengeId: pw.challengeId } });
	const proof = deviceProofMessage(pw.challengeId, pw.deviceChallenge!);
	const deviceSignature = base64urlEncode(await sign(device.identity.privateKey, proof));
	return { pw, options: options.publicKey, deviceSignature };
}

describe('passkey registration', () => {
	it('registers an ES256 passkey with attestation none; sign-in then offers webauthn', async () => {
		const before = await h.succeed('authPassword', h.login(camille, device.deviceId));
		expect(before.methods).toEqual(['totp']);
		expect(
			await h.refuse('authWebAuthnOptions', { body: { challengeId: before.challengeId } })
		).toBe('not-found');

		const { publicKey } = await h.succeed('passkeyOptions', { token });
		expect(publicKey).toMatchObject({
			rp: { id: 'localhost', name: 'Benchside' },
			user: { name: camille.email, displayName: camille.name },
			pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
			attestation: 'none'
		});
		const key = new SoftAuthenticator();
		const credential = await key.register(publicKey.challenge);
		const added = await h.succeed('passkeys', { token, body: { credential, label: 'Laptop' } });
		expect(added).toEqual({
			credentialId: key.id,
			label: 'Laptop',
			createdAt: new Date(h.now()).toISOString()
		});
		// The challenge is single use: the very same response again is refused.
		expect(await h.refuse('passkeys', { token, body: { credential, label: 'Laptop' } })).toBe(
			'webauthn-invalid'
		);
		const after = await h.succeed('authPassword', h.login(camille, device.deviceId));
		expect(after.methods).toEqual(['totp', 'webauthn']);
		const next = await h.succeed('passkeyOptions', { token });
		expect(next.publicKey.excludeCredentials).toEqual([{ type: 'public-key', id: key.id }]);
	});

	it('refuses a wrong origin, a wrong rpId, another challenge, a get() response and other attestation', async () => {
		const cases = [
			{ origin: 'https://evil.example' },
			{ rpId: 'evil.example' },
			{ challenge: 'other' },
			{ type: 'webauthn.get' },
			{ fmt: 'packed' }
		];
		for (const spoil of cases) {
			const { publicKey } = await h.succeed('passkeyOptions', { token });
			const challenge =
				spoil.challenge === 'other' ? otherChallenge(publicKey.challenge) : undefined;
			const credential = await new SoftAuthenticator().register(publicKey.challenge, {
				...spoil,
				...(challenge ? { challenge } : {})
			});
			const code = await h.refuse('passkeys', { token, body: { credential, label: 'x' } });
			expect(code, JSON.stringify(spoil)).toBe('webauthn-invalid');
		}
		expect(await h.refuse('passkeyOptions', {})).toBe('unauthorized');
		expect(await h.refuse('passkeys', { body: {} })).toBe('unauthorized');
		expect(await h.refuse('passkeys', { token, body: { credential: {} } })).toBe('bad-request');
		const pw = await h.succeed('authPassword', h.login(camille, device.deviceId));
		expect(pw.methods).toEqual(['totp']);
	});
});

describe('signing in with password + passkey', () => {
	it('signs in, and the token it issues works', async () => {
		await h.enrolAgents();
		const key = new SoftAuthenticator();
		await addPasskey(key);
		const { pw, options, deviceSignature } = await startPasskeySignIn();
		expect(options).toMatchObject({
			rpId: 'localhost',
			allowCredentials: [{ type: 'public-key', id: key.id }]
		});
		const credential = await key.assert(options.challenge);
		const done = await h.succeed('authWebAuthnVerify', {
			body: { challengeId: pw.challengeId, credential, deviceSignature }
		});
		if (done.step !== 'signed-in') return expect.fail(done.step);
		expect(done.technician.email).toBe(camille.email);
		const page = await h.succeed('instruments', { token: done.accessToken });
		expect(page.instruments.length).toBeGreaterThan(0);
		// Replayed as is: that sign-in is over.
		expect(
			await h.refuse('authWebAuthnVerify', {
				body: { challengeId: pw.challengeId, credential, deviceSignature }
			})
		).toBe('challenge-expired');
	});

	it('refuses a bad challenge, a wrong origin, a wrong rpId, a bad signature and a create() response', async () => {
		const key = new SoftAuthenticator();
		await addPasskey(key);
		const spoils = [
			{ challenge: 'other' },
			{ origin: 'https://evil.example' },
			{ rpId: 'evil.example' },
			{ badSignature: true },
			{ type: 'webauthn.create' }
		];
		for (const spoil of spoils) {
			const { pw, options, deviceSignature } = await startPasskeySignIn();
			const challenge = spoil.challenge === 'other' ? otherChallenge(options.challenge) : undefined;
			const credential = await key.assert(options.challenge, {
				...spoil,
				...(challenge ? { challenge } : {})
			});
			const body = { challengeId: pw.challengeId, credential, deviceSignature };
			expect(await h.refuse('authWebAuthnVerify', { body }), JSON.stringify(spoil)).toBe(
				'webauthn-invalid'
			);
		}
	});

	it('refuses a replayed assertion under a new challenge, and a counter that went back', async () => {
		const key = new SoftAuthenticator();
		await addPasskey(key);
		const first = await startPasskeySignIn();
		const used = await key.assert(first.options.challenge);
		await h.succeed('authWebAuthnVerify', {
			body: {
				challengeId: first.pw.challengeId,
				credential: used,
				deviceSignature: first.deviceSignature
			}
		});

		const replay = await startPasskeySignIn();
		const body = {
			challengeId: replay.pw.challengeId,
			credential: used,
			deviceSignature: replay.deviceSignature
		};
		expect(await h.refuse('authWebAuthnVerify', { body })).toBe('webauthn-invalid');

		// A clone of the authenticator: right key, right challenge, but its counter is behind.
		const clone = await startPasskeySignIn();
		const behind = await key.assert(clone.options.challenge, { signCount: 1 });
		const cloned = {
			challengeId: clone.pw.challengeId,
			credential: behind,
			deviceSignature: clone.deviceSignature
		};
		expect(await h.refuse('authWebAuthnVerify', { body: cloned })).toBe('webauthn-invalid');

		// The challenge is used up by a failed verify too: the right answer after it is refused.
		const good = await key.assert(clone.options.challenge);
		expect(await h.refuse('authWebAuthnVerify', { body: { ...cloned, credential: good } })).toBe(
			'webauthn-invalid'
		);
	});

	it('lets a WebAuthn challenge lapse after two minutes', async () => {
		const key = new SoftAuthenticator();
		await addPasskey(key);
		const { pw, options, deviceSignature } = await startPasskeySignIn();
		h.advance(2 * 60_000 + 1);
		const credential = await key.assert(options.challenge);
		const body = { challengeId: pw.challengeId, credential, deviceSignature };
		expect(await h.refuse('authWebAuthnVerify', { body })).toBe('webauthn-invalid');
		// A fresh challenge within the same sign-in works.
		const again = await h.succeed('authWebAuthnOptions', { body: { challengeId: pw.challengeId } });
		const fresh = await key.assert(again.publicKey.challenge);
		const done = await h.succeed('authWebAuthnVerify', { body: { ...body, credential: fresh } });
		expect(done.step).toBe('signed-in');
	});
});

describe('the DER signature reader', () => {
	it('reads what authenticators write and refuses trailing bytes or oversized integers', () => {
		const sig = new Uint8Array(64).map((_, i) => (i === 0 || i === 32 ? 0x80 : i));
		const der = p1363ToDer(sig);
		expect(derToP1363(der)).toEqual(sig);
		expect(derToP1363(new Uint8Array([...der, 0]))).toBeNull();
		const zeros = new Uint8Array(64);
		zeros[31] = 1;
		zeros[63] = 2;
		expect(derToP1363(p1363ToDer(zeros))).toEqual(zeros);
		expect(derToP1363(new Uint8Array([0x30, 6, 0x02, 1, 1, 0x02, 1, 1]).subarray(0, 7))).toBeNull();
	});
});
