/**
 * Push mode's whole pure step, run off the request thread (parse-worker.ts): parse the pushed text, enforce what one
 * push may hold (features, checkouts) and find anything the history store could not hold. Text in, verdict out.
 */
import type { IngestLimitsConfig } from '../../config/types';
import type { Snapshot } from '../../domain/snapshot';
import { storableProblem } from '../../domain/storable';
import { parseIngest, type IngestFormat, type IngestParseOptions } from './parse';

export type CheckedIngest =
  | { ok: true; format: IngestFormat; snapshot: Snapshot }
  /** The text itself is wrong (empty, unknown format, bad JSON) or holds something the store cannot (field: a path). */
  | { ok: false; kind: 'input'; field: string; message: string }
  /** Over a push limit: `limit` is its environment variable. */
  | { ok: false; kind: 'limit'; limit: string; max: number; actual: number; message: string };

export function checkIngest(
  text: string,
  format: IngestFormat | 'auto' | undefined,
  opts: IngestParseOptions,
  limits: Pick<IngestLimitsConfig, 'maxFeatures' | 'maxCheckouts'>,
): CheckedIngest {
  const parsed = parseIngest(text, format, opts);
  if (!parsed.ok) return { ok: false, kind: 'input', field: parsed.field, message: parsed.message };
  const features = parsed.snapshot.features.length;
  if (features > limits.maxFeatures) {
    return {
      ok: false,
      kind: 'limit',
      limit: 'LICENSEGRAPH_INGEST_MAX_FEATURES',
      max: limits.maxFeatures,
      actual: features,
      message: `the status holds ${features} features; one push may hold at most ${limits.maxFeatures} (LICENSEGRAPH_INGEST_MAX_FEATURES)`,
    };
  }
  const checkouts = parsed.snapshot.features.reduce((n, f) => n + f.checkouts.length, 0);
  if (checkouts > limits.maxCheckouts) {
    return {
      ok: false,
      kind: 'limit',
      limit: 'LICENSEGRAPH_INGEST_MAX_CHECKOUTS',
      max: limits.maxCheckouts,
      actual: checkouts,
      message: `the status holds ${checkouts} checkouts; one push may hold at most ${limits.maxCheckouts} (LICENSEGRAPH_INGEST_MAX_CHECKOUTS)`,
    };
  }
  const problem = storableProblem(parsed.snapshot);
  if (problem) return { ok: false, kind: 'input', field: problem.field, message: problem.message };
  return parsed;
}
