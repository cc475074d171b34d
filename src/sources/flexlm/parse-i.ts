/**
 * `lmutil lmstat -i` (license-file feature table) parsing, FlexNet date parsing, and merging -i expiry data
 * into an `lmstat -a` snapshot. Pure; never throws.
 *
 * lmstat -i prints a fixed table whose Vendor and Expires columns come in either order depending on the
 * lmutil version (see lmstat_i_app1 vs lmstat_i_app2), and the expiry may contain spaces
 * ("permanent(no expiration date)"):
 *
 *   Feature                         Version     #licenses    Expires      Vendor
 *   _______                         _________   _________    __________   ______
 *   feature15                       2018.09      2           1-jan-0      vendor2
 */
import type { Feature, ParseOptions, ParseWarning, Pool, Snapshot } from '../../domain/snapshot';
import { MONTHS } from '../../domain/time';

// ---------------------------------------------------------------------------------------------------------
// Dates

/** Years after this are "never expires" sentinels in practice (01-jan-2099, 31-dec-9999). */
const PERMANENT_AFTER_YEAR = 2090;

export interface FlexlmDate {
  /** ISO date "2025-12-30"; null when permanent or unparseable. */
  iso: string | null;
  /** The date is one of FlexNet's "never expires" forms. */
  permanent: boolean;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/**
 * Parse a FlexNet expiry: "30-dec-2025" -> 2025-12-30. Permanent forms: year 0 ("1-jan-0", "01-jan-0000",
 * a bare "0000"), "permanent", "permanent(no expiration date)", and any year after 2090 (01-jan-2099). Two-digit years are
 * read as 19yy (>= 70) / 20yy (< 70) like lmgrd does; 3-digit or 5+-digit years are rejected rather than
 * guessed (so nothing like year 20202 is ever produced). An ISO "2025-12-30" is accepted as is.
 */
export function parseFlexlmDate(raw: string | null | undefined): FlexlmDate {
  if (typeof raw !== 'string') return { iso: null, permanent: false };
  const s = raw.trim().toLowerCase();
  if (!s) return { iso: null, permanent: false };
  // "permanent", "permanent(no expiration date)"; a bare year 0 ("0", "0000") as some license files print it
  if (s.startsWith('permanent') || /^0+$/.test(s)) return { iso: null, permanent: true };
  let day: number;
  let month: number;
  let yearText: string;
  let m = /^(\d{1,2})-([a-z]{3})[a-z]*-(\d{1,5})$/.exec(s);
  if (m) {
    day = Number(m[1]);
    month = MONTHS[m[2]] ?? 0;
    yearText = m[3];
  } else {
    m = /^(\d{1,5})-(\d{1,2})-(\d{1,2})$/.exec(s);
    if (!m) return { iso: null, permanent: false };
    yearText = m[1];
    month = Number(m[2]);
    day = Number(m[3]);
  }
  let year = Number(yearText);
  if (year === 0) return { iso: null, permanent: true };
  if (yearText.length <= 2) year += year >= 70 ? 1900 : 2000;
  else if (yearText.length !== 4) return { iso: null, permanent: false };
  if (year > PERMANENT_AFTER_YEAR) return { iso: null, permanent: true };
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return { iso: null, permanent: false };
  return { iso: `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`, permanent: false };
}

// ---------------------------------------------------------------------------------------------------------
// lmstat -i

export interface LmstatIFeature {
  name: string;
  /** As printed ("2018.12"), without a leading v. */
  version: string | null;
  /** The #licenses column; null when not a number (e.g. "uncounted"). */
  issued: number | null;
  expiry: string | null;
  expiryRaw: string | null;
  permanent: boolean;
  vendor: string | null;
  /** #licenses printed as "uncounted". */
  uncounted: boolean;
}

export interface LmstatIResult {
  features: LmstatIFeature[];
  warnings: ParseWarning[];
}

const MAX_WARNINGS = 50;

function isDateLike(tok: string): boolean {
  const t = tok.toLowerCase();
  return t.startsWith('permanent') || /^\d{1,2}-[a-z]{3}-\d{1,5}$/.test(t) || /^\d{4}-\d{1,2}-\d{1,2}$/.test(t);
}

/** Parse `lmstat -i` output. Never throws; lines it cannot read become UNPARSED_LINE warnings. */
export function parseLmstatI(text: string, _opts?: ParseOptions): LmstatIResult {
  const features: LmstatIFeature[] = [];
  const warnings: ParseWarning[] = [];
  let total = 0;
  const warn = (w: ParseWarning) => {
    total++;
    if (warnings.length < MAX_WARNINGS) warnings.push(w);
  };
  try {
    let src = typeof text === 'string' ? text : String(text ?? '');
    if (src.charCodeAt(0) === 0xfeff) src = src.slice(1);
    const lines = src.indexOf('\n') < 0 && src.indexOf('\r') >= 0 ? src.split('\r') : src.split('\n');
    /** Column order from the header: true when Vendor comes before Expires (lmstat_i_app2). */
    let vendorFirst: boolean | null = null;
    let inNote = false;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) {
        inNote = false;
        continue;
      }
      if (line.startsWith('NOTE:')) {
        inNote = true;
        continue;
      }
      // continuation lines of the NOTE paragraph are indented
      if (inNote && /^\s/.test(lines[i])) continue;
      inNote = false;
      if (line.charCodeAt(0) === 95 && /^[_\s]+$/.test(line)) continue; // the "_______   ____" underline row
      if (/^lmutil\b/i.test(line) || /^lmstat\b/i.test(line) || /Copyright/.test(line)) continue;
      const toks = line.split(/\s+/);
      if (toks[0] === 'Feature' && toks.some((t) => t.toLowerCase() === 'version')) {
        const lower = toks.map((t) => t.toLowerCase());
        const v = lower.indexOf('vendor');
        const x = lower.findIndex((t) => t.startsWith('expire'));
        vendorFirst = v >= 0 && x >= 0 ? v < x : null;
        continue;
      }
      const countTok = toks[2] ?? '';
      const uncounted = countTok.toLowerCase() === 'uncounted';
      if (toks.length < 4 || !(/^\d{1,15}$/.test(countTok) || uncounted)) {
        warn({
          code: 'UNPARSED_LINE',
          message: 'lmstat -i: line not understood',
          line: i + 1,
          text: line.slice(0, 200),
          affectsCounts: false,
        });
        continue;
      }
      const rest = toks.slice(3);
      let vendor: string | null;
      let expiryRaw: string;
      // Decide per line which of the two trailing columns is the date; the header order breaks ties.
      const firstIsDate = isDateLike(rest[0]);
      const lastIsDate =
        rest.length > 1 && isDateLike(rest[rest.length - 1]) && !rest[0].toLowerCase().startsWith('permanent');
      if (rest.length === 1) {
        if (isDateLike(rest[0])) {
          vendor = null;
          expiryRaw = rest[0];
        } else {
          vendor = rest[0];
          expiryRaw = '';
        }
      } else if (lastIsDate && !firstIsDate) {
        vendor = rest[0];
        expiryRaw = rest.slice(1).join(' ');
      } else if (firstIsDate && !lastIsDate) {
        vendor = rest[rest.length - 1];
        expiryRaw = rest.slice(0, -1).join(' ');
      } else if (vendorFirst === true) {
        vendor = rest[0];
        expiryRaw = rest.slice(1).join(' ');
      } else {
        vendor = rest[rest.length - 1];
        expiryRaw = rest.slice(0, -1).join(' ');
      }
      const d = parseFlexlmDate(expiryRaw);
      if (expiryRaw && !d.iso && !d.permanent) {
        warn({
          code: 'BAD_DATE',
          message: `lmstat -i: cannot read expiry "${expiryRaw.slice(0, 60)}"`,
          line: i + 1,
          text: line.slice(0, 200),
          feature: toks[0],
        });
      }
      const issued = uncounted ? null : Number(countTok);
      features.push({
        name: toks[0],
        version: toks[1] || null,
        issued: issued !== null && Number.isSafeInteger(issued) ? issued : null,
        expiry: d.iso,
        expiryRaw: expiryRaw || null,
        permanent: d.permanent,
        vendor,
        uncounted,
      });
    }
  } catch (err) {
    warn({
      code: 'PARSER_ERROR',
      message: `lmstat -i parser failed: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  if (total > warnings.length) {
    warnings.push({
      code: 'WARNINGS_TRUNCATED',
      message: `${total} warnings in all; only the first ${MAX_WARNINGS} are kept`,
    });
  }
  return { features, warnings };
}

// ---------------------------------------------------------------------------------------------------------
// Merge

function bareVersion(v: string | null | undefined): string {
  return (v ?? '').trim().replace(/^v/i, '');
}

function earliest(rows: LmstatIFeature[]): LmstatIFeature {
  // Prefer the soonest dated expiry (the conservative answer for expiry alerts), then permanent ones.
  let best = rows[0];
  for (const r of rows) {
    if (r.expiry && (!best.expiry || r.expiry < best.expiry)) best = r;
  }
  return best;
}

/**
 * Fill pool expiry from `lmstat -i` data where the `lmstat -a` output lacked it (pool lines without
 * "expiry:", or features with no pool lines at all, which is what unused features print).
 * Rows are matched by feature name (or the pool's own quoted name) and, when possible, by version; when
 * several rows still match, the earliest dated expiry wins. A feature with no pools gets one pool per
 * matching -i row (type 'unknown', issued from #licenses).
 * Pure: returns a new Snapshot and leaves the input untouched.
 */
export function mergeExpiry(snapshot: Snapshot, iResult: LmstatIResult): Snapshot {
  try {
    const byName = new Map<string, LmstatIFeature[]>();
    for (const row of iResult?.features ?? []) {
      const list = byName.get(row.name);
      if (list) list.push(row);
      else byName.set(row.name, [row]);
    }
    if (byName.size === 0) return snapshot;
    const features = snapshot.features.map((f): Feature => {
      const rows = byName.get(f.name);
      if (f.pools.length === 0) {
        if (!rows) return f;
        const pools: Pool[] = rows.map((r) => ({
          name: r.name,
          version: r.version,
          vendor: r.vendor,
          type: 'unknown',
          issued: r.issued,
          expiry: r.expiry,
          expiryRaw: r.expiryRaw,
          permanent: r.permanent,
        }));
        return { ...f, pools };
      }
      let changed = false;
      const pools = f.pools.map((p): Pool => {
        if (p.expiryRaw) return p;
        const candidates = (p.name ? byName.get(p.name) : undefined) ?? rows;
        if (!candidates || candidates.length === 0) return p;
        const sameVersion = candidates.filter((r) => bareVersion(r.version) === bareVersion(p.version));
        const pick = earliest(sameVersion.length > 0 ? sameVersion : candidates);
        changed = true;
        return { ...p, expiry: pick.expiry, expiryRaw: pick.expiryRaw, permanent: pick.permanent };
      });
      return changed ? { ...f, pools } : f;
    });
    return { ...snapshot, features };
  } catch {
    return snapshot;
  }
}
