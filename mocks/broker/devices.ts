/**
 * Trusted devices (Part 1, "Authentication and tokens"): registered under a sign-in challenge,
 * pending until an approver follows the e-mailed link, revocable by an administrator. The mock
 * keeps the e-mails it "sent" in an outbox so the dev panel can play the approval link.
 */
import { p256 } from '@noble/curves/nist.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlDecode, base64urlEncode } from '../../src/lib/protocol/base64url';
import type {
	DeviceRegisteredResponse,
	DeviceRegistrationRequest,
	DeviceStatus,
	DeviceStatusResponse,
	Technician
} from '../../src/lib/protocol/broker-api';
import { equalBytes, randomBytes, utf8 } from '../../src/lib/protocol/bytes';
import { fingerprint } from '../../src/lib/protocol/identity';
import { RateLimiter } from './accounts';
import { fail, iso, ok, type BrokerReply, type Clock } from './replies';
import { isB64, parseApprovalToken } from './requests';

const APPROVAL_LIFETIME = 24 * 3600_000;

/** What the approval e-mail carries, as the dev panel shows it. */
export interface PendingApproval {
	deviceId: string;
	technician: Technician;
	label: string;
	userAgent: string;
	registeredAt: string;
	fingerprint: string;
	approvalToken: string;
}

interface DeviceRecord {
	deviceId: string;
	technician: Technician;
	publicKey: Uint8Array;
	label: string;
	userAgent: string;
	registeredAt: number;
	status: DeviceStatus;
	fingerprint: string;
	/** Part 1, "Security notes": approval tokens are stored hashed. */
	approvalHash: Uint8Array;
	approvalExpiresAt: number;
}

/** Tokens are stored hashed (Part 1, "Security notes"); SHA-256 suffices for 128+ random bits. */
export const hashToken = (token: string): Uint8Array => sha256(utf8.encode(token));

/** A raw uncompressed P-256 point that is on the curve (Part 1: "the broker checks it"). */
function onCurve(key: Uint8Array): boolean {
	try {
		return key.length === 65 && key[0] === 0x04 && p256.Point.fromBytes(key) !== undefined;
	} catch {
		return false;
	}
}

export class DeviceRegistry {
	readonly #devices = new Map<string, DeviceRecord>();
	/** deviceId → the approval token as e-mailed; gone once the device is approved or revoked. */
	readonly #outbox = new Map<string, string>();
	readonly #polls: RateLimiter;

	constructor(readonly now: Clock) {
		// The console polls every 5 s; four times that is a misbehaving client.
		this.#polls = new RateLimiter(60, 60_000, now);
	}

	get(deviceId: string): DeviceRecord | undefined {
		return this.#devices.get(deviceId);
	}

	async register(
		technician: Technician,
		req: DeviceRegistrationRequest
	): Promise<BrokerReply<DeviceRegisteredResponse>> {
		const publicKey = base64urlDecode(req.publicKey);
		if (!publicKey || !onCurve(publicKey)) return fail('bad-request', 'publicKey is not on P-256');
		const keyFingerprint = await fingerprint(publicKey);
		// From here on synchronous: two racing registrations cannot both pass the check below.
		const reply = ok({ status: 'pending-approval', deviceId: req.deviceId } as const, 202);
		const known = this.#devices.get(req.deviceId);
		if (known) {
			const same = equalBytes(known.publicKey, publicKey) && known.technician.id === technician.id;
			return same && known.status === 'pending'
				? reply
				: fail('bad-request', 'deviceId already registered');
		}
		const approvalToken = `apv_${base64urlEncode(randomBytes(24))}`;
		this.#devices.set(req.deviceId, {
			deviceId: req.deviceId,
			technician,
			publicKey,
			label: req.label,
			userAgent: req.userAgent,
			registeredAt: this.now(),
			status: 'pending',
			fingerprint: keyFingerprint,
			approvalHash: hashToken(approvalToken),
			approvalExpiresAt: this.now() + APPROVAL_LIFETIME
		});
		this.#outbox.set(req.deviceId, approvalToken);
		return reply;
	}

	status(deviceId: string): BrokerReply<DeviceStatusResponse> {
		if (!isB64(deviceId, 16)) return fail('bad-request', 'deviceId is not b64u(16)');
		const wait = this.#polls.retryAfter(deviceId);
		if (wait !== null) return fail('rate-limited', 'device polled too often', wait);
		this.#polls.hit(deviceId);
		const device = this.#devices.get(deviceId);
		return device
			? ok({ deviceId, status: device.status })
			: fail('device-unknown', 'no such device');
	}

	/** POST …/approve, as the broker's approval page sends it. A repeat that succeeded is 200. */
	approve(deviceId: string, body: unknown): BrokerReply<DeviceStatusResponse> {
		const token = parseApprovalToken(body);
		if (token === null) return fail('bad-request', 'approvalToken missing');
		const device = this.#devices.get(deviceId);
		if (!device) return fail('device-unknown', 'no such device');
		if (device.status === 'revoked') return fail('device-revoked', 'device was revoked');
		if (!equalBytes(hashToken(token), device.approvalHash)) {
			return fail('forbidden', 'approval token does not match this device');
		}
		const approved = ok({ deviceId, status: 'approved' } as const);
		if (device.status === 'approved') return approved;
		if (this.now() > device.approvalExpiresAt) return fail('forbidden', 'approval token expired');
		device.status = 'approved';
		this.#outbox.delete(deviceId);
		return approved;
	}

	/** The administration's revoke (or decline): outside the API, for the dev panel and tests. */
	revoke(deviceId: string): boolean {
		const device = this.#devices.get(deviceId);
		if (!device) return false;
		device.status = 'revoked';
		this.#outbox.delete(deviceId);
		return true;
	}

	/** The approval e-mails still waiting for a click, oldest first. */
	pendingApprovals(): PendingApproval[] {
		return [...this.#outbox].flatMap(([deviceId, approvalToken]) => {
			const d = this.#devices.get(deviceId);
			if (!d || d.status !== 'pending' || this.now() > d.approvalExpiresAt) return [];
			const { technician, label, userAgent, fingerprint } = d;
			const registeredAt = iso(d.registeredAt);
			return [{ deviceId, technician, label, userAgent, registeredAt, fingerprint, approvalToken }];
		});
	}

	/** Whether `key` is an approved device of this technician (the agent asks in its handshake). */
	isApprovedKey(technicianId: string, key: Uint8Array): boolean {
		for (const d of this.#devices.values()) {
			if (d.technician.id === technicianId && d.status === 'approved') {
				if (equalBytes(d.publicKey, key)) return true;
			}
		}
		return false;
	}
}
