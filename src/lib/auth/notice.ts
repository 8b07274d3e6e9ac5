import { brokerFailureText, formatDuration, m } from '$lib/i18n';
import type { AuthNotice } from './auth.svelte';
import type { Countdown } from './countdown.svelte';

/** A sign-in notice in the current language; a rate limit counts down while it lasts. */
export function authNoticeText(notice: AuthNotice, wait?: Countdown): string {
	switch (notice.kind) {
		case 'broker':
			if (notice.failure.code === 'rate-limited' && wait) {
				return wait.active
					? m.error_rate_limited({ wait: formatDuration(wait.remaining) })
					: m.connect_retry_now();
			}
			return brokerFailureText(notice.failure);
		case 'signed-out':
			if (notice.erased === true) return m.signed_out_erased();
			if (notice.erased === false)
				return (notice.unsent ?? 0) > 0
					? m.signed_out_kept({ count: String(notice.unsent) })
					: m.signed_out_erase_failed();
			return m.signed_out();
		case 'totp-format':
			return m.totp_format();
		case 'webauthn-unavailable':
			return m.webauthn_unavailable();
		case 'webauthn-cancelled':
			return m.webauthn_cancelled();
		default: {
			const never: never = notice;
			return String(never);
		}
	}
}
