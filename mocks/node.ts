import { setupServer } from 'msw/node';
import { BrokerModel, type BrokerModelOptions } from './broker/model';
import { brokerHandlers } from './broker/handlers';

/**
 * The same mocks in Node, for node tests: `const { server, broker } = createNodeMocks(base)`.
 * `options` reach the BrokerModel (an injected clock, a relay base, a large fleet).
 */
export function createNodeMocks(base = 'http://broker.test', options: BrokerModelOptions = {}) {
	const broker = new BrokerModel(options);
	const server = setupServer(...brokerHandlers(broker, base));
	return { server, broker };
}
