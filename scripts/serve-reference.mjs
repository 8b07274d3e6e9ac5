// `npm run serve:reference [-- --port 8443] [--build build]`: the reference broker, relay and
// instrument agents of mocks/ on 127.0.0.1, serving the production build (run `npm run build`
// first). PORT works too; the default is a free port. The mocks are TypeScript: Vite's module
// runner loads them (no separate compile step). See README, "Reference server".
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runnerImport } from 'vite';

const { values } = parseArgs({
	options: {
		port: { type: 'string', default: process.env.PORT ?? '0' },
		build: { type: 'string', default: 'build' },
		'console-origin': { type: 'string', multiple: true, default: [] }
	}
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
	console.error(`--port: not a port number: ${values.port}`);
	process.exit(2);
}

if (!existsSync(join(values.build, 'index.html'))) {
	console.warn(
		`No production build in ${values.build}/: run \`npm run build\` first (the API still runs).`
	);
}

/** @type {{ module: typeof import('../mocks/reference/server') }} */
const { module } = await runnerImport('/mocks/reference/server.ts', {
	configFile: false,
	logLevel: 'warn'
});
const server = await module.startReferenceServer({
	port,
	buildDir: values.build,
	consoleOrigins: values['console-origin']
});
console.log(`Benchside reference server on ${server.url}`);
console.log(`  console:           ${server.url}/`);
console.log(`  customer's side:   ${server.url}/reference/`);
console.log(`  broker API:        ${server.url}/api/v1/health`);
console.log(`  sign in as camille.martin@benchside.test / bench-demo-camille`);

const stop = async () => {
	await server.close();
	process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
