// The protocol module's suites in real Chromium (page context). The same suites run in Node from
// tests/node/protocol.test.ts: the module must behave the same in both.
import '../shared/cpace.suite';
import '../shared/kdf.suite';
import '../shared/wire.suite';
import '../shared/handshake.suite';
import '../shared/channel.suite';
