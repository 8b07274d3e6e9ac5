/**
 * Sign-in (Part 1, "Authentication and tokens"): password, then TOTP, then either a device proof
 * or a device registration; access tokens stored hashed. Order of checks and rate limits follow
 * the endpoint sections and "Security notes".
 */
import { base64urlDecode, base64urlEncode } from '../../src/lib/protocol/base64url';
import {
	deviceProofMessage,
	type DeviceRegisteredResponse,
	type DeviceRegistrationRequest,
	type PasskeyOptionsResponse,
	type PasskeyRegistered,
	type PasswordResponse,
	type SecondFactorResponse,
	type Technician,
	type WebAuthnOptionsResponse
} from '../../src/lib/protocol/broker-api';
import { randomBytes, toHex } from '../../src/lib/protocol/bytes';
import { verify } from '../../src/lib/protocol/identity';
import {
	accountKey,
	checkPassword,
	createAccount,
	hashPassword,
	RateLimiter,
	type Account,
	type DemoCredential,
	type PasswordHash
} from './accounts';
import { hashToken, type DeviceRegistry } from './devices';
import { PasskeyDesk } from './passkeys';
import {
	fail,
	iso,
	noContent,
	ok,
	type BrokerFailure,
	type BrokerReply,
	type Clock
} from './replies';
import {
	parseDeviceRegistration,
	parsePasswordRequest,
	parseTotpRequest,
	parseWebAuthnOptionsRequest,
	parseWebAuthnVerifyRequest
} from './requests';
import { verifyAssertion, type RelyingParty } from './webauthn';

const CHALLENGE_LIFETIME = 5 * 60_000;
const REGISTRATION_LIFETIME = 10 * 60_000;
const TOKEN_LIFETIME = 8 * 3600_000;
const FAILURE_WINDOW = 15 * 60_000;
const WRONG_CODES_PER_CHALLENGE = 5;
/** A WebAuthn challenge: single use, and shorter-lived than the sign-in it belongs to. */
const WEBAUTHN_LIFETIME = 2 * 60_000;

interface Challenge {
	id: string;
	account: Account;
	/** second-factor → registration (no device named) → closed; or second-factor → closed. */
	state: 'second-factor' | 'registration' | 'closed';
	expiresAt: number;
	device?: { deviceId: string; deviceChallenge: string };
	wrongCodes: number;
	/** The WebAuthn challenge of the last options call; used up by the next verify. */
	webauthn?: { challenge: string; expiresAt: number };
	/** The registration that closed it: the exact same request again gets the same reply. */
	registered?: DeviceRegistrationRequest;
}

/** Where a request came from, for the per-address limit (MSW cannot see it; a server can). */
export interface SignInContext {
	source?: string;
}

const sameRegistration = (a: DeviceRegistrationRequest, b: DeviceRegistrationRequest) =>
	a.challengeId === b.challengeId && a.deviceId === b.deviceId && a.publicKey === b.publicKey;

export class SignIn {
	readonly #accounts = new Map<string, Account>();
	readonly #challenges = new Map<string, Challenge>();
	/** hex(SHA-256(token)) → whose it is and until when. */
	readonly #tokens = new Map<string, { technician: Technician; expiresAt: number }>();
	readonly #passwordFailures: RateLimiter;
	readonly #sourceFailures: RateLimiter;
	readonly #secondFactorFailures: RateLimiter;
	/** An unknown e-mail costs one PBKDF2 too, so timing does not tell accounts apart. */
	readonly #dummy: Promise<PasswordHash>;
	readonly #passkeys: PasskeyDesk;

	constructor(
		readonly devices: DeviceRegistry,
		readonly now: Clock,
		readonly rp: RelyingParty
	) {
		this.#passkeys = new PasskeyDesk(rp, now);
		this.#passwordFailures = new RateLimiter(5, FAILURE_WINDOW, now);
		this.#sourceFailures = new RateLimiter(50, FAILURE_WINDOW, now);
		this.#secondFactorFailures = new RateLimiter(10, FAILURE_WINDOW, now);
		this.#dummy = hashPassword(base64urlEncode(randomBytes(16)));
	}

	addAccount(credential: DemoCredential): Technician {
		const account = createAccount(credential);
		this.#accounts.set(accountKey(credential.email), account);
		return account.technician;
	}

	account(email: string): Account | undefined {
		return this.#accounts.get(accountKey(email));
	}

	async password(body: unknown, ctx: SignInContext = {}): Promise<BrokerReply<PasswordResponse>> {
		const req = parsePasswordRequest(body);
		if (!req) return fail('bad-request', 'expected { email, password, deviceId? }');
		const key = accountKey(req.email);
		const wait = Math.max(
			this.#passwordFailures.retryAfter(key) ?? -1,
			ctx.source === undefined ? -1 : (this.#sourceFailures.retryAfter(ctx.source) ?? -1)
		);
		if (wait >= 0) return fail('rate-limited', 'too many password attempts for this account', wait);
		const account = this.#accounts.get(key);
		const right = await checkPassword(req.password, await (account?.password ?? this.#dummy));
		if (!account || !right) {
			this.#passwordFailures.hit(key);
			if (ctx.source !== undefined) this.#sourceFailures.hit(ctx.source);
			return fail('invalid-credentials', 'email or password is wrong');
		}
		this.#passwordFailures.reset(key);
		let device: Challenge['device'];
		if (req.deviceId !== undefined) {
			const d = this.devices.get(req.deviceId);
			if (!d || d.technician.id !== account.technician.id) {
				return fail('device-unknown', 'device not registered to this account');
			}
			if (d.status === 'pending') return fail('device-pending', 'device awaits approval');
			if (d.status === 'revoked') return fail('device-revoked', 'device was revoked');
			device = { deviceId: req.deviceId, deviceChallenge: base64urlEncode(randomBytes(32)) };
		}
		const challenge = this.#open(account, device);
		const reply: PasswordResponse = {
			step: 'second-factor',
			challengeId: challenge.id,
			methods: account.passkeys.length > 0 ? ['totp', 'webauthn'] : ['totp'],
			expiresAt: iso(challenge.expiresAt)
		};
		if (device) reply.deviceChallenge = device.deviceChallenge;
		return ok(reply);
	}

	async totp(body: unknown): Promise<BrokerReply<SecondFactorResponse>> {
		const req = parseTotpRequest(body);
		if (!req) return fail('bad-request', 'expected { challengeId, code, deviceSignature? }');
		const turn = this.#secondFactorTurn(req.challengeId, req.deviceSignature);
		if ('refused' in turn) return turn.refused;
		const { challenge, key } = turn;
		const check = challenge.account.totp.check(req.code, this.now());
		if (check !== 'ok') {
			this.#secondFactorWrong(challenge, key);
			return check === 'reused'
				? fail('totp-reused', 'code already used for this account')
				: fail('totp-invalid', 'code is wrong or outside the time window');
		}
		this.#secondFactorFailures.reset(key);
		return this.#secondFactorPassed(challenge, req.deviceSignature);
	}

	/** Part 1 "webauthn/options": a fresh challenge for the account's passkeys. */
	webauthnOptions(body: unknown): BrokerReply<WebAuthnOptionsResponse> {
		const req = parseWebAuthnOptionsRequest(body);
		if (!req) return fail('bad-request', 'expected { challengeId }');
		const challenge = this.#live(req.challengeId);
		if (challenge?.state !== 'second-factor') {
			return fail('challenge-expired', 'sign-in challenge unknown, expired or used');
		}
		const { passkeys } = challenge.account;
		if (passkeys.length === 0) return fail('not-found', 'this account has no passkey');
		const webauthn = {
			challenge: base64urlEncode(randomBytes(32)),
			expiresAt: Math.min(challenge.expiresAt, this.now() + WEBAUTHN_LIFETIME)
		};
		challenge.webauthn = webauthn;
		return ok<WebAuthnOptionsResponse>({
			publicKey: {
				challenge: webauthn.challenge,
				rpId: this.rp.id,
				timeout: WEBAUTHN_LIFETIME,
				allowCredentials: passkeys.map((p) => ({ type: 'public-key', id: p.credentialId })),
				userVerification: 'preferred'
			}
		});
	}

	/** Part 1 "webauthn/verify": the assertion against the challenge just issued, once. */
	async webauthnVerify(body: unknown): Promise<BrokerReply<SecondFactorResponse>> {
		const req = parseWebAuthnVerifyRequest(body);
		if (!req) return fail('bad-request', 'expected { challengeId, credential, deviceSignature? }');
		const turn = this.#secondFactorTurn(req.challengeId, req.deviceSignature);
		if ('refused' in turn) return turn.refused;
		const { challenge, key } = turn;
		const issued = challenge.webauthn;
		delete challenge.webauthn; // single use: a replay meets no challenge
		const passkey = challenge.account.passkeys.find((p) => p.credentialId === req.credential.id);
		const checked =
			issued && passkey && this.now() <= issued.expiresAt
				? await verifyAssertion(this.rp, issued.challenge, passkey, req.credential.response)
				: { ok: false as const, reason: 'no live challenge, or an unknown credential' };
		if (!checked.ok) {
			this.#secondFactorWrong(challenge, key);
			return fail('webauthn-invalid', checked.reason);
		}
		passkey!.signCount = checked.signCount;
		this.#secondFactorFailures.reset(key);
		return this.#secondFactorPassed(challenge, req.deviceSignature);
	}

	passkeyOptions(technician: Technician): BrokerReply<PasskeyOptionsResponse> {
		const account = this.account(technician.email);
		return account ? this.#passkeys.options(account) : fail('unauthorized', 'no such account');
	}

	registerPasskey(technician: Technician, body: unknown): Promise<BrokerReply<PasskeyRegistered>> {
		const account = this.account(technician.email);
		return account
			? this.#passkeys.register(account, body)
			: Promise.resolve(fail('unauthorized', 'no such account'));
	}

	async registerDevice(body: unknown): Promise<BrokerReply<DeviceRegisteredResponse>> {
		const req = parseDeviceRegistration(body);
		if (!req) return fail('bad-request', 'expected { challengeId, deviceId, publicKey, label, … }');
		const challenge = this.#challenges.get(req.challengeId);
		if (challenge?.registered && sameRegistration(challenge.registered, req)) {
			return ok<DeviceRegisteredResponse>(
				{ status: 'pending-approval', deviceId: req.deviceId },
				202
			);
		}
		const live = this.#live(req.challengeId);
		if (live?.state === 'second-factor') {
			return fail('second-factor-required', 'the challenge has not passed its second factor');
		}
		if (live?.state !== 'registration') {
			return fail('challenge-expired', 'sign-in challenge unknown, expired or used');
		}
		live.state = 'closed'; // before the await: a concurrent second registration finds it used
		const reply = await this.devices.register(live.account.technician, req);
		if (reply.ok) live.registered = req;
		else live.state = 'registration';
		return reply;
	}

	signOut(token: string | null): BrokerReply<null> {
		if (token === null) return fail('unauthorized', 'missing access token');
		this.#tokens.delete(toHex(hashToken(token)));
		return noContent();
	}

	/** The technician a Bearer token belongs to, or null when missing, unknown or expired. */
	authenticate(token: string | null | undefined): Technician | null {
		if (!token) return null;
		const entry = this.#tokens.get(toHex(hashToken(token)));
		return entry && this.now() < entry.expiresAt ? entry.technician : null;
	}

	async #secondFactorPassed(
		challenge: Challenge,
		signature: string | undefined
	): Promise<BrokerReply<SecondFactorResponse>> {
		if (!challenge.device) {
			challenge.state = 'registration';
			challenge.expiresAt = this.now() + REGISTRATION_LIFETIME;
			const expiresAt = iso(challenge.expiresAt);
			return ok<SecondFactorResponse>({
				step: 'device-registration-required',
				challengeId: challenge.id,
				expiresAt
			});
		}
		// The code is used up either way, and a failed proof ends this sign-in.
		challenge.state = 'closed';
		const { deviceId, deviceChallenge } = challenge.device;
		const device = this.devices.get(deviceId);
		const sig = signature === undefined ? null : base64urlDecode(signature);
		const message = deviceProofMessage(challenge.id, deviceChallenge);
		if (!device || !sig || !(await verify(device.publicKey, sig, message))) {
			return fail('device-signature-invalid', 'device proof missing or invalid');
		}
		if (device.status !== 'approved') return fail('device-revoked', 'device was revoked');
		return ok(this.#issueToken(challenge.account.technician));
	}

	#issueToken(technician: Technician): SecondFactorResponse {
		const accessToken = base64urlEncode(randomBytes(32));
		const expiresAt = this.now() + TOKEN_LIFETIME;
		this.#tokens.set(toHex(hashToken(accessToken)), { technician, expiresAt });
		return { step: 'signed-in', accessToken, expiresAt: iso(expiresAt), technician };
	}

	#open(account: Account, device: Challenge['device']): Challenge {
		const now = this.now();
		for (const [id, c] of this.#challenges) {
			if (c.expiresAt < now - 3600_000) this.#challenges.delete(id);
		}
		const id = `ch_${base64urlEncode(randomBytes(16))}`;
		const challenge: Challenge = {
			id,
			account,
			state: 'second-factor',
			expiresAt: now + CHALLENGE_LIFETIME,
			wrongCodes: 0
		};
		if (device) challenge.device = device;
		this.#challenges.set(id, challenge);
		return challenge;
	}

	/**
	 * What a TOTP code and a passkey assertion both go through first: a live challenge at its
	 * second factor, a device signature only where a device challenge was issued, and the
	 * account's second-factor rate limit.
	 */
	#secondFactorTurn(
		challengeId: string,
		deviceSignature: string | undefined
	): { challenge: Challenge; key: string } | { refused: BrokerFailure } {
		const challenge = this.#live(challengeId);
		if (challenge?.state !== 'second-factor') {
			return { refused: fail('challenge-expired', 'sign-in challenge unknown, expired or used') };
		}
		if (deviceSignature !== undefined && !challenge.device) {
			return { refused: fail('bad-request', 'deviceSignature without a deviceChallenge') };
		}
		const key = challenge.account.technician.id;
		const wait = this.#secondFactorFailures.retryAfter(key);
		if (wait !== null)
			return { refused: fail('rate-limited', 'too many second-factor attempts', wait) };
		return { challenge, key };
	}

	/** A wrong second factor: counted for the account, and for the challenge until it closes. */
	#secondFactorWrong(challenge: Challenge, key: string) {
		this.#secondFactorFailures.hit(key);
		if (++challenge.wrongCodes >= WRONG_CODES_PER_CHALLENGE) challenge.state = 'closed';
	}

	#live(challengeId: string): Challenge | undefined {
		const c = this.#challenges.get(challengeId);
		return c && this.now() <= c.expiresAt ? c : undefined;
	}
}
