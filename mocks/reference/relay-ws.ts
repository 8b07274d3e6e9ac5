/**
 * The relay of docs/protocol.md Part 1 "Relay" over a real WebSocket (the `ws` package): it checks
 * the Origin, selects only `benchside.v1` (never echoing the token), and hands the socket to the
 * very MockRelay that MSW and the dev bridge use. Text messages close with 1003, messages over
 * 1 MiB with 1009; it pings every 30 s and drops a socket silent for 60.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { RELAY_SUBPROTOCOL } from '../../src/lib/protocol/broker-api';
import type { MockRelay } from '../relay';

const MAX_MESSAGE = 1024 * 1024;
const PING_EVERY_MS = 30_000;

function bytesOf(data: RawData): Uint8Array {
	if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
	if (data instanceof ArrayBuffer) return new Uint8Array(data);
	return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export interface RelayServer {
	/** For the HTTP server's `upgrade` event; refuses what is not a relay path. */
	upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
	close(): void;
}

/** `allowedOrigins`: the console's origin(s); any other Origin gets HTTP 403 before the upgrade. */
export function createRelayServer(
	relay: MockRelay,
	allowedOrigins: () => readonly string[]
): RelayServer {
	const wss = new WebSocketServer({
		noServer: true,
		maxPayload: MAX_MESSAGE,
		// Only benchside.v1 is ever selected: the token subprotocol never comes back in a header.
		handleProtocols: (offered) => (offered.has(RELAY_SUBPROTOCOL) ? RELAY_SUBPROTOCOL : false)
	});
	const alive = new WeakMap<WebSocket, boolean>();
	const pinger = setInterval(() => {
		for (const socket of wss.clients) {
			if (alive.get(socket) === false) socket.terminate();
			else {
				alive.set(socket, false);
				socket.ping();
			}
		}
	}, PING_EVERY_MS);

	const refuse = (socket: Duplex, status: string) => {
		socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
	};

	wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
		alive.set(socket, true);
		socket.on('pong', () => alive.set(socket, true));
		const protocols = (request.headers['sec-websocket-protocol'] ?? '')
			.split(',')
			.map((p) => p.trim())
			.filter(Boolean);
		const url = `ws://${request.headers.host ?? '127.0.0.1'}${request.url ?? '/'}`;
		const link = relay.accept(url, protocols, {
			send: (bytes) => {
				if (socket.readyState === socket.OPEN) socket.send(bytes, { binary: true });
			},
			close: (code, reason) => {
				// 1006 cannot be sent (RFC 6455 §7.4.1): a dropped socket is simply cut.
				if (code === 1006) socket.terminate();
				else socket.close(code, reason);
			}
		});
		if (!link) return;
		socket.on('message', (data, isBinary) => {
			if (!isBinary) return socket.close(1003, 'only binary messages are relayed');
			link.receive(bytesOf(data));
		});
		socket.on('close', () => link.closed());
		socket.on('error', () => socket.terminate());
	});

	return {
		upgrade(request, socket, head) {
			const path = new URL(request.url ?? '/', 'http://x').pathname;
			if (!path.startsWith('/relay/v1/')) return refuse(socket, '404 Not Found');
			// Cross-site WebSocket hijacking: a page of another origin never reaches the relay.
			const origin = request.headers.origin;
			if (!origin || !allowedOrigins().includes(origin)) return refuse(socket, '403 Forbidden');
			wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
		},
		close() {
			clearInterval(pinger);
			for (const socket of wss.clients) socket.terminate();
			wss.close();
		}
	};
}
