/**
 * "Add a passkey" in the account menu (docs/protocol.md Part 1, "Passkeys"): creation options
 * from the broker, the browser's WebAuthn ceremony, then the new credential back to the broker.
 * From then on sign-in offers the passkey as the second factor. Outcomes are kept as data so a
 * language switch re-translates them.
 */
import type { BrokerClient, BrokerFailure } from '$lib/broker/client';
import type { PasskeyRegistrationRequest } from '$lib/protocol/broker-api';
import { browserLabel } from './device-label';
import { m } from '$lib/i18n';

export type PasskeyStatus =
	| { kind: 'idle' }
	| { kind: 'busy' }
	| { kind: 'added'; label: string }
	| { kind: 'cancelled' }
	| { kind: 'unavailable' }
	| { kind: 'failed'; failure: BrokerFailure };

/** WebAuthn Level 3's JSON helper; not in every TypeScript DOM library yet. */
interface CreationStatics {
	parseCreationOptionsFromJSON(options: unknown): PublicKeyCredentialCreationOptions;
}

export class PasskeyEnrolment {
	readonly #broker: BrokerClient;
	#status = $state.raw<PasskeyStatus>({ kind: 'idle' });

	constructor(broker: BrokerClient) {
		this.#broker = broker;
	}

	get status(): PasskeyStatus {
		return this.#status;
	}

	reset(): void {
		this.#status = { kind: 'idle' };
	}

	async add(): Promise<void> {
		if (this.#status.kind === 'busy') return;
		const pkc = globalThis.PublicKeyCredential as CreationStatics | undefined;
		if (typeof pkc?.parseCreationOptionsFromJSON !== 'function' || !navigator.credentials) {
			this.#status = { kind: 'unavailable' };
			return;
		}
		this.#status = { kind: 'busy' };
		const options = await this.#broker.passkeyOptions();
		if (!options.ok) {
			this.#status = options.failure
				? { kind: 'failed', failure: options.failure }
				: { kind: 'idle' };
			return;
		}
		let credential: Credential | null;
		try {
			credential = await navigator.credentials.create({
				publicKey: pkc.parseCreationOptionsFromJSON(options.value.publicKey)
			});
		} catch {
			// NotAllowedError (cancelled, timed out), InvalidStateError (already registered here).
			credential = null;
		}
		if (!credential || !('toJSON' in credential) || typeof credential.toJSON !== 'function') {
			this.#status = { kind: 'cancelled' };
			return;
		}
		const label = m.device_label({ browser: browserLabel(navigator.userAgent) }).slice(0, 100);
		const reply = await this.#broker.registerPasskey({
			credential: credential.toJSON() as PasskeyRegistrationRequest['credential'],
			label
		});
		this.#status = reply.ok
			? { kind: 'added', label: reply.value.label }
			: reply.failure
				? { kind: 'failed', failure: reply.failure }
				: { kind: 'idle' };
	}
}
