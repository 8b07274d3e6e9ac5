import { http, HttpResponse } from 'msw';
import type { BrokerModel } from './model';

/** MSW handlers over a BrokerModel: each one a few lines, the logic lives in the model. */
export function brokerHandlers(model: BrokerModel, base = '') {
	return [http.get(`${base}/api/v1/health`, () => HttpResponse.json(model.health()))];
}
