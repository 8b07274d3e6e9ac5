import type { ClientInit } from '@sveltejs/kit';
import { dev } from '$app/environment';

/**
 * Runs before the app hydrates. In dev the MSW mocks (broker and agent) must be listening before
 * the first request; in production the PWA service worker takes their place. The `dev` branch is
 * statically false in a production build, so no mock code reaches it.
 */
export const init: ClientInit = async () => {
	if (dev) {
		const { startBrowserMocks } = await import('$mocks/browser');
		await startBrowserMocks();
	} else if ('serviceWorker' in navigator) {
		await navigator.serviceWorker.register('/service-worker.js', { type: 'module' }).catch((e) => {
			console.warn('Benchside: offline support unavailable', e);
		});
	}
};
