/**
 * What the history store cannot hold, found before anything is written or published: a pushed status whose
 * recorded fields (server, feature, version, user, host, display, handle, start, counts) PostgreSQL would reject
 * makes the whole push a 400 naming the field, instead of a half-applied push. Pure.
 *
 * - text: no NUL character (PostgreSQL text and jsonb cannot hold U+0000), at most MAX_NAME_BYTES of UTF-8 (the
 *   session identity is one btree index entry, limited to about 2.7 kB);
 * - start instants: a readable instant in the years 1-9999 (what a timestamptz written as ISO-8601 accepts);
 * - counts (issued, used, checkout counts, reservations, queue): within a 32-bit integer column.
 */
import type { Feature, Snapshot } from './snapshot';

export const MAX_NAME_BYTES = 256;
const INT4_MAX = 2_147_483_647;
// Date.UTC maps years 0-99 to 1900-1999, so year 1 is parsed from its ISO form
const MIN_MS = Date.parse('0001-01-01T00:00:00.000Z') - 14 * 3_600_000;
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999) + 14 * 3_600_000;

export interface StorableProblem {
  /** Where, as a path into the snapshot: "features[3].checkouts[0].username". */
  field: string;
  message: string;
}

function textProblem(field: string, v: string | null | undefined): StorableProblem | null {
  if (v === null || v === undefined) return null;
  if (v.includes('\u0000')) return { field, message: `${field} contains a NUL character, which cannot be stored` };
  if (v.length > MAX_NAME_BYTES / 4 && Buffer.byteLength(v, 'utf8') > MAX_NAME_BYTES) {
    return { field, message: `${field} is longer than ${MAX_NAME_BYTES} bytes` };
  }
  return null;
}

function intProblem(field: string, v: number | null | undefined): StorableProblem | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  return Math.abs(v) > INT4_MAX
    ? { field, message: `${field} is ${v}, outside what a count column can hold (±${INT4_MAX})` }
    : null;
}

function instantProblem(field: string, v: string | null | undefined): StorableProblem | null {
  if (v === null || v === undefined) return null;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) return null; // unreadable starts are recorded by their raw text (start key)
  return ms < MIN_MS || ms > MAX_MS ? { field, message: `${field} is ${v}, outside the years 1-9999` } : null;
}

function featureProblem(f: Feature, at: string): StorableProblem | null {
  let p = textProblem(`${at}.name`, f.name) ?? intProblem(`${at}.issued`, f.issued) ?? intProblem(`${at}.used`, f.used);
  if (p) return p;
  let reserved = 0;
  for (const r of f.reservations) reserved += Number.isFinite(r.count) ? r.count : 0;
  let queued = 0;
  for (const [i, q] of f.queued.entries()) {
    queued += Number.isFinite(q.count) ? q.count : 0;
    p = intProblem(`${at}.queued[${i}].count`, q.count);
    if (p) return p;
  }
  p = intProblem(`${at}.reservations`, reserved) ?? intProblem(`${at}.queued`, queued);
  if (p) return p;
  for (const [j, c] of f.checkouts.entries()) {
    const ck = `${at}.checkouts[${j}]`;
    p =
      textProblem(`${ck}.username`, c.username) ??
      textProblem(`${ck}.hostname`, c.hostname) ??
      textProblem(`${ck}.display`, c.display) ??
      textProblem(`${ck}.version`, c.version) ??
      textProblem(`${ck}.handle`, c.handle) ??
      textProblem(`${ck}.startTime`, c.startTime) ??
      instantProblem(`${ck}.startedAt`, c.startedAt) ??
      intProblem(`${ck}.count`, c.count);
    if (p) return p;
  }
  return null;
}

/** The first field of a snapshot the store could not hold, or null when all of it can be recorded. */
export function storableProblem(s: Snapshot): StorableProblem | null {
  const p = textProblem('serverId', s.serverId);
  if (p) return p;
  for (const [i, f] of s.features.entries()) {
    const fp = featureProblem(f, `features[${i}]`);
    if (fp) return fp;
  }
  return null;
}
