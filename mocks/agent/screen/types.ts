/**
 * The simulated instrument screen as the mock agent sees it: screens to stream, encoded video
 * out, remote input in. Two implementations: `createBrowserScreenSource` (draws and encodes live
 * in a worker, needs WebCodecs) and `createFixtureScreenSource` (replays recorded chunks, runs
 * anywhere, Node included). Types only: the agent imports them in Node too.
 */

export interface ScreenInfo {
	id: number;
	name: string;
	width: number;
	height: number;
	primary: boolean;
}

export interface EncodedVideoConfig {
	codec: string;
	width: number;
	height: number;
	description?: Uint8Array;
	/**
	 * The YUV the encoder produced. Chromium encodes canvas frames as full-range BT.709, and its
	 * VP8 and VP9 streams do not say so: a decoder configured without this assumes limited range
	 * and stretches the contrast (#1f3a5f decodes as #11315a). AV1 and H.264 carry it in-band.
	 */
	colorSpace?: VideoColorSpaceInit;
}

export interface EncodedChunkOut {
	screenId: number;
	key: boolean;
	/** Microseconds. */
	timestamp: number;
	/** Microseconds. */
	duration: number;
	data: Uint8Array;
}

/** Input in the remote screen's pixel coordinates; fields as in docs/protocol.md (0x40-0x42). */
export type ScreenInput =
	| {
			type: 'pointer';
			screenId: number;
			x: number;
			y: number;
			/** The DOM `MouseEvent.buttons` mask. */
			buttons: number;
			action: 'move' | 'down' | 'up';
	  }
	| { type: 'wheel'; screenId: number; x: number; y: number; dx: number; dy: number }
	| {
			type: 'key';
			/** `KeyboardEvent.code`. */
			code: string;
			down: boolean;
			/** Bit 0 Shift, 1 Control, 2 Alt, 3 Meta. */
			modifiers: number;
			/** What a printable key produced; '' otherwise. */
			text: string;
	  };

export interface ScreenSink {
	config(c: EncodedVideoConfig & { screenId: number }): void;
	chunk(c: EncodedChunkOut): void;
	error(message: string): void;
}

/** The encoder's own figures, for the protocol's `stats` message. */
export interface ScreenStats {
	screenId: number;
	codec: string;
	framesEncoded: number;
	/** Frames skipped because the encoder was still busy with earlier ones. */
	framesDropped: number;
	keyFrames: number;
	bytes: number;
	/** Frames encoded per second over the last few seconds. */
	fps: number;
}

export interface StartOptions {
	/** Frames per second; default 30. */
	fps?: number;
	/** Bits per second; default scales 2 Mbit/s at 1920x1080 by the pixel count. */
	bitrate?: number;
}

export interface ScreenSource {
	readonly screens: ScreenInfo[];
	/** Codec strings this source can encode, best first. */
	encodable(): Promise<string[]>;
	/**
	 * Starts streaming screenId with the first codec of `codecs` (console's preference order) it
	 * can encode; resolves to the chosen codec or null if none. By then `sink` has had the
	 * config and the first chunk, a key frame.
	 */
	start(
		screenId: number,
		codecs: string[],
		sink: ScreenSink,
		options?: StartOptions
	): Promise<string | null>;
	stop(screenId: number): void;
	requestKeyFrame(screenId: number): void;
	input(event: ScreenInput): void;
	dispose(): void;
	/** Encoder figures of a running stream; null when screenId is not streaming. */
	stats?(screenId: number): Promise<ScreenStats | null>;
}
