import { describe, expect, it } from 'vitest';
import { containedBox, keyText, modifiers, toRemote, toRemoteClamped } from '$lib/session/input';

describe('mapping the technician’s pointer to the remote screen', () => {
	it('letterboxes a 16:9 screen in a square element and maps through the picture', () => {
		const picture = containedBox({ left: 10, top: 20, width: 800, height: 800 }, 1920, 1080);
		expect(picture).toEqual({ left: 10, top: 195, width: 800, height: 450 });
		expect(toRemote(picture, 1920, 1080, 10, 195)).toEqual({ x: 0, y: 0 });
		expect(toRemote(picture, 1920, 1080, 410, 420)).toEqual({ x: 960, y: 540 });
		expect(toRemote(picture, 1920, 1080, 809.9, 644.9)).toEqual({ x: 1919, y: 1079 });
		// In the black bars: nothing is sent.
		expect(toRemote(picture, 1920, 1080, 400, 100)).toBeNull();
	});

	it('clamps a point outside the picture to the screen’s edge, for a button let go there', () => {
		const picture = containedBox({ left: 10, top: 20, width: 800, height: 800 }, 1920, 1080);
		expect(toRemoteClamped(picture, 1920, 1080, 410, 420)).toEqual({ x: 960, y: 540 });
		expect(toRemoteClamped(picture, 1920, 1080, 400, 100)).toEqual({ x: 936, y: 0 });
		expect(toRemoteClamped(picture, 1920, 1080, -50, 2000)).toEqual({ x: 0, y: 1079 });
		expect(toRemoteClamped(picture, 1920, 1080, 5000, 300)).toEqual({ x: 1919, y: 252 });
	});

	it('encodes modifiers and printable text as the protocol says', () => {
		expect(modifiers({ shiftKey: true, ctrlKey: false, altKey: true, metaKey: false })).toBe(
			0b0101
		);
		expect(keyText('a')).toBe('a');
		expect(keyText('é')).toBe('é');
		expect(keyText('Enter')).toBe('');
	});
});
