/**
 * validate(): the Foretify Manager LicenseSummary's three consistency checks, reconciled with how real license servers behave.
 *
 *  1. checkouts match used: `used` (as the server reported it) must equal the licenses held by the listed
 *     checkouts plus the reserved licenses (FlexLM counts RESERVATIONs as "in use"; queued requests are not).
 *  2. free = issued - used: free is derived, so this fails when used > issued (free would be negative) or when a
 *     source that reports `free` itself (JSON) disagrees.
 *  3. issued and used are non-negative (and present).
 * Uncounted features skip the arithmetic. A feature the server could not report on is invalid. Lines the parser
 * could not place make a feature invalid only when they could have changed a count. A DOWN or stale server
 * makes the report invalid. Pure: data is never dropped, only judged.
 */
import type { Feature, Issue, Snapshot } from './snapshot';

export interface FeatureVerdict {
  valid: boolean;
  issues: Issue[];
  free: number | null;
  reserved: number;
  queued: number;
  checkedOut: number;
}

export interface SnapshotVerdict {
  valid: boolean;
  /** Server-level issues (DOWN, unreadable output...). */
  issues: Issue[];
  /** Per feature, in snapshot.features order. */
  features: FeatureVerdict[];
}

export function sumCheckouts(f: Feature): number {
  let n = 0;
  for (const c of f.checkouts) n += c.count;
  return n;
}

export function sumReserved(f: Feature): number {
  let n = 0;
  for (const r of f.reservations) n += r.count;
  return n;
}

export function sumQueued(f: Feature): number {
  let n = 0;
  for (const q of f.queued) n += q.count;
  return n;
}

function isCount(n: number | null | undefined): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

export function validateFeature(f: Feature, countAffectingWarnings = 0): FeatureVerdict {
  const issues: Issue[] = [];
  const checkedOut = sumCheckouts(f);
  const reserved = sumReserved(f);
  const queued = sumQueued(f);
  let free: number | null = null;

  if (f.error) {
    issues.push({
      code: 'FEATURE_UNAVAILABLE',
      message: `The server could not report on ${f.name}: ${f.error.message}`,
      expected: null,
      actual: f.error.code,
    });
  } else if (f.uncounted) {
    // Uncounted (node-locked) licenses have no issued/used arithmetic to check.
  } else {
    if (!isCount(f.issued)) {
      issues.push({
        code: 'MISSING_ISSUED',
        message: `${f.name}: the issued count is missing`,
        expected: '>= 0',
        actual: null,
      });
    } else if (f.issued < 0) {
      issues.push({
        code: 'NEGATIVE_ISSUED',
        message: `${f.name}: issued is negative (${f.issued})`,
        expected: '>= 0',
        actual: f.issued,
      });
    }
    if (!isCount(f.used)) {
      issues.push({
        code: 'MISSING_USED',
        message: `${f.name}: the in-use count is missing`,
        expected: '>= 0',
        actual: null,
      });
    } else if (f.used < 0) {
      issues.push({
        code: 'NEGATIVE_USED',
        message: `${f.name}: used is negative (${f.used})`,
        expected: '>= 0',
        actual: f.used,
      });
    }
    if (isCount(f.issued) && isCount(f.used) && f.issued >= 0 && f.used >= 0) {
      free = f.issued - f.used;
      if (free < 0) {
        issues.push({
          code: 'FREE_MISMATCH',
          message: `${f.name}: ${f.used} in use exceeds ${f.issued} issued, so free would be ${free}`,
          expected: '>= 0',
          actual: free,
        });
      }
      if (isCount(f.reportedFree) && f.reportedFree !== free) {
        issues.push({
          code: 'FREE_MISMATCH',
          message: `${f.name}: the source reports ${f.reportedFree} free but issued - used = ${free}`,
          expected: free,
          actual: f.reportedFree,
        });
      }
    }
    if (isCount(f.used) && f.used >= 0) {
      const accounted = checkedOut + reserved;
      if (accounted !== f.used) {
        issues.push({
          code: 'CHECKOUTS_MISMATCH',
          message:
            `${f.name}: the server reports ${f.used} in use but its checkouts hold ${checkedOut}` +
            (reserved ? ` and reservations ${reserved}` : '') +
            ` (${accounted} in all)`,
          expected: f.used,
          actual: accounted,
        });
      }
    }
  }
  if (countAffectingWarnings > 0) {
    issues.push({
      code: 'UNPARSED_LINES',
      message: `${f.name}: ${countAffectingWarnings} line(s) of the server's output could not be read and may change the counts`,
      expected: 0,
      actual: countAffectingWarnings,
    });
  }
  if (free === null && f.uncounted === false && isCount(f.issued) && isCount(f.used)) free = f.issued - f.used;
  return { valid: issues.length === 0, issues, free, reserved, queued, checkedOut };
}

export function validate(s: Snapshot, opts: { stale?: boolean } = {}): SnapshotVerdict {
  const issues: Issue[] = [];
  if (s.status === 'DOWN') {
    issues.push({
      code: 'SERVER_DOWN',
      message: `License server ${s.serverId} is down${s.error ? `: ${s.error}` : ''}`,
      expected: 'UP',
      actual: 'DOWN',
    });
  } else if (s.status === 'UNKNOWN') {
    issues.push({
      code: 'SERVER_UNKNOWN',
      message: `The state of license server ${s.serverId} is unknown${s.error ? `: ${s.error}` : ''}`,
      expected: 'UP',
      actual: 'UNKNOWN',
    });
  }
  for (const d of s.vendorDaemons) {
    if (d.status === 'DOWN') {
      issues.push({
        code: 'VENDOR_DAEMON_DOWN',
        message: `Vendor daemon ${d.name} is down${d.message ? `: ${d.message}` : ''}`,
        expected: 'UP',
        actual: 'DOWN',
      });
    }
  }
  if (opts.stale) {
    issues.push({
      code: 'SOURCE_UNAVAILABLE',
      message: `License server ${s.serverId} could not be read; showing data from ${s.fetchedAt}`,
      expected: null,
      actual: s.fetchedAt,
    });
  }
  // Count-affecting warnings attach to their feature; ones outside any feature make the server invalid.
  const perFeature = new Map<string, number>();
  let orphan = 0;
  for (const w of s.warnings) {
    if (!w.affectsCounts) continue;
    if (w.feature) perFeature.set(w.feature, (perFeature.get(w.feature) ?? 0) + 1);
    else orphan++;
  }
  if (orphan > 0) {
    issues.push({
      code: 'UNPARSED_LINES',
      message: `${orphan} line(s) of ${s.serverId}'s output could not be read and may change the counts`,
      expected: 0,
      actual: orphan,
    });
  }
  let valid = issues.length === 0;
  const features = s.features.map((f) => {
    const v = validateFeature(f, perFeature.get(f.name) ?? 0);
    if (!v.valid) valid = false;
    return v;
  });
  return { valid, issues, features };
}
