/**
 * Instrument screens for the reference server: Node has no VideoEncoder, so each screen replays
 * the recordings in tests/fixtures (BSV1, see its README). The input that reaches a screen is
 * kept, so a test or a person can see on the agent's side that the technician's click arrived.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstrumentFixture } from '../broker/fleet';
import { createFixtureScreenSource, parseFixture, type Fixture } from '../agent/screen/fixture';
import type { ScreenInfo, ScreenInput, ScreenSource } from '../agent/screen/types';

/** What the agent's screen received, newest last, as the reference server reports it. */
export type ReceivedInput = ScreenInput & { at: number };

export interface RecordingScreen extends ScreenSource {
	readonly inputs: readonly ReceivedInput[];
}

const KEEP_INPUTS = 500;

export interface ScreenFixtures {
	/** 1920x1080 first, then 720p recordings in other codecs (the console picks its codec). */
	main: Fixture[];
	/** 1280x720, one per codec. */
	service: Fixture[];
}

/** Reads and checks the recordings once; every instrument replays the same parsed chunks. */
export function loadScreenFixtures(dir: string): ScreenFixtures {
	const read = (name: string) => parseFixture(new Uint8Array(readFileSync(join(dir, name))));
	const hd = ['vp9', 'av1', 'avc', 'vp8'].map((c) => read(`screen-720p.${c}.bsv`));
	return { main: [read('screen-1080p.vp9.bsv'), ...hd], service: hd };
}

export function fixtureScreenFor(
	fixtures: ScreenFixtures,
	_instrument: InstrumentFixture,
	screens: ScreenInfo[]
): RecordingScreen {
	const source = createFixtureScreenSource(
		screens.map((s) => ({
			fixtures: s.primary ? fixtures.main : fixtures.service,
			name: s.name,
			primary: s.primary
		}))
	);
	const inputs: ReceivedInput[] = [];
	return {
		...source,
		screens: source.screens,
		inputs,
		input(event) {
			inputs.push({ ...event, at: Date.now() });
			if (inputs.length > KEEP_INPUTS) inputs.splice(0, inputs.length - KEEP_INPUTS);
			source.input(event);
		}
	};
}
