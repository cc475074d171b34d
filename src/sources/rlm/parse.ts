/**
 * Parser for Reprise License Manager status output: `rlmutil rlmstat -a` and its subsets (`-l isv`, `-i isv`,
 * `-p product`; `-avail` lines are read where they use the pool format below, others become warnings).
 * Pure: text in, Snapshot out; no I/O; never throws. One pass over the lines, cheap prefix checks before regexes.
 * Performance (outputs can be tens of megabytes): the lines are walked as ranges of the text (no array of lines);
 * in a usage section a checkout line of the common shape is read in place by fastCheckout (no line string, no
 * regular expression, same result as checkoutLine); start times are inferred once per distinct text
 * (StartTimeInferrer) and product/version strings interned. npm run bench -- parse measures it.
 *
 * What rlmstat prints (RLM v9 .. v16; lines are tab-indented by a real rlmstat, some versions print the rlm and ISV
 * status blocks unindented, and captures may have been dedented or use CRLF, so every line is read trimmed):
 *
 *   Setting license file path to 5053@host[:5053@host2]
 *   rlmutil v12.2 / Copyright (C) ...                                  banner
 *   rlm status on HOST (port N), up 99d 11:08:25                        -> hosts[] (UP)
 *   rlm software version v12.2 (build:2)                                -> snapshot.version, host version
 *   --------- ISV servers ----------  /  Name Port Running Restarts
 *   csci   63133   Yes   0                                              -> vendorDaemons (Running Yes/No -> UP/DOWN)
 *   csci ISV server status on HOST (port N), up ...                     -> vendor host/port
 *   csci software version v12.2 (build: 2)                              -> vendor version
 *   Denials: a (x/sec) b (y/sec) c (z/sec)                              -> vendor denials = c (the "Total Stats" column)
 *   csci license pool status on HOST (port N)
 *   product vVERSION[, pool: P]                                         -> Feature "product", one Pool per header
 *     count: N, # reservations: R, inuse: U, exp: 31-jan-2022           (count 0 / "uncounted" -> uncounted pool)
 *     UNCOUNTED, inuse: U[, exp: permanent]                             -> uncounted pool
 *     Token-based license                                               -> token pool (no counts of its own)
 *     obsolete: 0, min_remove: 120, total checkouts: 169                (ignored)
 *   csci license usage status on HOST (port N)
 *   product vVERSION: user@host COUNT/RES at MM/DD HH:MM  (handle: h)   -> Checkout
 *   product vVERSION: user@host(vCLIENT) (h) COUNT/RES at MM/DD HH:MM   (RLM v9 manual form)
 *   Error connecting to "rlm" server / Connection attempted to host: "" on port 5053 / No error
 *                                                                        -> DOWN with snapshot.error
 *
 * Rules for the ambiguous cases:
 *  - One Feature per product name. Several pools of a product (other versions, other expiry dates, RLM v14+
 *    "pool: N") become several Pools of one Feature; issued and used are the sums over the pools.
 *  - An uncounted pool (count 0, "uncounted", "unlimited", "UNCOUNTED, inuse: n") makes the whole feature
 *    uncounted: issued is null, used is still the sum of what the pools report.
 *  - A product whose only pools are token-based has issued/used null and error TOKEN_BASED (its usage is counted on
 *    the products its tokens map to).
 *  - Checkout.count is the first number of "29/0": the licenses this checkout holds (the pool's inuse is the sum of
 *    these first numbers in every real output seen). The second number is what the RLM web interface lists as "res":
 *    as we read it, how many of those licenses came from a RESERVE reservation, so it is not added again; it is not
 *    kept (no Checkout field for it). The pool's "# reservations" goes to Pool.reserved and is not a Reservation
 *    entry: RLM reports reservations in use separately from idle ones (report log cur_use / cur_resuse) and does not
 *    count idle reservations as in use the way FlexLM does.
 *  - "... (QUEUED)" after a usage line makes it a QueuedRequest and "(roaming)" a borrowed checkout; other text after
 *    the handle (e.g. "[I: isv-data]" from -I) is kept in Checkout.detail. These tails are not confirmed from real
 *    captures.
 *  - Connection errors: for "rlm" (or rlmstat's own "rlmstat: ..." lines) the snapshot is DOWN with the whole
 *    message in snapshot.error (and a DOWN host when the host is named), unless something else in the output
 *    answered (then UP, and the message is a SERVER_ERROR warning); for an ISV, that vendor daemon is DOWN.
 *  - serverInfo is "host/port handle" with the host and port of the "license usage status on HOST (port N)" header
 *    (the values `rlmremove server-host port isv handle` takes), else the ISV's own host/port when known.
 *  - A checkout for a product with no pool line (e.g. `rlmstat -i`) creates a feature with issued/used null.
 *  - Features are keyed by product name only; a product name served by two ISVs is merged (vendor: the first seen).
 */
import type {
  Checkout,
  Feature,
  ParseOptions,
  ParseWarning,
  Pool,
  QueuedRequest,
  ServerHost,
  Snapshot,
  SourceType,
  VendorDaemon,
} from '../../domain/snapshot';
import { emptyFeature, emptySnapshot } from '../../domain/snapshot';
import { resolveAnchor, rlmstatCaptureTime } from '../../domain/capture-time';
import { StringInterner } from '../flexlm/intern';
import { StartTimeInferrer } from '../flexlm/start-time';

export interface RlmParseOptions extends ParseOptions {
  /** 'rlm' (default) for a spawned rlmutil, 'rlm-file' for a captured output. */
  sourceType?: SourceType;
}

/** Warnings kept in full; the rest are counted in one summary warning. */
export const MAX_WARNINGS = 50;
const MAX_WARNING_TEXT = 200;
/** Lines longer than this are not run through the checkout regex (no quadratic backtracking on garbage). */
const MAX_REGEX_LINE = 2000;

type Section = 'none' | 'rlm' | 'isvTable' | 'isvStatus' | 'pool' | 'usage' | 'connErr';

interface PendingProduct {
  name: string;
  version: string;
  poolNo: string | null;
  vendor: string | null;
  line: number;
  text: string;
}

interface FeatureAcc {
  feature: Feature;
  /** Per pool: 'counted' | 'uncounted' | 'token'. */
  kinds: Array<'counted' | 'uncounted' | 'token'>;
}

interface ConnError {
  target: string; // "rlm" or an ISV name
  host: string | null;
  port: number | null;
  parts: string[];
}

const MONTHS: Record<string, string> = {
  jan: '01',
  feb: '02',
  mar: '03',
  apr: '04',
  may: '05',
  jun: '06',
  jul: '07',
  aug: '08',
  sep: '09',
  oct: '10',
  nov: '11',
  dec: '12',
};

// ---- regexes (run only after a cheap prefix / substring check) ----
const RE_RLM_STATUS = /^rlm status on\s*(\S*)\s*\(port\s+(\d+)[^)]*\)(?:\s*,\s*(.*))?$/i;
const RE_ISV_STATUS = /^(\S+)\s+ISV server status on\s*(\S*)\s*\(port\s+(-?\d+)[^)]*\)(?:\s*,\s*(.*))?$/i;
const RE_SECTION = /^(\S+)\s+license\s+(pool|usage)\s+status(?:\s+on\s*(\S*)\s*\(port\s+(-?\d+)[^)]*\))?\s*:?$/i;
const RE_SOFTWARE_VERSION = /^(\S+)\s+software version\s+(v?[\w.-]+)/i;
const RE_ISV_ROW = /^(\S+)\s+(-?\d+)\s+([A-Za-z]+)\s+(\d+)\b/;
const RE_PRODUCT = /^([^\s:@]+)\s+(v[0-9][\w.-]*)(?:\s*,\s*pool:\s*(\d+))?$/;
const RE_CHECKOUT =
  /^(\S+)\s+([^\s:]+):\s+(.+)@([^\s(]*)(?:\((v[^)]*)\))?\s+(?:\(([0-9A-Za-z]+)\)\s+)?(\d+)\/(\d+)\s+at\s+(\d{1,2}\/\d{1,2}(?:\/\d{2,4})?\s+\d{1,2}:\d{2}(?::\d{2})?)\s*(.*)$/;
const RE_HANDLE = /\(handle:\s*([^)\s]+)\s*\)/i;
const RE_CONN_ATTEMPT = /^Connection attempted to host:\s*"([^"]*)"\s*on port\s*(\d+)/i;
const RE_STATS_TIMES = /^[\d:d\s]+$/;
const RE_NUM_PER_SEC = /(\d+)\s*\(\s*[\d.]+\s*\/\s*sec\s*\)/g;

/** JavaScript's \s (and what String.prototype.trim removes). */
function isReSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** \d{1,2} at t[k] (greedy): the index after it, or -1. */
function digits12(t: string, k: number, e: number): number {
  if (k >= e || !isDigit(t.charCodeAt(k))) return -1;
  return k + 1 < e && isDigit(t.charCodeAt(k + 1)) ? k + 2 : k + 1;
}

/** The value of the (at most 15) digits t[a, b). */
function digitsValue(t: string, a: number, b: number): number {
  let n = 0;
  for (let k = a; k < b; k++) n = n * 10 + (t.charCodeAt(k) - 48);
  return n;
}

function safeInt(s: string | undefined | null): number | null {
  if (s === undefined || s === null) return null;
  const t = s.trim();
  if (!/^\d{1,15}$/.test(t)) return null;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : null;
}

/** "31-jan-2022" -> "2022-01-31"; "permanent", year 0 -> permanent. */
export function parseRlmExpiry(raw: string | null | undefined): { expiry: string | null; permanent: boolean } {
  if (!raw) return { expiry: null, permanent: false };
  const t = raw.trim().toLowerCase();
  if (t === 'permanent' || t === 'never' || t === 'none') return { expiry: null, permanent: true };
  const m = /^(\d{1,2})-([a-z]{3})-(\d{1,4})$/.exec(t);
  if (!m) return { expiry: null, permanent: false };
  const year = Number(m[3]);
  if (year === 0) return { expiry: null, permanent: true };
  const mm = MONTHS[m[2]];
  const day = Number(m[1]);
  if (!mm || day < 1 || day > 31) return { expiry: null, permanent: false };
  const yyyy = m[3].length <= 2 ? String(2000 + year) : String(year).padStart(4, '0');
  return { expiry: `${yyyy}-${mm}-${String(day).padStart(2, '0')}`, permanent: false };
}

interface PoolDetails {
  kind: 'counted' | 'uncounted';
  count: number | null;
  reservations: number | null;
  inuse: number | null;
  expRaw: string | null;
}

/** "count: 1000, # reservations: 0, inuse: 93, exp: 31-jan-2022" or "UNCOUNTED, inuse: 1, exp: permanent". */
function parsePoolDetails(t: string): PoolDetails | null {
  const parts = t.split(',');
  let kind: 'counted' | 'uncounted' | null = null;
  let count: number | null = null;
  let reservations: number | null = null;
  let inuse: number | null = null;
  let expRaw: string | null = null;
  let sawCount = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i].trim();
    if (!p) continue;
    const c = p.indexOf(':');
    if (c < 0) {
      const w = p.toLowerCase();
      if (i === 0 && (w === 'uncounted' || w === 'unlimited')) {
        kind = 'uncounted';
        continue;
      }
      return null;
    }
    const key = p.slice(0, c).trim().toLowerCase().replace(/\s+/g, ' ');
    const val = p.slice(c + 1).trim();
    switch (key) {
      case 'count': {
        sawCount = true;
        const v = val.toLowerCase();
        if (v === 'uncounted' || v === 'unlimited') {
          kind = 'uncounted';
        } else {
          const n = safeInt(val);
          if (n === null) return null;
          if (n === 0) kind = 'uncounted';
          else {
            kind = kind ?? 'counted';
            count = n;
          }
        }
        break;
      }
      case '# reservations':
      case '#reservations':
      case 'reservations': {
        const n = safeInt(val);
        if (n === null) return null;
        reservations = n;
        break;
      }
      case 'inuse':
      case 'in use': {
        const n = safeInt(val);
        if (n === null) return null;
        inuse = n;
        break;
      }
      case 'exp':
      case 'expires':
        expRaw = val || null;
        break;
      default:
        // obsolete, min_remove, total checkouts, ... carry no count we keep
        break;
    }
  }
  if (kind === null) return null;
  if (kind === 'counted' && (!sawCount || count === null)) return null;
  if (inuse === null) return null;
  return { kind, count, reservations, inuse, expRaw };
}

function cap(s: string): string {
  return s.length > MAX_WARNING_TEXT ? s.slice(0, MAX_WARNING_TEXT) : s;
}

/**
 * Parse `rlmutil rlmstat -a` (or a subset) into a Snapshot. Never throws.
 */
export function parseRlmstat(text: string, opts: RlmParseOptions = {}): Snapshot {
  const o = opts && typeof opts === 'object' ? opts : {};
  const nowCandidate = o.now instanceof Date && Number.isFinite(o.now.getTime()) ? o.now : new Date();
  const sourceType: SourceType = o.sourceType ?? 'rlm';
  const snap = emptySnapshot(typeof o.serverId === 'string' ? o.serverId : 'rlm', sourceType, nowCandidate);
  const input = typeof text === 'string' ? text : '';
  // start times are read against the capture's own time (its statistics block) when it states one
  const a = resolveAnchor(rlmstatCaptureTime(input, o.timeZone), nowCandidate);
  snap.capturedAt = a.capturedAt;
  try {
    parseInto(snap, input, a.anchor, o);
    if (a.warning) snap.warnings.unshift(a.warning);
  } catch (e) {
    // Defensive: a parser bug must not take the poller down. Keep what was read and say why.
    snap.warnings.push({
      code: 'PARSER_ERROR',
      message: `rlmstat parser failed: ${e instanceof Error ? e.message : String(e)}`,
      affectsCounts: true,
    });
    if (snap.status === 'UNKNOWN') snap.error = snap.error ?? 'rlmstat output could not be read';
  }
  return snap;
}

function parseInto(snap: Snapshot, text: string, now: Date, o: RlmParseOptions): void {
  const tz = o.timeZone;
  const hosts: ServerHost[] = [];
  const vendors = new Map<string, VendorDaemon>();
  const features = new Map<string, FeatureAcc>();
  const warnings: ParseWarning[] = [];
  let suppressed = 0;
  let suppressedAffecting = 0;
  // inferStartedAt(raw, now, tz), memoised (the same results: see StartTimeInferrer)
  const times = new StartTimeInferrer(now, tz);
  const strings = new StringInterner();

  let section: Section = 'none';
  let currentIsv: string | null = null;
  let sectionHost: string | null = null;
  let sectionPort: number | null = null;
  let currentRlmHost: ServerHost | null = null;
  let pending: PendingProduct | null = null;
  let licensePath: string | null = null;
  let sawContent = false; // anything rlm-specific at all
  let serverAnswered = false; // rlm or an ISV answered with status data
  const connErrors: ConnError[] = [];
  let currentConnErr: ConnError | null = null;
  const toolErrors: string[] = [];

  const warn = (w: ParseWarning): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push(w);
    else {
      suppressed++;
      if (w.affectsCounts) suppressedAffecting++;
    }
  };

  const vendor = (name: string): VendorDaemon => {
    let v = vendors.get(name);
    if (!v) {
      v = { name, status: 'UP', version: null, host: null, port: null, message: null };
      vendors.set(name, v);
    }
    return v;
  };

  const featureAcc = (name: string, vendorName: string | null): FeatureAcc => {
    let acc = features.get(name);
    if (!acc) {
      const f = emptyFeature(name);
      f.vendor = vendorName;
      acc = { feature: f, kinds: [] };
      features.set(name, acc);
    } else if (!acc.feature.vendor && vendorName) {
      acc.feature.vendor = vendorName;
    }
    return acc;
  };

  const flushPending = (): void => {
    if (!pending) return;
    const p = pending;
    pending = null;
    const w: ParseWarning = {
      code: 'UNPARSED_LINE',
      message: `product line "${p.name} ${p.version}" has no count line after it`,
      line: p.line,
      text: cap(p.text),
      affectsCounts: true,
    };
    if (features.has(p.name)) w.feature = p.name;
    warn(w);
  };

  const unparsed = (lineNo: number, t: string, affects: boolean, feature?: string): void => {
    flushPending(); // a product line is followed at once by its count line: keep the warnings in line order
    const w: ParseWarning = {
      code: 'UNPARSED_LINE',
      message: 'line not understood',
      line: lineNo,
      text: cap(t),
      affectsCounts: affects,
    };
    if (feature !== undefined) w.feature = feature;
    warn(w);
  };

  const startedAt = (raw: string): string | null => times.infer(raw);

  const endConnErr = (): void => {
    currentConnErr = null;
  };

  const isPoolDetail = (t: string): boolean =>
    t.startsWith('count:') ||
    t.startsWith('UNCOUNTED') ||
    t.startsWith('uncounted') ||
    t.startsWith('Uncounted') ||
    t.startsWith('Token') ||
    t.startsWith('token');

  /** "count: ..." / "UNCOUNTED, ..." / "Token-based license" under a product line (caller checked isPoolDetail). */
  const poolDetail = (t: string, lineNo: number): void => {
    const p: PendingProduct | null = pending;
    if (!p) {
      unparsed(lineNo, t, true);
      return;
    }
    pending = null;
    const isToken = /^token[- ]based/i.test(t);
    const d = isToken ? null : parsePoolDetails(t);
    const acc = featureAcc(p.name, p.vendor);
    if (!isToken && !d) {
      unparsed(lineNo, t, true, p.name);
      return;
    }
    const exp = parseRlmExpiry(d?.expRaw ?? null);
    const pool: Pool = {
      name: p.name,
      version: p.version,
      vendor: p.vendor,
      type: !d ? 'unknown' : d.kind === 'uncounted' ? 'uncounted' : 'floating',
      issued: d && d.kind === 'counted' ? d.count : null,
      used: d ? d.inuse : null,
      reserved: d ? d.reservations : null,
      expiry: exp.expiry,
      expiryRaw: d?.expRaw ?? null,
      permanent: exp.permanent,
      lockedTo: null,
      vendorString: isToken ? t : p.poolNo !== null ? `pool: ${p.poolNo}` : null,
    };
    acc.feature.pools.push(pool);
    acc.kinds.push(d ? d.kind : 'token');
  };

  /** "product vX: user@host 1/0 at 11/03 11:43  (handle: 2b1)"; false when the line is not one. */
  const checkoutLine = (t: string, lineNo: number): boolean => {
    if (t.length > MAX_REGEX_LINE || t.indexOf('@') < 0 || t.indexOf(' at ') < 0) return false;
    const m = RE_CHECKOUT.exec(t);
    if (!m) return false;
    flushPending();
    const product = m[1];
    const version = m[2];
    const username = m[3].trim();
    const hostname = m[4];
    const first = safeInt(m[7]);
    const startTime = m[9].replace(/\s+/g, ' ');
    let tail = m[10] ?? '';
    let handle: string | null = m[6] ?? null;
    const hm = tail ? RE_HANDLE.exec(tail) : null;
    if (hm) {
      handle = hm[1];
      tail = tail.slice(0, hm.index) + tail.slice(hm.index + hm[0].length);
    }
    tail = tail.trim();
    const isv = currentIsv;
    const acc = featureAcc(product, isv);
    let serverHost = sectionHost;
    let serverPort = sectionPort;
    if ((!serverHost || !serverPort) && isv) {
      const v = vendors.get(isv);
      if (v) {
        serverHost = serverHost || v.host || null;
        serverPort = serverPort || v.port || null;
      }
    }
    const serverInfo = serverHost && serverPort ? `${serverHost}/${serverPort}${handle ? ` ${handle}` : ''}` : null;
    let count = first ?? 0;
    if (count <= 0) {
      warn({
        code: 'BAD_COUNT',
        message: `checkout line holds ${m[7]} licenses; counted as 1`,
        line: lineNo,
        text: cap(t),
        affectsCounts: true,
        feature: product,
      });
      count = 1;
    }
    const sa = startedAt(startTime);
    if (sa === null) {
      warn({
        code: 'BAD_DATE',
        message: `start time "${startTime}" could not be read`,
        line: lineNo,
        text: cap(t),
        affectsCounts: false,
        feature: product,
      });
    }
    if (tail && /queued/i.test(tail)) {
      const q: QueuedRequest = {
        username,
        hostname,
        display: null,
        count,
        serverInfo,
        handle,
        startTime,
        startedAt: sa,
      };
      acc.feature.queued.push(q);
    } else {
      const co: Checkout = {
        username,
        hostname,
        display: null,
        version,
        serverInfo,
        serverHost: serverHost ?? null,
        serverPort: serverPort ?? null,
        handle,
        count,
        startTime,
        startedAt: sa,
        linger: null,
        borrowed: tail ? /roam/i.test(tail) : false,
        pid: null,
        detail: tail || null,
      };
      acc.feature.checkouts.push(co);
    }
    serverAnswered = true;
    sawContent = true;
    return true;
  };

  // "host/port " of the usage section, made once per section for serverInfo (see fastCheckout)
  let infoHost: string | null = null;
  let infoPort: number | null = null;
  let infoPrefix = '';
  let infoPrefixSp = '';
  // where the next "@" of the text is at or after nextAtFrom (text.length: none), so that finding the "@" of each
  // line never searches the same text twice
  let nextAt = -1;
  let nextAtFrom = 0;
  const atFrom = (k: number): number => {
    if (k > nextAt || k < nextAtFrom) {
      nextAt = text.indexOf('@', k);
      if (nextAt < 0) nextAt = text.length;
      nextAtFrom = k;
    }
    return nextAt;
  };

  /**
   * checkoutLine() for the line text[s, e) (trimmed), without the regular expression and without slicing the line,
   * when the line has exactly the common shape
   *   PRODUCT VERSION: USER@HOST COUNT/RES at M/D H:MM[ (handle: H)]
   * (one "@", no "(vCLIENT)" or "(h)" group, no seconds or year, one space inside the date-time, nothing after the
   * handle), for which what RE_CHECKOUT captures is clear: the same values, warnings and effects as checkoutLine.
   * Any other line returns false untouched, and checkoutLine reads it.
   */
  const fastCheckout = (s: number, e: number, lineNo: number): boolean => {
    const t = text;
    if (e - s > MAX_REGEX_LINE) return false; // checkoutLine does not read those
    let k = s;
    // (\S+)\s+ : the product
    while (k < e && !isReSpace(t.charCodeAt(k))) k++;
    const productEnd = k;
    if (k === s || k >= e) return false;
    while (k < e && isReSpace(t.charCodeAt(k))) k++;
    // ([^\s:]+):\s+ : the version
    const versionStart = k;
    let c = 0;
    while (k < e && (c = t.charCodeAt(k)) !== 58 && !isReSpace(c)) k++;
    const versionEnd = k;
    if (k === versionStart || c !== 58 || k >= e) return false;
    k++;
    const w = k;
    while (k < e && isReSpace(t.charCodeAt(k))) k++;
    if (k === w) return false;
    // (.+)@ : the user, up to the only "@" of the line (never empty: t[k] is not a space)
    const userStart = k;
    const at = atFrom(userStart);
    if (at >= e || at === userStart || atFrom(at + 1) < e) return false;
    for (k = userStart; k < at; k++) {
      c = t.charCodeAt(k);
      if (c === 0x2028 || c === 0x2029) return false; // "." does not match these
    }
    let userEnd = at;
    while (isReSpace(t.charCodeAt(userEnd - 1))) userEnd--; // m[3].trim(); t[userStart] is not a space
    // ([^\s(]*) then \s+ (no "(vCLIENT)" group)
    k = at + 1;
    while (k < e && (c = t.charCodeAt(k)) !== 40 && !isReSpace(c)) k++;
    const hostEnd = k;
    if (k >= e || c === 40) return false;
    while (k < e && isReSpace(t.charCodeAt(k))) k++;
    // (\d+)\/(\d+) (no "(handle)" group before it)
    const countStart = k;
    while (k < e && isDigit(t.charCodeAt(k))) k++;
    const countEnd = k;
    if (k === countStart || k >= e || t.charCodeAt(k) !== 47) return false;
    k++;
    const resStart = k;
    while (k < e && isDigit(t.charCodeAt(k))) k++;
    if (k === resStart) return false;
    // \s+at\s+
    let w0 = k;
    while (k < e && isReSpace(t.charCodeAt(k))) k++;
    // (" at " with plain spaces, which checkoutLine requires in the line before it runs the expression)
    if (
      k === w0 ||
      k + 3 > e ||
      t.charCodeAt(k - 1) !== 32 ||
      t.charCodeAt(k) !== 97 ||
      t.charCodeAt(k + 1) !== 116 ||
      t.charCodeAt(k + 2) !== 32
    )
      return false;
    k += 2;
    w0 = k;
    while (k < e && isReSpace(t.charCodeAt(k))) k++;
    if (k === w0) return false;
    // \d{1,2}/\d{1,2} \d{1,2}:\d{2}, followed by the end or a space
    const timeStart = k;
    k = digits12(t, k, e);
    if (k < 0 || t.charCodeAt(k) !== 47) return false;
    k = digits12(t, k + 1, e);
    if (k < 0 || t.charCodeAt(k) !== 32) return false;
    k = digits12(t, k + 1, e);
    if (k < 0 || t.charCodeAt(k) !== 58 || k + 3 > e || !isDigit(t.charCodeAt(k + 1)) || !isDigit(t.charCodeAt(k + 2)))
      return false;
    k += 3;
    const timeEnd = k;
    // \s*(.*)$ : nothing, or exactly "(handle: H)"
    let handle: string | null = null;
    if (k < e) {
      if (!isReSpace(t.charCodeAt(k))) return false;
      while (isReSpace(t.charCodeAt(k))) k++; // e is not a space
      if (!t.startsWith('(handle:', k) || t.charCodeAt(e - 1) !== 41) return false;
      // (the tail is (.*): no line separator inside it)
      k += 8;
      while (k < e && isReSpace((c = t.charCodeAt(k))) && c !== 0x2028 && c !== 0x2029) k++;
      const handleStart = k;
      while (k < e && (c = t.charCodeAt(k)) !== 41 && !isReSpace(c)) k++;
      const handleEnd = k;
      while (k < e && isReSpace((c = t.charCodeAt(k))) && c !== 0x2028 && c !== 0x2029) k++;
      if (handleEnd === handleStart || k !== e - 1) return false;
      handle = t.slice(handleStart, handleEnd);
    }

    // what checkoutLine does with the match
    flushPending();
    const product = strings.field(0, t, s, productEnd);
    const version = strings.field(1, t, versionStart, versionEnd);
    const username = t.slice(userStart, userEnd);
    const hostname = t.slice(at + 1, hostEnd);
    const first = countEnd - countStart <= 15 ? digitsValue(t, countStart, countEnd) : null;
    const sa = times.inferAt(t, timeStart, timeEnd);
    const startTime = times.raw;
    const isv = currentIsv;
    const acc = featureAcc(product, isv);
    let serverHost = sectionHost;
    let serverPort = sectionPort;
    if ((!serverHost || !serverPort) && isv) {
      const v = vendors.get(isv);
      if (v) {
        serverHost = serverHost || v.host || null;
        serverPort = serverPort || v.port || null;
      }
    }
    let serverInfo: string | null = null;
    if (serverHost && serverPort) {
      if (serverHost !== infoHost || serverPort !== infoPort) {
        infoHost = serverHost;
        infoPort = serverPort;
        // flat strings (join), so that each serverInfo below is one concatenation of two flat strings
        infoPrefix = [serverHost, '/', serverPort].join('');
        infoPrefixSp = [infoPrefix, ' '].join('');
      }
      serverInfo = handle ? infoPrefixSp + handle : infoPrefix;
    }
    let count = first ?? 0;
    if (count <= 0) {
      warn({
        code: 'BAD_COUNT',
        message: `checkout line holds ${t.slice(countStart, countEnd)} licenses; counted as 1`,
        line: lineNo,
        text: cap(t.slice(s, e)),
        affectsCounts: true,
        feature: product,
      });
      count = 1;
    }
    if (sa === null) {
      warn({
        code: 'BAD_DATE',
        message: `start time "${startTime}" could not be read`,
        line: lineNo,
        text: cap(t.slice(s, e)),
        affectsCounts: false,
        feature: product,
      });
    }
    const co: Checkout = {
      username,
      hostname,
      display: null,
      version,
      serverInfo,
      serverHost: serverHost ?? null,
      serverPort: serverPort ?? null,
      handle,
      count,
      startTime,
      startedAt: sa,
      linger: null,
      borrowed: false,
      pid: null,
      detail: null,
    };
    acc.feature.checkouts.push(co);
    serverAnswered = true;
    sawContent = true;
    return true;
  };

  /** "converge_super v3.0" / "nuke_r v2024.0701, pool: 10" in a pool section (or before any section). */
  const productLine = (t: string, lineNo: number): boolean => {
    if (t.length > MAX_REGEX_LINE) return false;
    const m = RE_PRODUCT.exec(t);
    if (!m || m[1] === 'rlmutil' || m[1] === 'rlmstat' || m[1] === 'rlm') return false;
    flushPending();
    pending = {
      name: m[1],
      version: m[2],
      poolNo: m[3] ?? null,
      vendor: section === 'pool' ? currentIsv : null,
      line: lineNo,
      text: t,
    };
    sawContent = true;
    return true;
  };

  // The lines of text.split(/\r\n|\n|\r/), walked as [start, end) ranges of the text (no array of lines, and no
  // line string when the usage fast path reads the line).
  const len = text.length;
  let nextCR = -1; // where the next "\r" is, at or after `start` (len: none)
  let lineNo = 0;
  for (let start = 0; start <= len;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    if (nextCR < start) {
      nextCR = text.indexOf('\r', start);
      if (nextCR < 0) nextCR = len;
    }
    let next = end + 1;
    if (nextCR < end) {
      end = nextCR;
      next = end + 1 < len && text.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
    }
    const s0 = start;
    start = next;
    lineNo++;
    // raw.trim()
    let s = s0;
    let e = end;
    while (s < e && isReSpace(text.charCodeAt(s))) s++;
    while (e > s && isReSpace(text.charCodeAt(e - 1))) e--;
    if (s >= e) continue;
    if (section === 'usage' && fastCheckout(s, e, lineNo)) continue;
    const t = text.slice(s, e);
    const c0 = t.charCodeAt(0);

    // --- separators: "------------------------", "--------- ISV servers ----------"
    if (c0 === 45 /* - */ && t.startsWith('---')) {
      flushPending();
      endConnErr();
      if (t.includes('ISV servers')) {
        section = 'isvTable';
        sawContent = true;
      } else {
        section = 'none';
      }
      continue;
    }

    // --- fast paths for the bulk of a big output: the lines of the pool and usage sections
    if (section === 'usage') {
      if (checkoutLine(t, lineNo)) continue;
    } else if (section === 'pool') {
      if (isPoolDetail(t)) {
        poolDetail(t, lineNo);
        continue;
      }
      if (t.startsWith('obsolete:')) continue;
      if (productLine(t, lineNo)) continue;
    }

    // --- banners
    if (t.startsWith('Setting license file path to')) {
      licensePath = t.slice('Setting license file path to'.length).trim() || null;
      sawContent = true;
      continue;
    }
    if (
      (t.startsWith('rlmutil v') ||
        t.startsWith('rlmstat v') ||
        t.startsWith('rlmutil ') ||
        t.startsWith('rlmstat ')) &&
      /^rlm(?:util|stat)\s+v[\d.]+/.test(t)
    ) {
      sawContent = true;
      continue;
    }
    if (t.startsWith('Copyright')) continue;

    // --- rlm status block
    if (t.startsWith('rlm status on')) {
      flushPending();
      endConnErr();
      const m = RE_RLM_STATUS.exec(t);
      if (m) {
        const up = !m[3] || /^up\b/i.test(m[3]);
        const h: ServerHost = {
          host: m[1],
          port: safeInt(m[2]),
          status: up ? 'UP' : 'DOWN',
          master: false,
          version: null,
          message: up ? null : (m[3] ?? null),
        };
        hosts.push(h);
        currentRlmHost = h;
        section = 'rlm';
        sawContent = true;
        if (up) serverAnswered = true;
      } else {
        unparsed(lineNo, t, false);
      }
      continue;
    }

    // --- connection errors
    if (t.startsWith('Error connecting to')) {
      flushPending();
      const m = /^Error connecting to\s+"([^"]*)"\s*server/i.exec(t);
      currentConnErr = { target: m ? m[1] : 'rlm', host: null, port: null, parts: [t] };
      connErrors.push(currentConnErr);
      section = 'connErr';
      sawContent = true;
      continue;
    }
    if (t.startsWith('Connection attempted to host')) {
      const m = RE_CONN_ATTEMPT.exec(t);
      if (!currentConnErr) {
        currentConnErr = { target: 'rlm', host: null, port: null, parts: [] };
        connErrors.push(currentConnErr);
        section = 'connErr';
      }
      currentConnErr.parts.push(t);
      if (m) {
        currentConnErr.host = m[1];
        currentConnErr.port = safeInt(m[2]);
      }
      sawContent = true;
      continue;
    }
    if (t.startsWith('rlmstat:') || t.startsWith('rlmutil:')) {
      toolErrors.push(t);
      sawContent = true;
      continue;
    }

    // --- section headers that name an ISV: "csci ISV server status on ...", "csci license pool status on ..."
    if (t.includes(' ISV server status')) {
      flushPending();
      endConnErr();
      const m = RE_ISV_STATUS.exec(t);
      if (m) {
        const v = vendor(m[1]);
        v.host = m[2] || v.host || null;
        const port = Number(m[3]);
        if (port > 0 && Number.isSafeInteger(port)) v.port = port;
        if (m[4] && !/^up\b/i.test(m[4])) {
          v.status = 'DOWN';
          v.message = m[4];
        } else {
          serverAnswered = true;
        }
        currentIsv = m[1];
        section = 'isvStatus';
        sawContent = true;
      } else {
        unparsed(lineNo, t, false);
      }
      continue;
    }
    if (t.includes(' license pool status') || t.includes(' license usage status')) {
      const m = RE_SECTION.exec(t);
      if (m) {
        flushPending();
        endConnErr();
        currentIsv = m[1];
        sectionHost = m[3] || null;
        const port = m[4] !== undefined ? Number(m[4]) : NaN;
        sectionPort = port > 0 && Number.isSafeInteger(port) ? port : null;
        const v = vendor(m[1]);
        if (!v.host && sectionHost) v.host = sectionHost;
        if (!v.port && sectionPort) v.port = sectionPort;
        section = m[2].toLowerCase() === 'pool' ? 'pool' : 'usage';
        serverAnswered = true;
        sawContent = true;
        continue;
      }
    }

    // --- "rlm software version v12.2 (build:2)", "csci software version v12.2 (build: 2)"
    if (t.includes(' software version ')) {
      const m = RE_SOFTWARE_VERSION.exec(t);
      if (m) {
        if (m[1].toLowerCase() === 'rlm') {
          if (!snap.version) snap.version = m[2];
          if (currentRlmHost && !currentRlmHost.version) currentRlmHost.version = m[2];
        } else {
          vendor(m[1]).version = m[2];
        }
        sawContent = true;
        continue;
      }
    }

    // --- informational lines of the status blocks
    if (
      t.includes(' comm version') ||
      t.includes(' log filename') ||
      t.startsWith('Startup time') ||
      t.startsWith('Todays Statistics') ||
      t.startsWith('Recent Statistics') ||
      t.startsWith('Recent Stats') ||
      t.startsWith('Messages:') ||
      t.startsWith('Connections:') ||
      t.startsWith('Checkouts:') ||
      t.startsWith('Removals:') ||
      t.startsWith('obsolete:') ||
      (c0 >= 48 && c0 <= 57 && t.length < 80 && RE_STATS_TIMES.test(t))
    ) {
      continue;
    }
    if (t.startsWith('Denials:')) {
      let last: string | null = null;
      RE_NUM_PER_SEC.lastIndex = 0;
      for (let m = RE_NUM_PER_SEC.exec(t); m; m = RE_NUM_PER_SEC.exec(t)) last = m[1];
      const n = safeInt(last);
      if (section === 'isvStatus' && currentIsv && n !== null) vendor(currentIsv).denials = n;
      else if (n === null) unparsed(lineNo, t, false);
      continue;
    }

    // --- ISV servers table
    if (section === 'isvTable') {
      if (t.startsWith('Name') && t.includes('Port')) continue;
      const m = RE_ISV_ROW.exec(t);
      if (m) {
        const v = vendor(m[1]);
        const port = Number(m[2]);
        if (port > 0 && Number.isSafeInteger(port)) v.port = port;
        const running = m[3].toLowerCase();
        if (running === 'yes') v.status = 'UP';
        else {
          v.status = 'DOWN';
          v.message = `ISV server not running (Running: ${m[3]}, restarts: ${m[4]})`;
        }
        continue;
      }
      unparsed(lineNo, t, false);
      continue;
    }

    // --- pool details under a product line
    if (isPoolDetail(t)) {
      poolDetail(t, lineNo);
      continue;
    }

    // --- checkout lines
    if (checkoutLine(t, lineNo)) continue;

    // --- product line of a pool section
    if ((section === 'pool' || section === 'none') && productLine(t, lineNo)) continue;

    // --- free text after a connection error ("No error", "Communications error with license server (-17)")
    if (section === 'connErr' && currentConnErr) {
      (currentConnErr as ConnError).parts.push(t);
      continue;
    }

    const affects = section === 'pool' || section === 'usage' || /\binuse\b|\bcount\b|@/.test(t);
    unparsed(lineNo, t, affects);
  }
  flushPending();

  // ---- assemble features
  const outFeatures: Feature[] = [];
  for (const acc of features.values()) {
    const f = acc.feature;
    if (acc.kinds.length > 0) {
      let issued = 0;
      let used = 0;
      let anyCounted = false;
      let anyUsed = false;
      let anyUncounted = false;
      let allToken = true;
      for (let k = 0; k < acc.kinds.length; k++) {
        const kind = acc.kinds[k];
        const p = f.pools[k];
        if (kind !== 'token') allToken = false;
        if (kind === 'uncounted') anyUncounted = true;
        if (kind === 'counted' && typeof p.issued === 'number') {
          issued += p.issued;
          anyCounted = true;
        }
        if (typeof p.used === 'number') {
          used += p.used;
          anyUsed = true;
        }
      }
      f.uncounted = anyUncounted;
      f.issued = anyUncounted ? null : anyCounted ? issued : null;
      f.used = anyUsed ? used : null;
      if (allToken) {
        f.error = {
          code: 'TOKEN_BASED',
          message: 'token-based license: its use is counted on the products its tokens map to',
        };
      }
    }
    outFeatures.push(f);
  }

  // ---- hosts, vendors, status
  if (hosts.length > 0) {
    const firstUp = hosts.find((h) => h.status === 'UP');
    if (firstUp) firstUp.master = true;
  }
  // Server-level errors (rlm unreachable, rlmstat's own complaints) and ISV-level ones (kept on the daemon).
  const errorMessages: string[] = [];
  const isvErrors: string[] = [];
  for (const ce of connErrors) {
    const msg = ce.parts.join('; ');
    if (ce.target.toLowerCase() === 'rlm') {
      errorMessages.push(msg);
      if (ce.host)
        hosts.push({ host: ce.host, port: ce.port, status: 'DOWN', master: false, version: null, message: msg });
    } else {
      const v = vendor(ce.target);
      v.status = 'DOWN';
      v.message = msg;
      isvErrors.push(msg);
    }
  }
  errorMessages.push(...toolErrors);

  snap.hosts = hosts;
  snap.vendorDaemons = [...vendors.values()];
  snap.features = outFeatures;

  if (serverAnswered || outFeatures.length > 0) {
    snap.status = 'UP';
    snap.error = null;
    if (errorMessages.length > 0) {
      warn({ code: 'SERVER_ERROR', message: errorMessages.join(' | ').slice(0, 500), affectsCounts: false });
    }
  } else if (errorMessages.length > 0 || isvErrors.length > 0) {
    snap.status = 'DOWN';
    snap.error = [...errorMessages, ...isvErrors].join(' | ');
  } else if (hosts.length > 0 && hosts.every((h) => h.status === 'DOWN')) {
    snap.status = 'DOWN';
    snap.error = hosts.map((h) => `${h.host}: ${h.message ?? 'down'}`).join(' | ');
  } else {
    snap.status = 'UNKNOWN';
    snap.error = text.trim()
      ? sawContent
        ? 'no license server status in the rlmstat output'
        : 'output not recognised as rlmstat'
      : 'empty rlmstat output';
  }

  if (typeof o.serverId !== 'string' || !o.serverId) {
    // "35015@licserv0011.com:35015@licserv0012.com" -> the first port@host; a file path is kept whole.
    const pm = licensePath ? /^\s*(\d*@[^:;\s]+)/.exec(licensePath) : null;
    const firstPath = pm ? pm[1] : (licensePath ?? '');
    const h = hosts[0];
    snap.serverId = firstPath || (h ? `${h.port ?? ''}@${h.host}` : 'rlm');
  }

  if (suppressed > 0) {
    warnings.push({
      code: 'WARNINGS_TRUNCATED',
      message: `${suppressed} more warning(s) not listed${suppressedAffecting ? `, ${suppressedAffecting} of them could change a count` : ''}`,
      affectsCounts: suppressedAffecting > 0,
    });
  }
  snap.warnings = warnings;
}
