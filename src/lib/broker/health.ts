import { brokerBaseUrl } from '$lib/config';

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
	try {
		const body: unknown = await response.json();
		if (
			typeof body === 'object' &&
			body !== null &&
			'protocol' in body &&
			typeof body.protocol === 'number' &&
			'broker' in body &&
			typeof body.broker === 'string'
		) {
			return { ok: true, protocol: body.protocol, broker: body.broker };
		}
	} catch {
		// fall through: not JSON
	}
	return { ok: false, code: 'bad-reply' };
}
