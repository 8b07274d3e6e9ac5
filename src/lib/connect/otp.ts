/**
 * The one-time password the customer reads out (docs/protocol.md Part 2): 8 characters of
 * `ABCDEFGHJKMNPQRSTUVWXYZ23456789`, shown as XXXX-XXXX. People type it in any case, with or
 * without spaces and dashes; the handshake normalises it the same way (`normalizePassword`).
 */
import { normalizePassword } from '$lib/protocol/guard';

const SHAPE = /^[A-HJ-NP-Z2-9]{8}$/;

/** "abcd ef23" → "ABCD-EF23"; null when it cannot be a one-time password. */
export function readOneTimePassword(typed: string): string | null {
	const plain = normalizePassword(typed);
	return SHAPE.test(plain) ? `${plain.slice(0, 4)}-${plain.slice(4)}` : null;
}
