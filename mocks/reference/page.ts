/**
 * The plain page at /reference/: what the customer's side would show a person trying the
 * production build by hand, with a button for each thing they would do. No script; every value
 * is escaped (instrument and device names come from the world, and could be hostile).
 */
import type { worldState } from './control';

type State = ReturnType<typeof worldState>;

const ESCAPES: Record<string, string> = {
	'&': '&amp;',
	'<': '&lt;',
	'>': '&gt;',
	'"': '&quot;',
	"'": '&#39;'
};
const esc = (value: unknown) => String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
const post = (action: string, label: string, hidden: Record<string, string> = {}) =>
	`<form method="post" action="${esc(action)}">${Object.entries(hidden)
		.map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
		.join('')}<button>${esc(label)}</button></form>`;

const ENDPOINTS: [string, string][] = [
	['GET /reference/state', 'everything below, as JSON'],
	[
		'GET /reference/totp/{email}',
		'{ code, previous }: the code the authenticator app shows now, and the one before (still accepted, once)'
	],
	['POST /reference/devices/{deviceId}/approve', 'the administrator approves a new browser'],
	[
		'GET /reference/agents/{instrumentId}',
		'one-time password, consents, input and files that reached the agent, its log'
	],
	['POST /reference/agents/{instrumentId}/consents/{requestId}/approve', 'the customer grants'],
	['POST /reference/agents/{instrumentId}/consents/{requestId}/deny', 'the customer refuses'],
	[
		'POST /reference/agents/{instrumentId}/policy',
		'{ capability: view | control | file-transfer | clipboard | all, policy: auto-approve | ask | deny }'
	],
	['POST /reference/agents/{instrumentId}/say', '{ text }: the customer writes in the chat']
];

export function referencePage(state: State): Response {
	const accounts = state.accounts
		.map(
			(a) =>
				`<tr><td>${esc(a.email)}</td><td><code>${esc(a.password)}</code></td><td><code>${esc(a.totp)}</code></td></tr>`
		)
		.join('');
	const devices =
		state.pendingDevices
			.map(
				(d) =>
					`<tr><td>${esc(d.technician)}</td><td>${esc(d.label)}</td><td><code>${esc(d.fingerprint)}</code></td><td>${post(`/reference/devices/${encodeURIComponent(d.deviceId)}/approve`, 'Approve')}</td></tr>`
			)
			.join('') || '<tr><td colspan="4">No device waiting for approval.</td></tr>';
	const agents = state.agents
		.map((a) => {
			const base = `/reference/agents/${encodeURIComponent(a.instrumentId)}`;
			const consents = a.pendingConsents
				.map(
					(c) =>
						`${esc(c.capability)} (${esc(c.scope)}) ${post(`${base}/consents/${c.requestId}/approve`, 'Grant')} ${post(`${base}/consents/${c.requestId}/deny`, 'Refuse')}`
				)
				.join('<br>');
			const ask = a.policies.view.kind === 'ask';
			const toggle = post(`${base}/policy`, ask ? 'Grant everything' : 'Ask me each time', {
				capability: 'all',
				policy: ask ? 'auto-approve' : 'ask'
			});
			return `<tr><td><a href="${esc(base)}">${esc(a.name)}</a></td><td><code>${esc(a.password)}</code></td><td>${a.connected ? 'in a session' : '—'}</td><td>${consents || '—'} ${toggle}</td></tr>`;
		})
		.join('');
	const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Benchside reference server</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;margin-bottom:1.5rem}td,th{border:1px solid #999;padding:.3rem .5rem;text-align:left;vertical-align:top}form{display:inline}code{font-size:1.1em}</style>
</head><body>
<h1>Benchside reference server</h1>
<p>The console is at <a href="/">/</a>. This page plays the people around it: the authenticator app, the administrator who approves a new browser, and the customer at each instrument. It refreshes every 5 seconds.</p>
<h2>Accounts (authenticator app)</h2>
<table><tr><th>E-mail</th><th>Password</th><th>Code now</th></tr>${accounts}</table>
<h2>Devices waiting for approval</h2>
<table><tr><th>Technician</th><th>Browser</th><th>Key fingerprint</th><th></th></tr>${devices}</table>
<h2>Instruments (the customer)</h2>
<table><tr><th>Instrument</th><th>One-time password</th><th>Session</th><th>Consent</th></tr>${agents}</table>
<h2>Control endpoints</h2>
<table>${ENDPOINTS.map(([e, d]) => `<tr><td><code>${esc(e)}</code></td><td>${esc(d)}</td></tr>`).join('')}</table>
</body></html>`;
	return new Response(html, {
		headers: {
			'Content-Type': 'text/html; charset=utf-8',
			'Cache-Control': 'no-store',
			'Content-Security-Policy':
				"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
		}
	});
}
