import { brokerBaseUrl } from '$lib/config';
import { parseHealth } from '$lib/protocol/broker-api';

export type BrokerHealth =
	| { ok: true; protocol: number; broker: string }
	| { ok: false; code: 'unreachable' | 'bad-reply' | 'http-error'; status?: number };

/** Asks the broker whether it is there and which protocol it speaks; never throws. */
export async function checkBrokerHealth(fetchFn: typeof fetch = fetch): Promise<BrokerHealth> {
	let response: Response;
	try {
		response = await fetchFn(`${brokerBaseUrl}/api/v1/health`, {
			headers: { accept: 'application/json' }
		});
	} catch {
		return { ok: false, code: 'unreachable' };
	}
	if (!response.ok) return { ok: false, code: 'http-error', status: response.status };
	const body: unknown = await response.json().catch(() => undefined);
	const parsed = parseHealth(body);
	return parsed.ok
		? { ok: true, protocol: parsed.value.protocol, broker: parsed.value.broker }
		: { ok: false, code: 'bad-reply' };
}
