/**
 * What every BrokerModel method answers: the HTTP status and the body, either the endpoint's DTO
 * or the error envelope of docs/protocol.md Part 1, "Errors". No MSW here: handlers.ts turns a
 * reply into a Response, a test can read it directly.
 */
import { utf8 } from '../../src/lib/protocol/bytes';
import {
	BROKER_ERROR_STATUS,
	type BrokerErrorBody,
	type BrokerErrorCode
} from '../../src/lib/protocol/broker-api';

export type BrokerSuccess<T> = { ok: true; status: 200 | 201 | 202 | 204; body: T };
export type BrokerFailure = { ok: false; status: number; body: BrokerErrorBody };
export type BrokerReply<T> = BrokerSuccess<T> | BrokerFailure;

/** The clock every part of the model reads; tests inject their own. */
export type Clock = () => number;

/** Request body limits (Part 1, "Conventions"). */
export const BODY_LIMIT = 64 * 1024;
export const AUDIT_BODY_LIMIT = 1024 * 1024;

export function ok<T>(body: T, status: 200 | 201 | 202 = 200): BrokerSuccess<T> {
	return { ok: true, status, body };
}

export const noContent = (): BrokerSuccess<null> => ({ ok: true, status: 204, body: null });

/** `retryAfter` is whole seconds, 0–86,400, and only with rate-limited (or unavailable). */
export function fail(code: BrokerErrorCode, message: string, retryAfter?: number): BrokerFailure {
	const error =
		retryAfter === undefined
			? { code, message }
			: { code, message, retryAfter: Math.min(86_400, Math.max(0, Math.ceil(retryAfter))) };
	return { ok: false, status: BROKER_ERROR_STATUS[code], body: { error } };
}

/**
 * A request body as the broker reads it: an empty body is `undefined` (the endpoint then says
 * bad-request), malformed JSON is bad-request, an oversized one payload-too-large.
 */
export function readJson(text: string, limit = BODY_LIMIT): BrokerReply<unknown> {
	if (utf8.encode(text).length > limit) return fail('payload-too-large', 'request body too large');
	if (text.trim() === '') return ok(undefined);
	try {
		return ok(JSON.parse(text) as unknown);
	} catch {
		return fail('bad-request', 'request body is not JSON');
	}
}

export const iso = (ms: number): string => new Date(ms).toISOString();
