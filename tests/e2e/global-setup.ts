import type { TestProject } from 'vitest/node';
import { serveBuild } from './static-server';

declare module 'vitest' {
	export interface ProvidedContext {
		appUrl: string;
	}
}

/** The e2e layer drives the production build (`npm run build` first), served as a static host would. */
export default async function setup(project: TestProject) {
	const { url, server } = await serveBuild('build');
	project.provide('appUrl', url);
	return async () => {
		await new Promise((ok) => server.close(ok));
	};
}
