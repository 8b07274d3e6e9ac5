/**
 * The history list's search and filters in its address (`/history?q=lyon&outcome=failed`): a
 * reviewer who opens a session and comes back, reloads, or shares the link finds the list as they
 * left it, and other pages can link to a filtered list (an instrument's sessions). What an
 * address holds is untrusted: unknown names, outcomes or capabilities and malformed dates are
 * left out, never thrown.
 */
import { CAPABILITIES } from '$lib/protocol/messages';
import { OUTCOMES } from './labels';
import type { HistoryFilter } from './query';

/** The list's form: the filter as typed, its dates as the date inputs hold them. */
export type ListForm = Omit<HistoryFilter, 'from' | 'to'> & { fromDate: string; toDate: string };

export const EMPTY_FORM: ListForm = {
	text: '',
	instrumentId: '',
	serial: '',
	site: '',
	technicianId: '',
	fromDate: '',
	toDate: '',
	outcome: '',
	capability: ''
};

/** Each field's parameter name, in the order they appear in an address. */
const PARAMS: [keyof ListForm, string][] = [
	['text', 'q'],
	['instrumentId', 'instrument'],
	['serial', 'serial'],
	['site', 'site'],
	['technicianId', 'technician'],
	['fromDate', 'from'],
	['toDate', 'to'],
	['outcome', 'outcome'],
	['capability', 'capability']
];

/** Longest value kept from an address: more than any field needs, less than a pasted page. */
const MAX_VALUE = 200;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function valid(field: keyof ListForm, value: string): boolean {
	if (value.length > MAX_VALUE) return false;
	if (field === 'fromDate' || field === 'toDate')
		return DATE.test(value) && !Number.isNaN(Date.parse(value));
	if (field === 'outcome') return (OUTCOMES as readonly string[]).includes(value);
	if (field === 'capability') return (CAPABILITIES as readonly string[]).includes(value);
	return true;
}

/** The form an address's query asks for (empty fields for what it does not, or gets wrong). */
export function formFromQuery(params: URLSearchParams): ListForm {
	const form: ListForm = { ...EMPTY_FORM };
	for (const [field, name] of PARAMS) {
		const value = params.get(name)?.trim() ?? '';
		if (value && valid(field, value)) (form as unknown as Record<string, string>)[field] = value;
	}
	return form;
}

/** The query for a form: its non-empty fields only, `''` for none (no `?`). */
export function queryFromForm(form: ListForm): string {
	const params = new URLSearchParams();
	for (const [field, name] of PARAMS) {
		const value = form[field].trim();
		if (value) params.set(name, value);
	}
	return params.toString();
}

/** What follows the list's path for a query: `?q=…`, or nothing. */
export function listSearch(query: string): string {
	return query ? `?${query}` : '';
}

/**
 * The query of the list as it was last shown in this tab, so that "Back to history" on a
 * session page returns to it. In memory only: a reload starts from the address.
 */
let lastQuery = '';
export const rememberListQuery = (query: string) => void (lastQuery = query);
export const rememberedListQuery = () => lastQuery;
