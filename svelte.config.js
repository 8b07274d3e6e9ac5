import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { loadEnv } from 'vite';

/**
 * Where the page may connect (CSP connect-src): the broker and its relay, nothing else. An empty
 * PUBLIC_BROKER_URL is this origin ('self' covers ws: and wss: on it too, CSP Level 3). The relay
 * is the broker's host over wss unless RELAY_ORIGIN (build time, e.g. wss://relay.example.org)
 * names another. In `npm run dev` the broker is MSW on this origin, and Vite's HMR socket too.
 */
function connectSources() {
	const env = {
		...loadEnv(process.env.NODE_ENV === 'development' ? 'development' : 'production', '.', ''),
		...process.env
	};
	const broker = (env.PUBLIC_BROKER_URL ?? '').trim();
	const sources = new Set(['self']);
	if (broker) {
		const url = new URL(broker);
		sources.add(url.origin);
		sources.add(`${url.protocol === 'http:' ? 'ws:' : 'wss:'}//${url.host}`);
	}
	const relay = (env.RELAY_ORIGIN ?? '').trim();
	if (relay) sources.add(new URL(relay).origin.replace(/^http/, 'ws'));
	return [...sources];
}

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	kit: {
		// A single-page app: no server of its own, every route falls back to index.html.
		adapter: adapter({ fallback: 'index.html', strict: true }),
		alias: {
			$workers: 'workers',
			$mocks: 'mocks'
		},
		// MSW's worker needs scope "/" in dev; the PWA worker is registered by hand in
		// production only (src/hooks.client.ts), so the two never compete for the scope.
		serviceWorker: { register: false },
		// Content Security Policy, written into the page as a <meta> tag (a static host sends no
		// headers): scripts only from this origin plus the hash of SvelteKit's inline boot
		// script, no 'unsafe-inline' script, nothing allowed by default.
		csp: {
			mode: 'hash',
			directives: {
				'default-src': ['none'],
				'script-src': ['self'],
				'style-src': ['self'],
				// Markup style attributes (app.html's wrapper, a few components); no <style> elements.
				'style-src-attr': ['unsafe-inline'],
				'img-src': ['self', 'data:', 'blob:'],
				'connect-src': connectSources(),
				'worker-src': ['self'],
				'manifest-src': ['self'],
				'base-uri': ['none'],
				'form-action': ['self']
			}
		},
		typescript: {
			config: (tsconfig) => {
				tsconfig.include.push(
					'../workers/**/*.ts',
					'../mocks/**/*.ts',
					'../mocks/**/*.svelte',
					'../tests/**/*.ts',
					'../bench/**/*.ts'
				);
				return tsconfig;
			}
		}
	}
};

export default config;
