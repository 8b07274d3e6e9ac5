/**
 * A probe for tests/e2e/firefox-dev.test.ts, dev only (Vite serves mocks/ in `npm run dev`, tests/
 * not at all): a module worker that imports the console's own modules, as the stream worker does,
 * and answers with what they compute, so the test sees that a worker and its imports were loaded
 * and ran under MSW's service worker.
 */
import { toHex } from '../src/lib/protocol/bytes';
import { decodableCodecs } from '../workers/stream/video';

void decodableCodecs().then((codecs) =>
	postMessage({ hex: toHex(new Uint8Array([0xbe, 0x9c])), codecs })
);
