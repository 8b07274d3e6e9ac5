import { setupWorker } from 'msw/browser';
import { BrokerModel } from './broker/model';
import { brokerHandlers } from './broker/handlers';

/** Starts the in-browser mocks for `npm run dev`. Never imported by a production build. */
export async function startBrowserMocks() {
	const broker = new BrokerModel();
	const worker = setupWorker(...brokerHandlers(broker));
	await worker.start({
		onUnhandledRequest: 'bypass',
		quiet: true,
		serviceWorker: { url: '/mockServiceWorker.js' }
	});
	console.info('[benchside] mock broker running in this tab (dev mode)');
	return { worker, broker };
}
