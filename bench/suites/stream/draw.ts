/**
 * Three ways to put a decoded VideoFrame on an OffscreenCanvas, each ending at a point where its
 * pixels are on the canvas, so their costs compare: 2D drawImage (VideoPipeline's way) plus a
 * one-pixel readback that flushes the recorded draw; createImageBitmap + transferFromImageBitmap
 * (the bitmap is the canvas's content once transferred); WebGL texImage2D + a full-canvas
 * triangle plus a one-pixel readPixels, which waits for the GPU process. And the 2D way onto a
 * canvas half the frame's size each way, as a canvas whose backing store were sized to a fitted
 * picture would draw it.
 */
export type DrawMethod = '2d' | '2d-half' | 'bitmap' | 'webgl';

export interface Drawer {
	readonly method: DrawMethod;
	draw(frame: VideoFrame): void | Promise<void>;
}

export function drawers(width: number, height: number): Drawer[] {
	const out: Drawer[] = [
		canvas2d(width, height),
		canvas2d(width / 2, height / 2, '2d-half'),
		bitmapRenderer(width, height)
	];
	const gl = webgl(width, height);
	if (gl) out.push(gl);
	else console.warn('[stream bench] no WebGL on an OffscreenCanvas here: draw.webgl not measured');
	return out;
}

function canvas2d(width: number, height: number, method: '2d' | '2d-half' = '2d'): Drawer {
	// The context options VideoPipeline asks for.
	const ctx = new OffscreenCanvas(width, height).getContext('2d', {
		alpha: false,
		desynchronized: true
	});
	if (!ctx) throw new Error('no 2D context');
	return {
		method,
		draw(frame) {
			ctx.drawImage(frame, 0, 0, width, height);
			ctx.getImageData(0, 0, 1, 1);
		}
	};
}

function bitmapRenderer(width: number, height: number): Drawer {
	const ctx = new OffscreenCanvas(width, height).getContext('bitmaprenderer');
	if (!ctx) throw new Error('no bitmaprenderer context');
	return {
		method: 'bitmap',
		async draw(frame) {
			ctx.transferFromImageBitmap(await createImageBitmap(frame));
		}
	};
}

const VERTEX = `attribute vec2 p;
varying vec2 uv;
void main() { uv = vec2(p.x * 0.5 + 0.5, 0.5 - p.y * 0.5); gl_Position = vec4(p, 0.0, 1.0); }`;
const FRAGMENT = `precision mediump float;
varying vec2 uv;
uniform sampler2D frame;
void main() { gl_FragColor = texture2D(frame, uv); }`;

function webgl(width: number, height: number): Drawer | null {
	const canvas = new OffscreenCanvas(width, height);
	const options = { alpha: false, antialias: false, depth: false, desynchronized: true };
	const gl = canvas.getContext('webgl2', options) ?? canvas.getContext('webgl', options);
	if (!gl) return null;
	const shader = (type: number, source: string) => {
		const s = gl.createShader(type)!;
		gl.shaderSource(s, source);
		gl.compileShader(s);
		if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(gl.getShaderInfoLog(s)!);
		return s;
	};
	const program = gl.createProgram();
	gl.attachShader(program, shader(gl.VERTEX_SHADER, VERTEX));
	gl.attachShader(program, shader(gl.FRAGMENT_SHADER, FRAGMENT));
	gl.linkProgram(program);
	if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error('WebGL link failed');
	gl.useProgram(program);
	// One triangle that covers the canvas.
	gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
	gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 3, -1, -1, 3]), gl.STATIC_DRAW);
	const p = gl.getAttribLocation(program, 'p');
	gl.enableVertexAttribArray(p);
	gl.vertexAttribPointer(p, 2, gl.FLOAT, false, 0, 0);
	gl.bindTexture(gl.TEXTURE_2D, gl.createTexture());
	for (const [k, v] of [
		[gl.TEXTURE_MIN_FILTER, gl.LINEAR],
		[gl.TEXTURE_MAG_FILTER, gl.LINEAR],
		[gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE],
		[gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE]
	] as const)
		gl.texParameteri(gl.TEXTURE_2D, k, v);
	gl.viewport(0, 0, width, height);
	const pixel = new Uint8Array(4);
	let checked = false;
	return {
		method: 'webgl',
		draw(frame) {
			gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, frame);
			gl.drawArrays(gl.TRIANGLES, 0, 3);
			gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
			if (!checked) {
				checked = true;
				const error = gl.getError();
				if (error !== gl.NO_ERROR) throw new Error(`WebGL error 0x${error.toString(16)}`);
			}
		}
	};
}
