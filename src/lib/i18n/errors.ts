/**
 * Every failure code the console can meet, in plain words (docs/protocol.md, the "console shows"
 * columns). Switches end in a `never` check: a new code without a message does not compile, and
 * tests/node/i18n-messages.test.ts checks each has English and French text.
 */
import type { BrokerFailure, BrokerFailureCode } from '$lib/broker/client';
import { BROKER_ERROR_CODES } from '$lib/protocol/broker-api';
import { PROTOCOL_ERROR_CODES, type ProtocolErrorCode } from '$lib/protocol/errors';
import type { SessionFailureCode } from '$lib/session/types';
import { formatDuration } from './format';
import { m } from './paraglide/messages.js';

export function brokerFailureText(failure: BrokerFailure): string {
	const code: BrokerFailureCode = failure.code;
	switch (code) {
		case 'bad-request':
			return m.error_bad_request();
		case 'invalid-credentials':
			return m.error_invalid_credentials();
		case 'second-factor-required':
			return m.error_second_factor_required();
		case 'totp-invalid':
			return m.error_totp_invalid();
		case 'totp-reused':
			return m.error_totp_reused();
		case 'webauthn-invalid':
			return m.error_webauthn_invalid();
		case 'challenge-expired':
			return m.error_challenge_expired();
		case 'device-unknown':
			return m.error_device_unknown();
		case 'device-pending':
			return m.error_device_pending();
		case 'device-revoked':
			return m.error_device_revoked();
		case 'device-signature-invalid':
			return m.error_device_signature_invalid();
		case 'unauthorized':
			return m.error_unauthorized();
		case 'forbidden':
			return m.error_forbidden();
		case 'not-whitelisted':
			return m.error_not_whitelisted();
		case 'not-found':
			return m.error_not_found();
		case 'instrument-offline':
			return m.error_instrument_offline();
		case 'agent-busy':
			return m.error_agent_busy();
		case 'payload-too-large':
			return m.error_payload_too_large();
		case 'rate-limited':
			return failure.retryAfter === undefined
				? m.error_rate_limited_later()
				: m.error_rate_limited({ wait: formatDuration(failure.retryAfter) });
		case 'internal':
			return m.error_internal();
		case 'unavailable':
			return m.error_unavailable();
		case 'bad-reply':
			return m.error_bad_reply({ status: failure.status ?? 0 });
		case 'unreachable':
			return m.error_unreachable();
		case 'timeout':
			return m.error_timeout();
		default: {
			const never: never = code;
			return String(never);
		}
	}
}

export function sessionFailureText(code: SessionFailureCode): string {
	switch (code) {
		case 'frame-too-large':
			return m.session_error_frame_too_large();
		case 'frame-truncated':
			return m.session_error_frame_truncated();
		case 'bad-version':
			return m.session_error_bad_version();
		case 'bad-kind':
			return m.session_error_bad_kind();
		case 'unknown-message':
			return m.session_error_unknown_message();
		case 'malformed':
			return m.session_error_malformed();
		case 'auth-tag':
			return m.session_error_auth_tag();
		case 'replay':
			return m.session_error_replay();
		case 'gap':
			return m.session_error_gap();
		case 'wrong-direction':
			return m.session_error_wrong_direction();
		case 'epoch':
			return m.session_error_epoch();
		case 'channel-closed':
			return m.session_error_channel_closed();
		case 'handshake-state':
			return m.session_error_handshake_state();
		case 'key-confirmation':
			return m.session_error_key_confirmation();
		case 'agent-key-mismatch':
			return m.session_error_agent_key_mismatch();
		case 'device-not-whitelisted':
			return m.session_error_device_not_whitelisted();
		case 'device-signature':
			return m.session_error_device_signature();
		case 'downgrade':
			return m.session_error_downgrade();
		case 'no-common-version':
			return m.session_error_no_common_version();
		case 'invalid-share':
			return m.session_error_invalid_share();
		case 'retry-later':
			return m.session_error_retry_later();
		case 'password-replaced':
			return m.session_error_password_replaced();
		case 'peer-alert':
			return m.session_error_peer_alert();
		case 'resume-refused':
			return m.session_error_resume_refused();
		case 'unreachable':
			return m.session_error_unreachable();
		case 'socket-closed':
			return m.session_error_socket_closed();
		case 'relay-unauthorized':
			return m.session_error_relay_unauthorized();
		case 'relay-forbidden':
			return m.session_error_relay_forbidden();
		case 'relay-session-unknown':
			return m.session_error_relay_session_unknown();
		case 'relay-session-taken':
			return m.session_error_relay_session_taken();
		case 'relay-peer-gone':
			return m.session_error_relay_peer_gone();
		case 'relay-rate-limited':
			return m.session_error_relay_rate_limited();
		case 'no-webcodecs':
			return m.session_error_no_webcodecs();
		case 'goodbye':
			return m.session_error_goodbye();
		default: {
			const never: never = code;
			return String(never);
		}
	}
}

/** The console's own failure codes, beside the broker's (for the completeness test). */
export const CLIENT_FAILURE_CODES = ['bad-reply', 'unreachable', 'timeout'] as const;
/** SessionFailureCode beyond ProtocolErrorCode, kept here so the test can walk them all. */
export const SESSION_ONLY_FAILURE_CODES = [
	'unreachable',
	'socket-closed',
	'relay-unauthorized',
	'relay-forbidden',
	'relay-session-unknown',
	'relay-session-taken',
	'relay-peer-gone',
	'relay-rate-limited',
	'no-webcodecs',
	'goodbye'
] as const satisfies readonly SessionFailureCode[];

type Unlisted = Exclude<
	SessionFailureCode,
	ProtocolErrorCode | (typeof SESSION_ONLY_FAILURE_CODES)[number]
>;
/** Fails to compile when SessionFailureCode gains a code the list above does not name. */
const _everyCodeListed: [Unlisted] extends [never] ? true : never = true;
void _everyCodeListed;

/** Codes history may hold, read back as the failures they name (sets: one lookup per line). */
const SESSION_CODES: ReadonlySet<string> = new Set([
	...PROTOCOL_ERROR_CODES,
	...SESSION_ONLY_FAILURE_CODES
]);
const BROKER_CODES: ReadonlySet<string> = new Set([...BROKER_ERROR_CODES, ...CLIENT_FAILURE_CODES]);

/** A session failure code read back from history, in plain words; null for an unknown one. */
export function recordedSessionFailureText(code: string): string | null {
	return SESSION_CODES.has(code) ? sessionFailureText(code as SessionFailureCode) : null;
}

/** A broker failure read back from history, in plain words; null for an unknown code. */
export function recordedBrokerFailureText(code: string, status?: number): string | null {
	if (!BROKER_CODES.has(code)) return null;
	const failure: BrokerFailure = { code: code as BrokerFailureCode };
	if (status !== undefined) failure.status = status;
	return brokerFailureText(failure);
}
