/**
 * Issue 5, flat out (bench/suites/stream/flat.ts): H.264 and AV1 at 720p. The five recordings are
 * split over three suites so that each stays within the runner's 150 s. Latency, main thread and
 * bytes: stream.paced-*; JPEG: stream.jpeg; leaks: stream.leak. See bench/README.md, "Stream".
 */
import type { Report } from '../lib/types';
import { runFlat } from './stream/flat';

export const run = (report: Report) => runFlat(report, ['avc', 'av1']);
