/**
 * Passkey registration for a signed-in technician (docs/protocol.md Part 1, "Passkeys"): the
 * creation options with a fresh single-use challenge, then the new credential checked
 * (attestation `none`, ES256) and kept on the account, which from then on offers `webauthn`.
 */
import { base64urlEncode } from '../../src/lib/protocol/base64url';
import type {
	PasskeyOptionsResponse,
	PasskeyRegistered,
	Technician
} from '../../src/lib/protocol/broker-api';
import { randomBytes } from '../../src/lib/protocol/bytes';
import type { Account } from './accounts';
import { fail, iso, ok, type BrokerReply, type Clock } from './replies';
import { parsePasskeyRegistration } from './requests';
import { verifyRegistration, type RelyingParty } from './webauthn';

const REGISTRATION_CHALLENGE_LIFETIME = 5 * 60_000;
const MAX_PASSKEYS = 10;

export class PasskeyDesk {
	/** technician id → the one open registration challenge (a new request replaces it). */
	readonly #open = new Map<string, { challenge: string; expiresAt: number }>();

	constructor(
		readonly rp: RelyingParty,
		readonly now: Clock
	) {}

	options(account: Account): BrokerReply<PasskeyOptionsResponse> {
		const challenge = base64urlEncode(randomBytes(32));
		const expiresAt = this.now() + REGISTRATION_CHALLENGE_LIFETIME;
		this.#open.set(account.technician.id, { challenge, expiresAt });
		const { email, name } = account.technician;
		return ok<PasskeyOptionsResponse>({
			publicKey: {
				challenge,
				rp: { id: this.rp.id, name: this.rp.name },
				user: { id: base64urlEncode(account.userHandle), name: email, displayName: name },
				pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
				timeout: REGISTRATION_CHALLENGE_LIFETIME,
				excludeCredentials: account.passkeys.map((p) => ({
					type: 'public-key',
					id: p.credentialId
				})),
				authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
				attestation: 'none'
			}
		});
	}

	async register(account: Account, body: unknown): Promise<BrokerReply<PasskeyRegistered>> {
		const req = parsePasskeyRegistration(body);
		if (!req)
			return fail('bad-request', 'expected { credential: RegistrationResponseJSON, label }');
		const technician: Technician = account.technician;
		const open = this.#open.get(technician.id);
		this.#open.delete(technician.id); // single use, whatever happens next
		if (!open || this.now() > open.expiresAt) {
			return fail('webauthn-invalid', 'no registration challenge open, or it expired');
		}
		const checked = await verifyRegistration(this.rp, open.challenge, {
			id: req.credential.id,
			...req.credential.response
		});
		if (!checked.ok) return fail('webauthn-invalid', checked.reason);
		if (account.passkeys.some((p) => p.credentialId === checked.credentialId)) {
			return fail('bad-request', 'this credential is already registered');
		}
		if (account.passkeys.length >= MAX_PASSKEYS) {
			return fail('bad-request', `at most ${MAX_PASSKEYS} passkeys per account`);
		}
		const createdAt = this.now();
		account.passkeys.push({
			credentialId: checked.credentialId,
			publicKey: checked.publicKey,
			signCount: checked.signCount,
			label: req.label,
			createdAt
		});
		return ok(
			{ credentialId: checked.credentialId, label: req.label, createdAt: iso(createdAt) },
			201
		);
	}
}
