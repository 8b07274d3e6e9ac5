/**
 * The reference broker's instruments: a hand-written demo fleet and a generator for large ones
 * (`new BrokerModel({ fleetSize: 5000 })`) for performance work. Agent keys are not here: the mock
 * world registers each agent's key with `broker.registerAgent()` (see model.ts).
 */
import type { Instrument, InstrumentKind, Site } from '../../src/lib/protocol/broker-api';
import type { Capability } from '../../src/lib/protocol/messages';
import { DEMO_CREDENTIALS } from './accounts';

/** An instrument as the site registered it; key, online state and last contact live elsewhere. */
export type InstrumentFixture = Omit<
	Instrument,
	'agentKey' | 'agentKeyId' | 'online' | 'lastSeenAt'
> & {
	/** Whether its agent is connected when the broker starts. */
	online: boolean;
	/** Milliseconds before the broker started that the agent was last seen; null: never. */
	lastSeenAgoMs: number | null;
};

const ALL: Capability[] = ['view', 'control', 'file-transfer', 'clipboard'];
/** Part 1: an instrument with protected health information never offers files or clipboard. */
const PHI_SAFE: Capability[] = ['view', 'control'];
const HOUR = 3600_000;

const site = (id: string, name: string, country: string): Site => ({ id, name, country });
const LYON = site('site-lyo-01', 'CHU Lyon Sud, Laboratoire central', 'FR');
const PARIS = site('site-par-02', 'Clinique du Parc, Laboratoire de biologie', 'FR');
const MUNICH = site('site-muc-01', 'Klinikum Nord, Zentrallabor', 'DE');
const HEIDELBERG = site('site-hei-01', 'Forschungszentrum Heidelberg, Screening Lab', 'DE');
const LONDON = site('site-lon-01', "St Anne's Hospital, Pathology", 'GB');
const CAMBRIDGE = site('site-cam-01', 'Cambridge BioCampus, Genomics Core', 'GB');
const BOSTON = site('site-bos-01', 'Riverside Medical Center, Core Lab', 'US');
const VIENNA = site('site-vie-01', 'Universitätsklinikum Ost, Labormedizin', 'AT');
const ZURICH = site('site-zrh-01', 'Spital Limmattal, Institut für Labormedizin', 'CH');

export const DEMO_FLEET: readonly InstrumentFixture[] = [
	{
		id: 'ins-2041',
		name: 'Haematology analyser HX-2041',
		kind: 'haematology',
		model: 'HX-5000',
		serial: 'HX5-21-02041',
		site: LYON,
		softwareVersion: '4.2.1',
		phi: true,
		capabilities: PHI_SAFE,
		screens: 1,
		online: true,
		lastSeenAgoMs: 0
	},
	{
		id: 'ins-3317',
		name: 'Chemistry analyser CX-3317',
		kind: 'chemistry',
		model: 'CX-920',
		serial: 'CX9-19-03317',
		site: MUNICH,
		softwareVersion: '7.1.0',
		phi: false,
		capabilities: ALL,
		screens: 2,
		online: true,
		lastSeenAgoMs: 0
	},
	{
		id: 'ins-0815',
		name: 'Flow cytometer FC-0815',
		kind: 'flow-cytometry',
		model: 'FC-12 Lumina',
		serial: 'FC12-22-00815',
		site: LONDON,
		softwareVersion: '3.0.4',
		phi: true,
		capabilities: PHI_SAFE,
		screens: 2,
		online: true,
		lastSeenAgoMs: 0
	},
	{
		id: 'ins-5520',
		name: 'Laboratory middleware PC MW-5520',
		kind: 'other',
		model: 'LabLink Middleware 6',
		serial: 'MW-PC-5520',
		site: BOSTON,
		softwareVersion: '6.3.2',
		phi: true,
		capabilities: ['view'],
		screens: 1,
		online: true,
		lastSeenAgoMs: 0
	},
	{
		id: 'ins-7702',
		name: 'Immunoassay analyser IA-7702',
		kind: 'immunoassay',
		model: 'IA-800',
		serial: 'IA8-20-07702',
		site: BOSTON,
		softwareVersion: '2.8.0',
		phi: true,
		capabilities: PHI_SAFE,
		screens: 1,
		online: false,
		lastSeenAgoMs: 49 * HOUR
	},
	{
		id: 'ins-4410',
		name: 'Pipetting robot LH-4410',
		kind: 'liquid-handler',
		model: 'LH-96 Pro',
		serial: 'LH96-23-04410',
		site: CAMBRIDGE,
		softwareVersion: '2.0.0-rc.3',
		phi: false,
		capabilities: ALL,
		screens: 1,
		online: true,
		lastSeenAgoMs: 0
	},
	{
		id: 'ins-6120',
		name: 'Liquid handler LH-6120',
		kind: 'liquid-handler',
		model: 'LH-384',
		serial: 'LH384-21-06120',
		site: HEIDELBERG,
		softwareVersion: '1.9.7',
		phi: false,
		capabilities: ALL,
		screens: 0,
		online: false,
		lastSeenAgoMs: null
	},
	{
		id: 'ins-1893',
		name: 'Chemistry analyser CX-1893',
		kind: 'chemistry',
		model: 'CX-480',
		serial: 'CX4-18-01893',
		site: VIENNA,
		softwareVersion: '6.4.2',
		phi: false,
		capabilities: ['view', 'control', 'clipboard'],
		screens: 1,
		online: true,
		lastSeenAgoMs: 0
	},
	{
		id: 'ins-9034',
		name: 'Haematology analyser HX-9034',
		kind: 'haematology',
		model: 'HX-3000',
		serial: 'HX3-17-09034',
		site: ZURICH,
		softwareVersion: '3.9.12',
		phi: true,
		capabilities: PHI_SAFE,
		screens: 1,
		online: false,
		lastSeenAgoMs: 3 * HOUR
	},
	{
		id: 'ins-2288',
		name: 'Coagulation analyser CG-2288',
		kind: 'other',
		model: 'CG-50',
		serial: 'CG50-22-02288',
		site: PARIS,
		softwareVersion: '5.0.1',
		phi: false,
		capabilities: ['view', 'control', 'file-transfer'],
		screens: 1,
		online: true,
		lastSeenAgoMs: 0
	}
];

const KINDS: { kind: InstrumentKind; label: string; code: string; model: string }[] = [
	{ kind: 'haematology', label: 'Haematology analyser', code: 'HX', model: 'HX-5000' },
	{ kind: 'chemistry', label: 'Chemistry analyser', code: 'CX', model: 'CX-920' },
	{ kind: 'flow-cytometry', label: 'Flow cytometer', code: 'FC', model: 'FC-12 Lumina' },
	{ kind: 'liquid-handler', label: 'Liquid handler', code: 'LH', model: 'LH-96 Pro' },
	{ kind: 'immunoassay', label: 'Immunoassay analyser', code: 'IA', model: 'IA-800' },
	{ kind: 'other', label: 'Coagulation analyser', code: 'CG', model: 'CG-50' }
];
const CITIES: [string, string][] = [
	['FR', 'Toulouse'],
	['DE', 'Hamburg'],
	['GB', 'Leeds'],
	['US', 'Denver'],
	['IT', 'Bologna'],
	['ES', 'Valencia'],
	['NL', 'Utrecht'],
	['AT', 'Graz'],
	['CH', 'Basel'],
	['SE', 'Uppsala'],
	['BE', 'Gent'],
	['JP', 'Osaka']
];

/** The demo fleet followed by generated instruments, `size` in all; deterministic. */
export function generateFleet(size: number): InstrumentFixture[] {
	const fleet = DEMO_FLEET.slice(0, size);
	for (let n = fleet.length; n < size; n++) {
		const k = KINDS[n % KINDS.length]!;
		const [country, city] = CITIES[Math.floor(n / 7) % CITIES.length]!;
		const number = String(10_000 + n).padStart(5, '0');
		const phi = k.kind !== 'liquid-handler' && n % 3 === 0;
		const online = n % 5 !== 0;
		fleet.push({
			id: `ins-g${number}`,
			name: `${k.label} ${k.code}-${number}`,
			kind: k.kind,
			model: k.model,
			serial: `${k.code}-${20 + (n % 6)}-${number}`,
			site: site(
				`site-${country.toLowerCase()}-${Math.floor(n / 7)}`,
				`${city} Laboratory ${Math.floor(n / 7)}`,
				country
			),
			softwareVersion: `${1 + (n % 7)}.${n % 10}.${n % 4}`,
			phi,
			capabilities: phi ? PHI_SAFE : ALL,
			screens: n % 3,
			online,
			lastSeenAgoMs: online ? 0 : n % 4 === 0 ? null : (n % 72) * HOUR
		});
	}
	return fleet;
}

/** Who reaches what in the demo: Camille everything, Jonas the German-speaking sites. */
export function demoWhitelist(fleet: readonly InstrumentFixture[]): Map<string, string[]> {
	const ids = (pick: (i: InstrumentFixture) => boolean) => fleet.filter(pick).map((i) => i.id);
	return new Map([
		[DEMO_CREDENTIALS.camille.id, ids(() => true)],
		[DEMO_CREDENTIALS.jonas.id, ids((i) => ['DE', 'AT', 'CH'].includes(i.site.country))]
	]);
}
