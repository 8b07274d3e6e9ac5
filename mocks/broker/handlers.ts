import { http } from 'msw';
import type { BrokerModel } from './model';
import { brokerRoutes, notFound } from './routes';

/** `/api/v1/devices/{deviceId}` → `/api/v1/devices/:deviceId`, MSW's placeholder syntax. */
const mswPath = (path: string) => path.replace(/\{(\w+)\}/g, ':$1');

/** MSW handlers over a BrokerModel: the routes (routes.ts) do the work, shared with the reference server. */
export function brokerHandlers(model: BrokerModel, base = '') {
	return [
		...brokerRoutes(model).map((route) => {
			const method = route.method === 'GET' ? http.get : http.post;
			return method(`${base}${mswPath(route.path)}`, ({ request, params }) => {
				const named = Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v : '']);
				return route.handle(request, Object.fromEntries(named));
			});
		}),
		http.all(`${base}/api/v1/*`, () => notFound())
	];
}
