/**
 * What the screen worker posts on its dedicated MessagePort: encoded video, never through
 * Comlink. `stream` tells apart a stream from an earlier one on the same screen whose last
 * chunks may still be in flight after a stop and a new start.
 */
export type ScreenPortMessage =
	| {
			type: 'config';
			stream: number;
			screenId: number;
			codec: string;
			width: number;
			height: number;
			description?: Uint8Array;
			colorSpace?: VideoColorSpaceInit;
	  }
	| {
			type: 'chunk';
			stream: number;
			screenId: number;
			key: boolean;
			timestamp: number;
			duration: number;
			data: Uint8Array;
	  }
	| { type: 'error'; stream: number; screenId: number; message: string };
