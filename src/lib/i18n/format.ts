/** Dates, durations and numbers in the interface language (Intl, driven by the locale rune). */
import { locale } from './locale.svelte';

export function formatDateTime(time: string | number | Date): string {
	return new Intl.DateTimeFormat(locale.current, {
		dateStyle: 'medium',
		timeStyle: 'short'
	}).format(new Date(time));
}

export function formatTime(time: string | number | Date): string {
	return new Intl.DateTimeFormat(locale.current, { timeStyle: 'medium' }).format(new Date(time));
}

export function formatNumber(n: number): string {
	return new Intl.NumberFormat(locale.current).format(n);
}

/** "45 seconds", "3 minutes", "2 hours": rounded up, so a wait is never announced too short. */
export function formatDuration(seconds: number): string {
	const s = Math.max(0, Math.ceil(seconds));
	const [value, unit] =
		s < 90
			? [s, 'second']
			: s < 90 * 60
				? [Math.ceil(s / 60), 'minute']
				: [Math.ceil(s / 3600), 'hour'];
	return new Intl.NumberFormat(locale.current, {
		style: 'unit',
		unit,
		unitDisplay: 'long'
	}).format(value);
}

/** "5 minutes ago", "yesterday", relative to `now`. */
export function formatRelative(time: string | number | Date, now = Date.now()): string {
	const seconds = Math.round((new Date(time).getTime() - now) / 1000);
	const rtf = new Intl.RelativeTimeFormat(locale.current, { numeric: 'auto' });
	const abs = Math.abs(seconds);
	if (abs < 60) return rtf.format(seconds, 'second');
	if (abs < 3600) return rtf.format(Math.round(seconds / 60), 'minute');
	if (abs < 86_400) return rtf.format(Math.round(seconds / 3600), 'hour');
	return rtf.format(Math.round(seconds / 86_400), 'day');
}

/** "15 minutes" for the idle-lock choices. */
export function formatMinutes(minutes: number): string {
	return new Intl.NumberFormat(locale.current, {
		style: 'unit',
		unit: 'minute',
		unitDisplay: 'long'
	}).format(minutes);
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;

/**
 * "812 bytes", "20.5 kB", "131 kB", "1.5 MB": decimal units (10³ steps, as file managers show
 * them), bytes spelt out so that 72 reads "72 bytes", one decimal below 100 of a larger unit.
 */
export function formatBytes(bytes: number): string {
	let value = Math.max(0, bytes);
	let unit = 0;
	while (value >= 1000 && unit < BYTE_UNITS.length - 1) {
		value /= 1000;
		unit++;
	}
	return new Intl.NumberFormat(locale.current, {
		style: 'unit',
		unit: BYTE_UNITS[unit],
		unitDisplay: unit === 0 ? 'long' : 'short',
		maximumFractionDigits: unit === 0 || value >= 100 ? 0 : 1
	}).format(value);
}
