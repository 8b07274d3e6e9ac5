/**
 * The i18n layer (Paraglide JS 2, messages in ./messages/{en,fr}.json). Import `m` from here, not
 * from ./paraglide: this module installs the reactive locale before any message is read.
 */
export { locale, LOCALES, type Locale } from './locale.svelte';
export { m } from './paraglide/messages.js';
export { brokerFailureText, sessionFailureText } from './errors';
export {
	formatBytes,
	formatDateTime,
	formatDuration,
	formatMinutes,
	formatNumber,
	formatRelative,
	formatTime
} from './format';
