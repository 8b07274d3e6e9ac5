import { ws } from 'msw';
import type { MockRelay } from './relay';

/** Turns whatever a mocked WebSocket client sent into bytes, in order. */
export function byteQueue(deliver: (bytes: Uint8Array) => void) {
	let tail = Promise.resolve();
	return (data: unknown) => {
		tail = tail.then(async () => {
			if (data instanceof ArrayBuffer) deliver(new Uint8Array(data));
			else if (ArrayBuffer.isView(data))
				deliver(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
			else if (data instanceof Blob) deliver(new Uint8Array(await data.arrayBuffer()));
			// Text frames are not part of the protocol: ignored, as the relay would refuse them.
		});
	};
}

/** MSW handlers for sockets opened by the page itself (tests, tools); workers use relay-bridge.ts. */
export function relayHandlers(relay: MockRelay, relayBase: string) {
	const link = ws.link(`${relayBase}/relay/v1/*`);
	return [
		link.addEventListener('connection', ({ client, info }) => {
			const protocols = [info.protocols ?? []].flat();
			const relayed = relay.accept(client.url.href, protocols, {
				send: (bytes) => client.send(bytes),
				close: (code, reason) => client.close(code, reason)
			});
			if (!relayed) return;
			const push = byteQueue((b) => relayed.receive(b));
			client.addEventListener('message', (event) => push(event.data));
			client.addEventListener('close', (event) => relayed.closed(event.code));
		})
	];
}
