/**
 * MSW's page-level WebSocket mock does not reach sockets opened inside a worker. In dev, the
 * stream worker intercepts its own sockets (`installWorkerRelayBridge`, @mswjs/interceptors) and
 * carries their bytes over a MessagePort to the page, where the mock world answers them
 * (`serveRelayBridge`). Bytes are transferred, never cloned.
 */
import { byteQueue } from './relay-msw';
import type { MockRelay, RelayLink } from './relay';

export type BridgeMessage =
	| { type: 'open'; id: number; url: string; protocols: string[] }
	| { type: 'data'; id: number; bytes: Uint8Array }
	| { type: 'close'; id: number; code: number; reason: string };

/** Page side: answers the bridged sockets with the mock relay. */
export function serveRelayBridge(relay: MockRelay, port: MessagePort) {
	const links = new Map<number, RelayLink>();
	const queues = new Map<number, (data: unknown) => void>();
	port.onmessage = (event: MessageEvent<BridgeMessage>) => {
		const m = event.data;
		switch (m.type) {
			case 'open': {
				const link = relay.accept(m.url, m.protocols, {
					send: (bytes) => {
						const copy = bytes.slice();
						port.postMessage({ type: 'data', id: m.id, bytes: copy } satisfies BridgeMessage, [
							copy.buffer
						]);
					},
					close: (code, reason) => {
						links.delete(m.id);
						port.postMessage({ type: 'close', id: m.id, code, reason } satisfies BridgeMessage);
					}
				});
				if (link) {
					links.set(m.id, link);
					queues.set(
						m.id,
						byteQueue((b) => link.receive(b))
					);
				}
				return;
			}
			case 'data':
				queues.get(m.id)?.(m.bytes);
				return;
			case 'close':
				links.get(m.id)?.closed(m.code);
				links.delete(m.id);
				queues.delete(m.id);
				return;
		}
	};
	port.start();
}
