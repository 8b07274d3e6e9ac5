import { INSTRUMENT_KINDS, type InstrumentKind } from '$lib/protocol/broker-api';
import { m } from '$lib/i18n';

export const KINDS = INSTRUMENT_KINDS;

/** The instrument kind in the interface language. */
export function kindLabel(kind: InstrumentKind): string {
	switch (kind) {
		case 'haematology':
			return m.kind_haematology();
		case 'chemistry':
			return m.kind_chemistry();
		case 'flow-cytometry':
			return m.kind_flow_cytometry();
		case 'liquid-handler':
			return m.kind_liquid_handler();
		case 'immunoassay':
			return m.kind_immunoassay();
		case 'other':
			return m.kind_other();
		default: {
			const never: never = kind;
			return String(never);
		}
	}
}
