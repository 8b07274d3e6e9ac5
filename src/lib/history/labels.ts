/** Translated names of what history stores: outcomes, capabilities, event types, file states. */
import { m } from '$lib/i18n';
import type { Capability } from '$lib/protocol/messages';
import type { SessionOutcome, TransferRow } from './db';

export function outcomeLabel(outcome: SessionOutcome): string {
	switch (outcome) {
		case 'completed':
			return m.history_outcome_completed();
		case 'failed':
			return m.history_outcome_failed();
		case 'interrupted':
			return m.history_outcome_interrupted();
		case 'open':
			return m.history_outcome_open();
		default: {
			const never: never = outcome;
			return String(never);
		}
	}
}

export const OUTCOMES: readonly SessionOutcome[] = ['completed', 'failed', 'interrupted', 'open'];

export function capabilityLabel(capability: Capability): string {
	switch (capability) {
		case 'view':
			return m.consent_view();
		case 'control':
			return m.consent_control();
		case 'file-transfer':
			return m.consent_file_transfer();
		case 'clipboard':
			return m.consent_clipboard();
		default: {
			const never: never = capability;
			return String(never);
		}
	}
}

export function directionLabel(direction: TransferRow['direction']): string {
	return direction === 'upload' ? m.history_file_upload() : m.history_file_download();
}

export function fileStateLabel(state: TransferRow['state']): string {
	switch (state) {
		case 'done':
			return m.history_file_done();
		case 'failed':
			return m.history_file_failed();
		case 'cancelled':
			return m.history_file_cancelled();
		case 'revoked':
			return m.history_file_revoked();
		default: {
			const never: never = state;
			return String(never);
		}
	}
}
