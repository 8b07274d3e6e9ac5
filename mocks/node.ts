import { setupServer } from 'msw/node';
import { BrokerModel } from './broker/model';
import { brokerHandlers } from './broker/handlers';

/** The same mocks in Node, for node tests: `const { server } = createNodeMocks('http://broker.test')`. */
export function createNodeMocks(base = 'http://broker.test') {
	const broker = new BrokerModel();
	const server = setupServer(...brokerHandlers(broker, base));
	return { server, broker };
}
