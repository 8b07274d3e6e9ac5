/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The PWA worker (production only; see hooks.client.ts). It precaches the app shell and static
// files of this version and serves them offline. It never caches API or relay traffic. A new
// version installs and waits; it takes over only when the technician applies it (no live session
// open: src/lib/pwa/update.svelte.ts), by asking this worker to skip waiting.
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const CACHE = `benchside-${version}`;
const SHELL = [...build, ...files, '/'];
const SHELL_SET = new Set(SHELL);

/** Worker scripts live beside the build but are not in Kit's `build` list. */
const WORKERS = '/_app/immutable/workers/';

/**
 * The worker scripts the build's chunks start (`new URL("../workers/x-hash.js", import.meta.url)`):
 * found in the cached chunks themselves, so the live view and the replay work offline too.
 */
async function workerScripts(cache: Cache): Promise<string[]> {
	const found = new Set<string>();
	for (const path of build) {
		if (!path.endsWith('.js')) continue;
		const text = await (await cache.match(path))?.text();
		for (const m of text?.matchAll(/["'`]([^"'`]*workers\/[\w.-]+\.js)["'`]/g) ?? []) {
			const url = new URL(m[1]!, new URL(path, sw.location.origin));
			if (url.origin === sw.location.origin && url.pathname.startsWith(WORKERS))
				found.add(url.pathname);
		}
	}
	return [...found];
}

sw.addEventListener('install', (event) => {
	event.waitUntil(
		caches.open(CACHE).then(async (cache) => {
			await cache.addAll(SHELL);
			await cache.addAll(await workerScripts(cache));
		})
	);
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		caches
			.keys()
			.then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
			// The first install takes the open page at once, so it works offline without a reload.
			.then(() => sw.clients.claim())
	);
});

sw.addEventListener('message', (event) => {
	const data: unknown = event.data;
	if (typeof data === 'object' && data !== null && 'type' in data && data.type === 'skip-waiting')
		void sw.skipWaiting();
});

/** Paths a broker on this origin serves itself: never answered from the cache, not even offline. */
const NOT_THE_APP = ['/api/', '/relay/', '/reference/'];

sw.addEventListener('fetch', (event) => {
	const request = event.request;
	if (request.method !== 'GET') return;
	const url = new URL(request.url);
	if (url.origin !== sw.location.origin) return;
	if (NOT_THE_APP.some((p) => url.pathname.startsWith(p) || `${url.pathname}/` === p)) return;
	// Navigations fall back to the SPA shell; assets of this version come from the cache.
	const key = request.mode === 'navigate' ? '/' : url.pathname;
	if (!SHELL_SET.has(key) && !key.startsWith(WORKERS)) return;
	event.respondWith(caches.match(key).then((hit) => hit ?? fetch(request)));
});
