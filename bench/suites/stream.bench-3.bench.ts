/**
 * Issue 5, flat out (bench/suites/stream/flat.ts): VP9 at 1080p. The five recordings are
 * split over three suites so that each stays within the runner's 150 s. Latency, main thread and
 * bytes: stream.paced-*; JPEG: stream.jpeg; leaks: stream.leak. See bench/README.md, "Stream".
 */
import type { Report } from '../lib/types';
import { runFlat } from './stream/flat';

export const run = (report: Report) => runFlat(report, ['vp9-1080p']);
