/**
 * Technician accounts of the reference broker: salted slow password hashes, TOTP with replay
 * protection (RFC 6238 §5.2), and the sliding-window counters behind `rate-limited`.
 */
import { Secret, TOTP } from 'otpauth';
import type { Technician } from '../../src/lib/protocol/broker-api';
import { bufferSource, equalBytes, randomBytes, utf8 } from '../../src/lib/protocol/bytes';
import type { Clock } from './replies';
import type { Passkey } from './webauthn';

export interface DemoCredential {
	id: string;
	name: string;
	email: string;
	password: string;
	/** Base32, for an authenticator app; the dev panel shows `currentTotp(email)` instead. */
	totpSecret: string;
	trainedRegions: string[];
}

/** The demo accounts of `npm run dev`. Camille reaches every instrument, Jonas only DE/AT/CH. */
export const DEMO_CREDENTIALS = {
	camille: {
		id: 'tech-0001',
		name: 'Camille Martin',
		email: 'camille.martin@benchside.test',
		password: 'bench-demo-camille',
		totpSecret: '2R4U2MFOOR5AGUA7MPITQNFRM3OBUH7U',
		trainedRegions: ['FR', 'BE', 'CH', 'DE', 'GB', 'US']
	},
	jonas: {
		id: 'tech-0002',
		name: 'Jonas Weber',
		email: 'jonas.weber@benchside.test',
		password: 'bench-demo-jonas',
		totpSecret: 'VWXO52NPEJBO6XDE7D7S62RBMPL4CWSZ',
		trainedRegions: ['DE', 'AT', 'CH']
	}
} as const satisfies Record<string, DemoCredential>;

// ---------------------------------------------------------------- passwords

/**
 * PBKDF2-SHA-256 through WebCrypto, which pages, workers and Node all have (Part 1 recommends
 * Argon2id or scrypt for a production broker; WebCrypto offers neither).
 */
export const PBKDF2_ITERATIONS = 210_000;

export interface PasswordHash {
	salt: Uint8Array;
	iterations: number;
	hash: Uint8Array;
}

export async function hashPassword(
	password: string,
	salt = randomBytes(16),
	iterations = PBKDF2_ITERATIONS
): Promise<PasswordHash> {
	const key = await crypto.subtle.importKey('raw', utf8.encode(password), 'PBKDF2', false, [
		'deriveBits'
	]);
	const bits = await crypto.subtle.deriveBits(
		{ name: 'PBKDF2', hash: 'SHA-256', salt: bufferSource(salt), iterations },
		key,
		256
	);
	return { salt, iterations, hash: new Uint8Array(bits) };
}

/** Constant-time comparison of the derived bits. */
export async function checkPassword(password: string, stored: PasswordHash): Promise<boolean> {
	const { hash } = await hashPassword(password, stored.salt, stored.iterations);
	return equalBytes(hash, stored.hash);
}

// ---------------------------------------------------------------- TOTP

export type TotpCheck = 'ok' | 'invalid' | 'reused';

/** RFC 6238 with SHA-1, 6 digits, 30 s steps, ±1 step; a time-step is accepted at most once. */
export class TotpFactor {
	readonly #totp: TOTP;
	#lastStep = -Infinity;

	constructor(secretBase32: string) {
		const secret = Secret.fromBase32(secretBase32);
		this.#totp = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 });
	}

	code(now: number): string {
		return this.#totp.generate({ timestamp: now });
	}

	/** Remembers the accepted step: that code, and any older one, is `reused` from then on. */
	check(code: string, now: number): TotpCheck {
		const current = this.#totp.counter({ timestamp: now });
		const matches = [current - 1, current, current + 1].filter((step) =>
			equalBytes(utf8.encode(this.#totp.generate({ timestamp: step * 30_000 })), utf8.encode(code))
		);
		const fresh = matches.find((step) => step > this.#lastStep);
		if (fresh !== undefined) {
			this.#lastStep = fresh;
			return 'ok';
		}
		return matches.length > 0 ? 'reused' : 'invalid';
	}
}

// ---------------------------------------------------------------- accounts

export interface Account {
	technician: Technician;
	password: Promise<PasswordHash>;
	totp: TotpFactor;
	/** WebAuthn's user.id: random, so that it says nothing about the person (WebAuthn §14.6.1). */
	userHandle: Uint8Array;
	/** Registered in the account menu; once there is one, sign-in offers `webauthn`. */
	passkeys: Passkey[];
}

/** The plain password is hashed at once and never kept. */
export function createAccount(credential: DemoCredential): Account {
	const { id, name, email, trainedRegions } = credential;
	return {
		technician: { id, name, email, trainedRegions: [...trainedRegions] },
		password: hashPassword(credential.password),
		totp: new TotpFactor(credential.totpSecret),
		userHandle: randomBytes(16),
		passkeys: []
	};
}

/** E-mail addresses compare case-insensitively, as people type them. */
export const accountKey = (email: string): string => email.trim().toLowerCase();

// ---------------------------------------------------------------- rate limits

/** At most `limit` hits per key in any `windowMs`; then `retryAfter` says how long to wait. */
export class RateLimiter {
	readonly #hits = new Map<string, number[]>();

	constructor(
		readonly limit: number,
		readonly windowMs: number,
		readonly now: Clock
	) {}

	/** Seconds until the next attempt is allowed, or null when it is allowed now. */
	retryAfter(key: string): number | null {
		const now = this.now();
		const hits = (this.#hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
		this.#hits.set(key, hits);
		if (hits.length < this.limit) return null;
		return Math.max(1, Math.ceil((hits[hits.length - this.limit]! + this.windowMs - now) / 1000));
	}

	hit(key: string): void {
		const hits = this.#hits.get(key) ?? [];
		hits.push(this.now());
		this.#hits.set(key, hits);
	}

	reset(key: string): void {
		this.#hits.delete(key);
	}
}
