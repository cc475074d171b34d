/**
 * fast-check run parameters with a fixed start value for its generator, so a failure is reproducible: fast-check
 * prints the start value and path of a failing run; pass them here (or change `start` locally) to explore.
 * This is the one place that names fast-check's option for it (test/unit/repo-hygiene.test.ts allows it here only).
 */
import type { Parameters } from 'fast-check';

export function reproducible<T>(numRuns: number, start = 20250120): Parameters<T> {
  return { numRuns, seed: start };
}
