/**
 * Worker side of the dev relay bridge (see relay-bridge.ts): intercepts WebSockets opened in this
 * worker to the mock relay and carries them to the page. Imported by workers in dev mode only.
 */
import { WebSocketInterceptor } from '@mswjs/interceptors/WebSocket';
import type { BridgeMessage } from './relay-bridge';

export function installWorkerRelayBridge(port: MessagePort, relayBase: string): () => void {
	const interceptor = new WebSocketInterceptor();
	const clients = new Map<
		number,
		{ send(d: ArrayBuffer): void; close(code?: number, reason?: string): void }
	>();
	let nextId = 1;
	interceptor.on('connection', ({ client, server, info }) => {
		if (!client.url.href.startsWith(relayBase)) {
			server.connect();
			return;
		}
		const id = nextId++;
		clients.set(id, client);
		const protocols = [info.protocols ?? []].flat();
		port.postMessage({ type: 'open', id, url: client.url.href, protocols } satisfies BridgeMessage);
		client.addEventListener('message', (event) => {
			const data = event.data;
			if (typeof data === 'string' || data instanceof Blob) return;
			const bytes = (
				ArrayBuffer.isView(data)
					? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
					: new Uint8Array(data)
			).slice();
			port.postMessage({ type: 'data', id, bytes } satisfies BridgeMessage, [bytes.buffer]);
		});
		client.addEventListener('close', (event) => {
			clients.delete(id);
			port.postMessage({
				type: 'close',
				id,
				code: event.code,
				reason: event.reason
			} satisfies BridgeMessage);
		});
	});
	port.onmessage = (event: MessageEvent<BridgeMessage>) => {
		const m = event.data;
		const client = clients.get(m.id);
		if (!client) return;
		if (m.type === 'data') client.send(m.bytes.buffer as ArrayBuffer);
		else if (m.type === 'close') {
			clients.delete(m.id);
			client.close(m.code, m.reason);
		}
	};
	port.start();
	interceptor.apply();
	return () => interceptor.dispose();
}
