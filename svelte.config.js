import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

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
