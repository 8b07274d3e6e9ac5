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

sw.addEventListener('install', (event) => {
	event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
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
	if (!SHELL_SET.has(key)) return;
	event.respondWith(caches.match(key).then((hit) => hit ?? fetch(request)));
});
