/**
 * A session's events as a reviewer reads them: a translated line per event, and the files, chat,
 * consents and summary gathered from them. Event data is read defensively: history may hold
 * events of a newer console (the end-of-session `summary`, `disconnected`, `reconnected`) or an
 * edited database, and a strange event is shown as such, never thrown on.
 */
import { formatBytes, formatDuration, formatNumber, locale, m } from '$lib/i18n';
import { recordedBrokerFailureText, recordedSessionFailureText } from '$lib/i18n/errors';
import { CAPABILITIES, type Capability } from '$lib/protocol/messages';
import type { EventRow, JsonValue, TransferRow } from './db';
import { capabilityLabel, directionLabel, fileStateLabel, outcomeLabel } from './labels';

type Obj = { [k: string]: JsonValue };
const obj = (v: JsonValue): Obj =>
	typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {};
const str = (v: JsonValue | undefined, fallback = '') => (typeof v === 'string' ? v : fallback);
const num = (v: JsonValue | undefined) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const cap = (v: JsonValue | undefined): Capability | null =>
	CAPABILITIES.find((c) => c === v) ?? null;
const capText = (v: JsonValue | undefined) => {
	const c = cap(v);
	return c ? capabilityLabel(c) : str(v, '?');
};

/** An event's moment, to the second, in the interface language. */
export function formatStamp(at: number): string {
	return new Intl.DateTimeFormat(locale.current, {
		dateStyle: 'short',
		timeStyle: 'medium'
	}).format(new Date(at));
}

export interface SessionSummary {
	durationMs: number;
	capabilities: string[];
	filesUp: number;
	filesDown: number;
	bytesUp: number;
	bytesDown: number;
}

/** The end-of-session summary event's data, when it has the documented shape. */
export function summaryOf(event: EventRow): SessionSummary | null {
	if (event.type !== 'summary') return null;
	const d = obj(event.data);
	const caps = Array.isArray(d.capabilities)
		? d.capabilities.filter((c) => typeof c === 'string')
		: [];
	return {
		durationMs: num(d.durationMs),
		capabilities: caps as string[],
		filesUp: num(d.filesUp),
		filesDown: num(d.filesDown),
		bytesUp: num(d.bytesUp),
		bytesDown: num(d.bytesDown)
	};
}

/** "…: <the failure in words> (<code>)", or with the code alone when it is not a known one. */
function failedText(
	line: (p: { why: string; code: string }) => string,
	code: string,
	words: string | null
): string {
	return line({ why: words ?? m.history_event_failure_unknown(), code });
}

/** One line of the timeline. */
export function eventText(event: EventRow): string {
	const d = obj(event.data);
	switch (event.type) {
		case 'connect-attempt':
			return m.history_event_connect_attempt({ attempt: formatNumber(num(d.attempt)) });
		case 'connect-failed':
			// Refused by the console itself, before a byte went to the agent: say why in full.
			if (d.code === 'agent-key-substituted')
				return m.history_event_key_substituted({ details: str(d.message, '?') });
			return failedText(
				m.history_event_connect_failed_why,
				str(d.code, '?'),
				recordedSessionFailureText(str(d.code))
			);
		case 'request-refused':
			return failedText(
				m.history_event_request_refused,
				str(d.code, '?'),
				recordedBrokerFailureText(str(d.code), typeof d.status === 'number' ? d.status : undefined)
			);
		case 'agent-key-accepted': {
			const key = (k: JsonValue | undefined) => {
				const o = obj(k ?? null);
				return `${str(o.agentKeyId, '?')} (${str(o.fingerprint, '?')})`;
			};
			return m.history_event_agent_key_accepted({ from: key(d.from), to: key(d.to) });
		}
		case 'connected':
			return m.history_event_connected({ version: str(d.agentVersion, '?') });
		case 'consent-requested':
			return m.history_event_consent_requested({ capability: capText(d.capability) });
		case 'consent-answered': {
			const capability = capText(d.capability);
			if (d.state === 'granted') return m.history_event_consent_granted({ capability });
			if (d.state === 'denied') return m.history_event_consent_denied({ capability });
			return m.history_event_consent_revoked({ capability });
		}
		case 'consent-released':
			return m.history_event_consent_released({ capability: capText(d.capability) });
		case 'control-taken':
			return m.history_event_control_taken();
		case 'control-released':
			return d.by === 'customer'
				? m.history_event_control_released_customer()
				: m.history_event_control_released_technician();
		case 'chat':
			return d.from === 'customer'
				? m.history_event_chat_customer({ text: str(d.text) })
				: m.history_event_chat_technician({ text: str(d.text) });
		case 'file':
			return m.history_event_file({
				name: str(d.name, '?'),
				direction: directionLabel(d.direction === 'upload' ? 'upload' : 'download'),
				size: formatBytes(num(d.size)),
				state: fileStateLabel(fileState(d.state))
			});
		case 'error':
			return m.history_event_error({ code: str(d.code, '?') });
		case 'end': {
			const outcome = d.outcome;
			const known = outcome === 'completed' || outcome === 'failed' || outcome === 'interrupted';
			return m.history_event_end({ outcome: known ? outcomeLabel(outcome) : str(outcome, '?') });
		}
		case 'summary': {
			const s = summaryOf(event);
			return m.history_event_summary({ duration: formatDuration((s?.durationMs ?? 0) / 1000) });
		}
		case 'screen-recording':
			return d.state === 'on'
				? m.history_event_recording_on()
				: d.state === 'off'
					? m.history_event_recording_off()
					: m.history_event_recording_failed();
		case 'disconnected':
			return m.history_event_disconnected();
		case 'reconnected':
			return m.history_event_reconnected();
		default:
			return m.history_event_other({ type: event.type });
	}
}

function fileState(v: JsonValue | undefined): TransferRow['state'] {
	return v === 'done' || v === 'failed' || v === 'cancelled' || v === 'revoked' ? v : 'failed';
}

export interface ConsentLine {
	seq: number;
	at: number;
	capability: string;
	state: 'granted' | 'denied' | 'revoked';
	scope: string | null;
	reason: string | null;
	/** What the live session found when the answer arrived. */
	verifiedLive: boolean;
	hasSignature: boolean;
}

export function consentsOf(events: readonly EventRow[]): ConsentLine[] {
	return events
		.filter((e) => e.type === 'consent-answered')
		.map((e) => {
			const d = obj(e.data);
			const state = d.state === 'granted' || d.state === 'denied' ? d.state : 'revoked';
			return {
				seq: e.seq,
				at: e.at,
				capability: str(d.capability, '?'),
				state,
				scope: typeof d.scope === 'string' ? d.scope : null,
				reason: typeof d.reason === 'string' ? d.reason : null,
				verifiedLive: d.verified === true,
				hasSignature: typeof d.signature === 'string'
			};
		});
}

export interface ChatEntry {
	seq: number;
	at: number;
	from: 'technician' | 'customer';
	text: string;
}

export function chatOf(events: readonly EventRow[]): ChatEntry[] {
	return events
		.filter((e) => e.type === 'chat')
		.map((e) => {
			const d = obj(e.data);
			return {
				seq: e.seq,
				at: e.at,
				from: d.from === 'customer' ? 'customer' : 'technician',
				text: str(d.text)
			};
		});
}

export interface FileEntry extends Omit<TransferRow, 'sessionId'> {
	at: number | null;
}

/** Files from the transfers store, with the time of their `file` event when there is one. */
export function filesOf(
	events: readonly EventRow[],
	transfers: readonly TransferRow[]
): FileEntry[] {
	const when = new Map<number, number>();
	for (const e of events) if (e.type === 'file') when.set(num(obj(e.data).transferId), e.at);
	return transfers.map(({ sessionId: _s, ...t }) => ({ ...t, at: when.get(t.transferId) ?? null }));
}
