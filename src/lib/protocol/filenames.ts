/**
 * File names from a peer are hostile until proven otherwise (docs/protocol.md, "Files"): no path,
 * no traversal, no control or bidirectional-override characters, nothing a file system or a
 * screen reader would take for something else. Both sides use this before showing or storing.
 */
// C0 and C1 controls, DEL, bidi embeddings/overrides/isolates, zero-width and BOM characters.
const FORBIDDEN =
	// eslint-disable-next-line no-control-regex -- matching control characters is the point
	/[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const RESERVED_WINDOWS = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
export const MAX_FILE_NAME_BYTES = 255;

export type SafeName = { ok: true; name: string } | { ok: false; reason: 'empty' | 'reserved' };

/** The last path component, cleaned; never a path, never `.` or `..`, at most 255 UTF-8 bytes. */
export function safeFileName(raw: string): SafeName {
	const lastPart = raw.split(/[/\\]/).pop() ?? '';
	let name = lastPart
		.normalize('NFC')
		.replace(FORBIDDEN, '')
		.replace(/[<>:"|?*]/g, '_')
		.trim();
	name = name.replace(/^\.+/, (dots) => (dots.length === name.length ? '' : '_'));
	if (name === '') return { ok: false, reason: 'empty' };
	if (RESERVED_WINDOWS.test(name)) return { ok: false, reason: 'reserved' };
	const encoder = new TextEncoder();
	while (encoder.encode(name).length > MAX_FILE_NAME_BYTES) name = [...name].slice(0, -1).join('');
	return { ok: true, name };
}
