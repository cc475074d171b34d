/**
 * Access to test/fixtures (real license-server outputs, origins in test/fixtures/SOURCES.md) and MANIFEST.tsv.
 * The manifest states, per file, the issued/in-use totals per feature and checkout lines counted.
 * A missing fixture or manifest throws at load time: a fixture-driven suite fails loudly, it never passes empty.
 */
import * as fs from 'fs';
import * as path from 'path';

export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');

/** The absolute path of a fixture; throws (naming the file) when it is not in the repository. */
export function fixturePath(rel: string): string {
  const file = path.join(FIXTURES_DIR, rel);
  if (!fs.existsSync(file)) {
    throw new Error(`fixture missing: ${file} (test fixtures live in test/fixtures; see test/fixtures/SOURCES.md)`);
  }
  return file;
}

export function readFixture(rel: string): string {
  return fs.readFileSync(fixturePath(rel), 'utf8');
}

/** Files of a fixture directory (sorted); throws when the directory is missing or empty. */
export function fixtureFiles(dir: string): string[] {
  const abs = path.isAbsolute(dir) ? dir : path.join(FIXTURES_DIR, dir);
  const names = fs.existsSync(abs)
    ? fs
        .readdirSync(abs)
        .filter((n) => !n.startsWith('.'))
        .sort()
    : [];
  if (names.length === 0) throw new Error(`fixture directory missing or empty: ${abs}`);
  return names.map((n) => path.join(abs, n));
}

export type FeatureExpectation =
  | { name: string; kind: 'counts'; issued: number; used: number }
  | { name: string; kind: 'uncounted' }
  | { name: string; kind: 'error'; error: string; count?: number };

export interface ManifestRow {
  file: string;
  repo: string;
  kind: string; // lmstat-a | lmstat-i | lmstat-v | rlmstat | debuglog
  features: FeatureExpectation[];
  /** Feature name -> number of checkout lines counted in the file. Duplicated names keep their order. */
  checkoutLines: Array<{ name: string; lines: number }>;
  queuedOrReservations: string;
  seatSums: Array<{ name: string; seats: number }>;
  lineEndings: string;
  repoTestExpectations: string;
  notes: string;
  raw: Record<string, string>;
}

function splitPairs(s: string): Array<[string, string]> {
  if (!s) return [];
  // strip a leading "(explanation) " the manifest uses for rlm and lmstat -i rows
  const body = s.replace(/^\([^)]*\)\s*/, '');
  return body
    .split(';')
    .filter(Boolean)
    .map((p) => {
      const i = p.lastIndexOf(':');
      // ERROR(unsupported:21) contains a colon inside parentheses
      const paren = p.indexOf(':ERROR(');
      if (paren >= 0) return [p.slice(0, paren), p.slice(paren + 1)] as [string, string];
      return [p.slice(0, i), p.slice(i + 1)] as [string, string];
    });
}

export function loadManifest(): ManifestRow[] {
  const text = readFixture('MANIFEST.tsv');
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const header = lines[0].split('\t');
  return lines.slice(1).map((line) => {
    const cols = line.split('\t');
    const raw: Record<string, string> = {};
    header.forEach((h, i) => (raw[h] = cols[i] ?? ''));
    const features: FeatureExpectation[] = [];
    for (const [name, v] of splitPairs(raw.features_issued_inuse)) {
      if (v === 'uncounted') features.push({ name, kind: 'uncounted' });
      else if (v.startsWith('ERROR(')) {
        const inner = v.slice(6, -1);
        const [error, count] = inner.split(':');
        features.push({ name, kind: 'error', error, count: count ? Number(count) : undefined });
      } else if (/^\d+\/\d+$/.test(v)) {
        const [issued, used] = v.split('/').map(Number);
        features.push({ name, kind: 'counts', issued, used });
      }
    }
    const checkoutLines = splitPairs(raw.checkout_lines_per_feature).map(([name, n]) => ({ name, lines: Number(n) }));
    const seatSums = splitPairs(raw.seat_sum_from_N_licenses).map(([name, n]) => ({ name, seats: Number(n) }));
    return {
      file: raw.file,
      repo: raw.repo,
      kind: raw.kind,
      features,
      checkoutLines,
      queuedOrReservations: raw.queued_or_reservation_lines,
      seatSums,
      lineEndings: raw.line_endings,
      repoTestExpectations: raw.repo_test_expectations,
      notes: raw.notes,
      raw,
    };
  });
}
