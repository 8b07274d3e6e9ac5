/**
 * One thread kept busy until told to stop (a diagnostic for the stream suites: the bare decoder
 * beside it shows what any other work on the machine's cores costs the decoder). It says when it
 * has started spinning, so that the timed run begins with the thread busy, and when it has
 * stopped. `terminate()` alone did not stop it: in Chromium 156 the loop went on for 1-3 s
 * afterwards, halving the decoder's rate in the runs that followed (bench/README.md).
 */
self.onmessage = (e: MessageEvent<Int32Array>) => {
	const stop = e.data;
	self.postMessage('spinning');
	let x = 1;
	for (;;) {
		for (let i = 0; i < 100_000; i++) x = Math.imul(x, 1103515245) + 12345;
		if (Atomics.load(stop, 0) !== 0) break;
	}
	self.postMessage(x); // stopped (and the loop's result used, so that it is not optimised away)
};
