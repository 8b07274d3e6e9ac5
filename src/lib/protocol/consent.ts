/**
 * Consent answers are signed by the agent's identity key, so session history can prove later
 * what the customer granted, denied or revoked, and when (docs/protocol.md, "Consent").
 */
import { concat, utf8 } from './bytes';
import { encode } from './codec';
import { sign, verify, type Identity } from './identity';
import { bodyCodec, type AppMessage } from './messages';

export type ConsentAnswer = Extract<
	AppMessage,
	{ type: 'consent-grant' | 'consent-deny' | 'consent-revoke' }
>;
type Unsigned<M> = M extends unknown ? Omit<M, 'signature'> : never;

/** The signed bytes: label ‖ session id ‖ type byte ‖ the body with a zeroed signature. */
function signedBytes(sessionId: Uint8Array, answer: Unsigned<ConsentAnswer>): Uint8Array {
	const body = encode(bodyCodec(answer.type), {
		...answer,
		signature: new Uint8Array(64)
	} as never);
	return concat(utf8.encode(`benchside/1 consent ${answer.type}`), sessionId, body);
}

export async function signConsent<M extends Unsigned<ConsentAnswer>>(
	agent: Identity,
	sessionId: Uint8Array,
	answer: M
): Promise<M & { signature: Uint8Array }> {
	return { ...answer, signature: await sign(agent.privateKey, signedBytes(sessionId, answer)) };
}

export function verifyConsent(
	agentKey: Uint8Array,
	sessionId: Uint8Array,
	answer: ConsentAnswer
): Promise<boolean> {
	const { signature, ...unsigned } = answer;
	return verify(agentKey, signature, signedBytes(sessionId, unsigned as Unsigned<ConsentAnswer>));
}
