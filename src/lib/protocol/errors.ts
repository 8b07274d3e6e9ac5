/**
 * Every way the protocol can refuse input. Each code has a translated message in the app
 * (src/lib/i18n) and is part of the contract in docs/protocol.md, section "Errors".
 */
export const PROTOCOL_ERROR_CODES = [
	'frame-too-large',
	'frame-truncated',
	'bad-version',
	'bad-kind',
	'unknown-message',
	'malformed',
	'auth-tag',
	'replay',
	'gap',
	'wrong-direction',
	'epoch',
	'channel-closed',
	'handshake-state',
	'key-confirmation',
	'agent-key-mismatch',
	'device-not-whitelisted',
	'device-signature',
	'downgrade',
	'no-common-version',
	'invalid-share',
	'retry-later',
	'password-replaced',
	'peer-alert',
	'resume-refused'
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

export class ProtocolError extends Error {
	readonly code: ProtocolErrorCode;
	readonly detail: Record<string, number | string> | undefined;

	constructor(code: ProtocolErrorCode, message: string, detail?: Record<string, number | string>) {
		super(message);
		this.name = 'ProtocolError';
		this.code = code;
		this.detail = detail;
	}
}

/** Failures travel as values across worker boundaries (Comlink keeps only name and message). */
export type Result<T> =
	| { ok: true; value: T }
	| {
			ok: false;
			code: ProtocolErrorCode;
			message: string;
			detail?: Record<string, number | string>;
	  };

export function failure(error: unknown): Extract<Result<never>, { ok: false }> {
	if (error instanceof ProtocolError) {
		return error.detail
			? { ok: false, code: error.code, message: error.message, detail: error.detail }
			: { ok: false, code: error.code, message: error.message };
	}
	throw error;
}
