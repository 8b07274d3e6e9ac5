/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The PWA worker (production only; see hooks.client.ts). It precaches the app shell and static
// files of this version and serves them offline. It never caches API or relay traffic.
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
	);
});

sw.addEventListener('fetch', (event) => {
	const request = event.request;
	if (request.method !== 'GET') return;
	const url = new URL(request.url);
	if (url.origin !== sw.location.origin || url.pathname.startsWith('/api/')) return;
	// Navigations fall back to the SPA shell; assets of this version come from the cache.
	const key = request.mode === 'navigate' ? '/' : url.pathname;
	if (!SHELL_SET.has(key)) return;
	event.respondWith(caches.match(key).then((hit) => hit ?? fetch(request)));
});
