/** One realistic value of every message in the catalogue: round trips and the contract test use them. */
import type {
	AppMessage,
	AppType,
	HandshakeMessage,
	HandshakeType
} from '../../src/lib/protocol/messages';

const bytes = (n: number, seed = 1) =>
	Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const sig = bytes(64, 7);
const at = Date.UTC(2026, 10, 28, 9, 30);

export const APP_SAMPLES: { [T in AppType]: Extract<AppMessage, { type: T }> } = {
	'session-info': {
		type: 'session-info',
		instrumentId: 'HX-2041',
		agentVersion: '1.4.2',
		phi: false,
		capabilities: ['view', 'control', 'file-transfer'],
		screens: [
			{ id: 0, name: 'Main', width: 1920, height: 1080, primary: true },
			{ id: 1, name: 'Service', width: 1280, height: 720, primary: false }
		],
		codecs: ['av01.0.04M.08', 'vp09.00.10.08', 'avc1.42E01F', 'vp8']
	},
	'resume-ticket': { type: 'resume-ticket', ticketId: bytes(16, 3), lifetimeMs: 30_000 },
	'consent-request': {
		type: 'consent-request',
		requestId: 1,
		capability: 'control',
		scope: 'session',
		note: 'Calibration check, 10 min'
	},
	'consent-grant': {
		type: 'consent-grant',
		requestId: 1,
		capability: 'control',
		scope: 'session',
		at,
		signature: sig
	},
	'consent-deny': {
		type: 'consent-deny',
		requestId: 2,
		capability: 'file-transfer',
		reason: 'phi',
		at,
		signature: sig
	},
	'consent-revoke': { type: 'consent-revoke', capability: 'control', at, signature: sig },
	'consent-release': { type: 'consent-release', capability: 'control' },
	'stream-start': {
		type: 'stream-start',
		screenId: 0,
		codecs: ['vp09.00.10.08', 'vp8'],
		maxWidth: 1920,
		maxHeight: 1080
	},
	'video-config': {
		type: 'video-config',
		screenId: 0,
		codec: 'vp09.00.10.08',
		width: 1920,
		height: 1080,
		description: new Uint8Array(0),
		primaries: 'bt709',
		transfer: 'iec61966-2-1',
		matrix: 'rgb',
		range: 'full'
	},
	'video-chunk': {
		type: 'video-chunk',
		screenId: 0,
		key: true,
		timestamp: 33_333,
		duration: 33_333,
		data: bytes(5000)
	},
	'keyframe-request': { type: 'keyframe-request', screenId: 0, reason: 'decoder-error' },
	'stream-stop': { type: 'stream-stop', screenId: 1 },
	pointer: { type: 'pointer', screenId: 0, x: 1919, y: 12, buttons: 1, action: 'down' },
	wheel: { type: 'wheel', screenId: 0, x: 400, y: 300, dx: 0, dy: -120 },
	key: { type: 'key', code: 'KeyQ', down: true, modifiers: 0b0101, text: 'a' },
	'secure-attention': { type: 'secure-attention' },
	'file-offer': {
		type: 'file-offer',
		transferId: 9,
		name: 'QC-export 2026-11-28.csv',
		size: 2 ** 40,
		sha256: bytes(32, 3),
		mime: 'text/csv'
	},
	'file-accept': { type: 'file-accept', transferId: 9, offset: 65536 },
	'file-chunk': { type: 'file-chunk', transferId: 9, offset: 65536, data: bytes(65536, 5) },
	'file-ack': { type: 'file-ack', transferId: 9, received: 131072 },
	'file-complete': { type: 'file-complete', transferId: 9, sha256: bytes(32, 3) },
	'file-abort': {
		type: 'file-abort',
		transferId: 9,
		reason: 'integrity',
		message: 'SHA-256 differs'
	},
	'file-list': {
		type: 'file-list',
		files: [
			{ name: 'event-log-2026-11-28.txt', size: 182_044, mime: 'text/plain' },
			{ name: 'analyser.cfg', size: 4_096, mime: 'application/octet-stream' }
		]
	},
	'file-request': { type: 'file-request', transferId: 10, name: 'analyser.cfg' },
	chat: { type: 'chat', messageId: 3, at, text: 'Bonjour, je vais relancer le module optique. ✓' },
	'chat-ack': { type: 'chat-ack', messageId: 3 },
	clipboard: { type: 'clipboard', text: 'LOT 24A117' },
	ping: { type: 'ping', nonce: 0xdeadbeef, sentAt: at },
	pong: { type: 'pong', nonce: 0xdeadbeef, sentAt: at },
	stats: { type: 'stats', fps: 30, bitrateKbps: 1800, encodeMs: 4, queue: 0 },
	rekey: { type: 'rekey', epoch: 1 },
	goodbye: { type: 'goodbye', reason: 'ended-by-technician', message: '' }
};

export const HANDSHAKE_SAMPLES: { [T in HandshakeType]: Extract<HandshakeMessage, { type: T }> } = {
	'client-hello': {
		type: 'client-hello',
		versions: [1],
		sessionId: bytes(16),
		share: bytes(32),
		technicianId: 'tech-17',
		deviceKey: bytes(65)
	},
	'server-hello': {
		type: 'server-hello',
		version: 1,
		versions: [1],
		share: bytes(32),
		agentKeyId: 'agent-key-1',
		signature: sig,
		confirm: bytes(32)
	},
	'client-finished': { type: 'client-finished', signature: sig, confirm: bytes(32) },
	'resume-hello': {
		type: 'resume-hello',
		versions: [1],
		sessionId: bytes(16),
		ticketId: bytes(16, 3),
		share: bytes(65, 5)
	},
	'resume-accept': { type: 'resume-accept', version: 1, share: bytes(65, 9), confirm: bytes(32) },
	'resume-finished': { type: 'resume-finished', signature: sig, confirm: bytes(32) }
};
