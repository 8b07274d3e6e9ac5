/**
 * One thread kept busy until terminated (a diagnostic for the stream suites: the bare decoder
 * beside it shows what any other work on the machine's cores costs the decoder). It says when it
 * has started spinning, so that the timed run begins with the thread busy.
 */
self.postMessage('spinning');
let x = 1;
for (;;) x = Math.imul(x, 1103515245) + 12345;
