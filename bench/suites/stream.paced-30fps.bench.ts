/**
 * Issue 5, part 2: the stream fed at 30 frames/s, ceiling and pipeline side by side;
 * main-thread time per frame and bytes on the wire. See stream/paced.ts and bench/README.md.
 */
import type { Report } from '../lib/types';
import { runPaced } from './stream/paced';

export const run = (report: Report) => runPaced(report, 30);
