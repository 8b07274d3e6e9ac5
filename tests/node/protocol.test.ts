// The protocol module's suites, run in Node (WebCrypto from node:crypto). The same suites run in
// real Chromium from tests/browser/protocol.test.ts: the module must behave the same in both.
import '../shared/cpace.suite';
import '../shared/kdf.suite';
import '../shared/wire.suite';
import '../shared/handshake.suite';
import '../shared/channel.suite';
