/**
 * From the canvas on the page to the remote screen's pixels: the canvas is scaled by CSS (fit or
 * 1:1), so a pointer position is mapped through the drawn picture's box, letterboxing included.
 */
export interface Box {
	left: number;
	top: number;
	width: number;
	height: number;
}

/** The box the picture occupies inside an element of `box`, drawn with object-fit: contain. */
export function containedBox(box: Box, remoteWidth: number, remoteHeight: number): Box {
	const scale = Math.min(box.width / remoteWidth, box.height / remoteHeight);
	const width = remoteWidth * scale;
	const height = remoteHeight * scale;
	return {
		left: box.left + (box.width - width) / 2,
		top: box.top + (box.height - height) / 2,
		width,
		height
	};
}

/** Remote coordinates of a client point, or null outside the picture. */
export function toRemote(
	picture: Box,
	remoteWidth: number,
	remoteHeight: number,
	clientX: number,
	clientY: number
): { x: number; y: number } | null {
	const fx = (clientX - picture.left) / picture.width;
	const fy = (clientY - picture.top) / picture.height;
	if (fx < 0 || fy < 0 || fx >= 1 || fy >= 1) return null;
	return toRemoteClamped(picture, remoteWidth, remoteHeight, clientX, clientY);
}

/**
 * Remote coordinates of a client point, clamped to the screen's edges: where a button held down
 * on the picture is let go outside it (a drag to the edge), the remote screen still gets its `up`.
 */
export function toRemoteClamped(
	picture: Box,
	remoteWidth: number,
	remoteHeight: number,
	clientX: number,
	clientY: number
): { x: number; y: number } {
	const clamp = (v: number, max: number) => Math.min(max - 1, Math.max(0, Math.floor(v)));
	return {
		x: clamp(((clientX - picture.left) / picture.width) * remoteWidth, remoteWidth),
		y: clamp(((clientY - picture.top) / picture.height) * remoteHeight, remoteHeight)
	};
}

/** Bit 0 Shift, 1 Control, 2 Alt, 3 Meta (docs/protocol.md, "Input"). */
export function modifiers(e: {
	shiftKey: boolean;
	ctrlKey: boolean;
	altKey: boolean;
	metaKey: boolean;
}): number {
	return (e.shiftKey ? 1 : 0) | (e.ctrlKey ? 2 : 0) | (e.altKey ? 4 : 0) | (e.metaKey ? 8 : 0);
}

/** The text a key produced, for printable keys only. */
export function keyText(key: string): string {
	return [...key].length === 1 ? key : '';
}
