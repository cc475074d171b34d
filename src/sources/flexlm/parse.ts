/**
 * Parser for `lmutil lmstat -a` output (FlexNet Publisher / FLEXlm). Pure, no I/O, never throws.
 *
 * Shape of the text (every part optional, repeated per license server, servers separated by "-----" lines):
 *
 *   lmutil - Copyright (c) 1989-2016 Flexera Software LLC. All Rights Reserved.
 *   Flexible License Manager status on Thu 11/23/2017 15:08
 *   [Detecting lmgrd processes...]
 *   License server status: 28000@host1,28000@host2,28000@host3
 *       License file(s) on host1: /usr/local/flexlm/licenses/license.dat.app1:
 *   host1: license server UP v11.13.0
 *   host2: license server UP (MASTER) v11.13.0
 *   host3: Cannot connect to license server system. (-15,570:115 "Operation now in progress")
 *   Vendor daemon status (on host2):
 *       daemon: UP v11.13.1
 *   Feature usage info:
 *   Users of feature2:  (Total of 144 licenses issued;  Total of 39 licenses in use)
 *     "feature2" v31.0, vendor: feature2, expiry: 1-jan-0          <- a pool (several per feature possible)
 *     floating license                                              <- pool details
 *       user1 host1 /dev/tty (v31.0) (host1/28000 5226), start Fri 10/20 16:40, 2 licenses   <- a checkout
 *   	1 RESERVATION for GROUP DED (SERVER1/1713)                      <- a reservation
 *       user3 host display 2017.06 (v2017.06) (host/27002 15480) queued for 1 license   <- a queued request
 *
 * Performance: outputs can be tens of megabytes. The text is walked once, line by line, WITHOUT splitting it
 * into line strings: a line is a [start, end) range of the input and the hot lines (inside a feature block:
 * checkouts, reservations, pool lines, feature headers) are read with bounded charCodeAt/startsWith scans,
 * allocating only the strings that end up in the Snapshot. Rarer lines (server, daemon and banner lines) are
 * sliced out first, so no search can ever run past its own line. Regular expressions only run on short,
 * isolated pieces and have no nested quantifiers (no backtracking traps); the checkout suffixes (", 4 licenses",
 * ", PID: n", "(linger: a / b)") are read by hand-written equivalents of their expressions (countAt, pidAt,
 * lingerAt). Start times are inferred once per distinct text, and a start time seen before costs neither a
 * string nor a computation (StartTimeInferrer.inferAt). Values that repeat line after line (version, server
 * host, reservation fields) are compared with the previous line and interned (StringInterner.field); user, host
 * and display are sliced (cheaper than any lookup when they change on most lines). npm run bench -- parse
 * measures all this against a plain split of the same text (see BENCHMARKS.md, "Parsing").
 */
import {
  emptyFeature,
  emptySnapshot,
  type Checkout,
  type Feature,
  type ParseOptions,
  type ParseWarning,
  type Pool,
  type QueuedRequest,
  type Reservation,
  type ReservationKind,
  type ServerHost,
  type Snapshot,
  type VendorDaemon,
} from '../../domain/snapshot';
import { lmstatCaptureTime, resolveAnchor, weekdayMismatchIssue } from '../../domain/capture-time';
import { parseFlexlmDate } from './parse-i';
import { StringInterner } from './intern';
import { StartTimeInferrer } from './start-time';

export { StartTimeInferrer } from './start-time';

/** Warnings stored in full; the rest are only counted (one summary warning says how many). */
export const MAX_STORED_WARNINGS = 50;
const MAX_WARNING_TEXT = 200;

const RESERVATION_KINDS: ReadonlySet<string> = new Set([
  'HOST',
  'USER',
  'GROUP',
  'PROJECT',
  'DISPLAY',
  'INTERNET',
  'HOST_GROUP',
]);

/** "(Total of 1814 licenses issued;  Total of 1206 licenses in use)", singular, plural or ungrammatical. Sticky. */
const TOTALS_RE =
  /\(\s*Total\s+of\s+(\d+)\s+licen[sc]es?\s+issued\s*;\s*Total\s+of\s+(\d+)\s+licen[sc]es?\s+in\s+use\s*\)/iy;
/** Lines that may hide a count or a checkout: unplaced ones inside a feature block make the feature suspect. */
const COUNTISH_RE = /start\s|licen[sc]e|reserv|queued|linger|\(v[^)\s]*\)|\/\S*\s+\d+\)/i;

// ---------------------------------------------------------------------------------------------------------
// small character helpers (all bounded by explicit [a, b) ranges)

function isWs(code: number): boolean {
  return code <= 32 || code === 0xa0 || code === 0xfeff;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/** Digits in [a, b) as a safe non-negative integer, or null (empty, non-digit, too large). */
function digitsAt(t: string, a: number, b: number): number | null {
  if (a >= b || b - a > 16) return null;
  let n = 0;
  for (let k = a; k < b; k++) {
    const c = t.charCodeAt(k);
    if (c < 48 || c > 57) return null;
    n = n * 10 + (c - 48);
  }
  return Number.isSafeInteger(n) ? n : null;
}

/** Index past the whitespace at k (at least one character), or -1 when there is none. */
function skipWs1(t: string, k: number, e: number): number {
  const k0 = k;
  while (k < e && isWs(t.charCodeAt(k))) k++;
  return k > k0 ? k : -1;
}

function toSafeInt(digits: string): number | null {
  return digitsAt(digits, 0, digits.length);
}

/** Same text in [a1, b1) and [a2, b2); `ci` compares ASCII letters case-insensitively. */
function sameRange(t: string, a1: number, b1: number, a2: number, b2: number, ci: boolean): boolean {
  if (b1 - a1 !== b2 - a2) return false;
  for (let k = 0; k < b1 - a1; k++) {
    let x = t.charCodeAt(a1 + k);
    let y = t.charCodeAt(a2 + k);
    if (x === y) continue;
    if (!ci) return false;
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}

/** "2029.01": digits, one dot, digits. */
function isDottedNumber(t: string, a: number, b: number): boolean {
  let dot = -1;
  for (let k = a; k < b; k++) {
    const c = t.charCodeAt(k);
    if (c === 46) {
      if (dot >= 0) return false;
      dot = k;
    } else if (c < 48 || c > 57) return false;
  }
  return dot > a && dot < b - 1;
}

/** "MSCONE:NASTRAN": [A-Za-z_][\w.-]*:[A-Za-z_][\w.-]* (an X display "host:0.0" has a digit after the colon). */
function isVendorSub(t: string, a: number, b: number): boolean {
  const first = t.charCodeAt(a);
  if (!(isWordChar(first) && !isDigit(first))) return false;
  let colon = -1;
  for (let k = a + 1; k < b; k++) {
    const c = t.charCodeAt(k);
    if (c === 58) {
      if (colon >= 0) return false;
      colon = k;
      const n = t.charCodeAt(k + 1);
      if (k + 1 >= b || !(isWordChar(n) && !isDigit(n))) return false;
    } else if (!isWordChar(c) && c !== 46 && c !== 45) return false;
  }
  return colon > 0;
}

/**
 * A display field is "garbled" when it holds characters that never occur in user, host or tty names
 * (quotes, $, |, <, &, backquote, ...). Encrypted displays look like that (lmstat_app1 feature100):
 *   Administrator ServerS1 |)8<fZ)=Y[<7L$lY-p\<6nn^Y (v61.4) ...
 * Non-ASCII characters count as letters.
 */
function isGarbled(t: string, a: number, b: number): boolean {
  for (let k = a; k < b; k++) {
    const c = t.charCodeAt(k);
    if (c < 32 || c === 127) return true;
    if (c > 127) continue;
    switch (c) {
      // ! " $ % & ' ( ) * ; < = > ? [ ] ^ ` { | }
      case 33:
      case 34:
      case 36:
      case 37:
      case 38:
      case 39:
      case 40:
      case 41:
      case 42:
      case 59:
      case 60:
      case 61:
      case 62:
      case 63:
      case 91:
      case 93:
      case 94:
      case 96:
      case 123:
      case 124:
      case 125:
        return true;
    }
  }
  return false;
}

// Suffixes after the start time: ", 16 licenses", ", PID: 2593569", "(linger: 885098 / 1340160)". Each reader
// below finds, in t[k, e), exactly what its regular expression would find in t.slice(k, e) (first match, same
// digits), without the slice or a match array:
//   countAt   /,\s*(\d+)\s+licen[sc]es?\b/i
//   pidAt     /\bPID:\s*(\d+)/
//   lingerAt  /\(\s*linger:\s*(\d+)(?:\s*\/\s*(\d+))?\s*\)/i
// (\s is JavaScript's: the Unicode spaces below; /i without /u folds ASCII letters only; \b and \d are ASCII.)
// On a match they return true and leave the digits of the first group in [digitsStart, digitsEnd).

let digitsStart = 0;
let digitsEnd = 0;

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

function skipReSpace(t: string, k: number, e: number): number {
  while (k < e && isReSpace(t.charCodeAt(k))) k++;
  return k;
}

function skipDigits(t: string, k: number, e: number): number {
  while (k < e && isDigit(t.charCodeAt(k))) k++;
  return k;
}

/** t[k, k + lower.length) equals `lower` with ASCII letters in any case (`lower` is lower case, k + length <= e). */
function ciAt(t: string, k: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    const x = lower.charCodeAt(i);
    const c = t.charCodeAt(k + i);
    if (c !== x && !(x >= 97 && x <= 122 && c === x - 32)) return false;
  }
  return true;
}

function countAt(t: string, k: number, e: number): boolean {
  for (let p = k; p < e; p++) {
    if (t.charCodeAt(p) !== 44 /* , */) continue;
    const d0 = skipReSpace(t, p + 1, e);
    const d1 = skipDigits(t, d0, e);
    if (d1 === d0) continue;
    const w = skipReSpace(t, d1, e);
    if (w === d1 || w + 7 > e || !ciAt(t, w, 'licen')) continue;
    const sc = t.charCodeAt(w + 5) | 32;
    if ((sc !== 115 && sc !== 99) || (t.charCodeAt(w + 6) | 32) !== 101) continue; // [sc] e
    const r = w + 7;
    // "s?" then \b: with the s when a boundary follows it, else without it (then the next char must not be a word char)
    const withS = r < e && (t.charCodeAt(r) | 32) === 115 && (r + 1 >= e || !isWordChar(t.charCodeAt(r + 1)));
    if (!withS && r < e && isWordChar(t.charCodeAt(r))) continue;
    digitsStart = d0;
    digitsEnd = d1;
    return true;
  }
  return false;
}

function pidAt(t: string, k: number, e: number): boolean {
  for (let p = k; p + 4 <= e; p++) {
    if (t.charCodeAt(p) !== 80 /* P */ || (p > k && isWordChar(t.charCodeAt(p - 1)))) continue;
    if (t.charCodeAt(p + 1) !== 73 || t.charCodeAt(p + 2) !== 68 || t.charCodeAt(p + 3) !== 58) continue; // "ID:"
    const d0 = skipReSpace(t, p + 4, e);
    const d1 = skipDigits(t, d0, e);
    if (d1 === d0) continue;
    digitsStart = d0;
    digitsEnd = d1;
    return true;
  }
  return false;
}

function lingerAt(t: string, k: number, e: number): boolean {
  for (let p = k; p < e; p++) {
    if (t.charCodeAt(p) !== 40 /* ( */) continue;
    const q = skipReSpace(t, p + 1, e);
    if (q + 7 > e || !ciAt(t, q, 'linger:')) continue;
    const d0 = skipReSpace(t, q + 7, e);
    const d1 = skipDigits(t, d0, e);
    if (d1 === d0) continue;
    const r = skipReSpace(t, d1, e);
    let closed = false;
    if (r < e && t.charCodeAt(r) === 47 /* / */) {
      // the optional "/ b" group, then ")"
      const u0 = skipReSpace(t, r + 1, e);
      const u1 = skipDigits(t, u0, e);
      if (u1 > u0) {
        const v = skipReSpace(t, u1, e);
        closed = v < e && t.charCodeAt(v) === 41;
      }
    }
    if (!closed) closed = r < e && t.charCodeAt(r) === 41; // without the group
    if (!closed) continue;
    digitsStart = d0;
    digitsEnd = d1;
    return true;
  }
  return false;
}

const H_TOTALS = 1;
const H_UNCOUNTED = 2;
const H_ERROR = 3;
const H_CANNOT_GET_USERS = 4;

/** What follows "Users of NAME:" at t[r, e): the exact spellings are checked first, without allocating. */
function headerKind(t: string, r: number, e: number): number {
  if (t.startsWith('(Total', r)) return H_TOTALS;
  if (t.startsWith('(Uncounted', r)) return H_UNCOUNTED;
  if (t.startsWith('(Error', r)) return H_ERROR;
  if (t.startsWith('Cannot get users of', r)) return H_CANNOT_GET_USERS;
  const head = t
    .slice(r, Math.min(e, r + 24))
    .toLowerCase()
    .replace(/^\(\s*/, '(');
  if (head.startsWith('(total')) return H_TOTALS;
  if (head.startsWith('(uncounted')) return H_UNCOUNTED;
  if (head.startsWith('(error')) return H_ERROR;
  if (head.startsWith('cannot get users')) return H_CANNOT_GET_USERS;
  return 0;
}

function stripQuotes(s: string): string {
  return s.length >= 2 && s.charCodeAt(0) === 34 && s.charCodeAt(s.length - 1) === 34 ? s.slice(1, -1) : s;
}

function capText(t: string, s: number, e: number): string {
  return t.slice(s, Math.min(e, s + MAX_WARNING_TEXT));
}

// ---------------------------------------------------------------------------------------------------------
// the parser

// field slots for StringInterner.field()
const S_VERSION = 0;
const S_SERVER_HOST = 1;
const S_RES_KIND = 2;
const S_RES_TARGET = 3;
const S_RES_SERVER = 4;

type Mode = 'header' | 'servers' | 'vendors' | 'features';

interface ServerGroup {
  hostsByName: Map<string, ServerHost>;
  hosts: ServerHost[];
  /** "Vendor daemon status (on host2):" */
  vendorHost: string | null;
  featureNames: Set<string>;
}

function newGroup(): ServerGroup {
  return { hostsByName: new Map(), hosts: [], vendorHost: null, featureNames: new Set() };
}

class LmstatParser {
  readonly snap: Snapshot;
  private readonly times: StartTimeInferrer;
  private warningCount = 0;

  private mode: Mode = 'header';
  private group: ServerGroup = newGroup();
  private feature: Feature | null = null;
  private pool: Pool | null = null;
  /** Daemon names seen since the last feature section began; decides which daemon a section belongs to. */
  private daemonsSinceFeatures: string[] = [];
  private sectionVendor: string | null = null;
  private readonly daemonsByKey = new Map<string, VendorDaemon>();
  private readonly serverErrors: string[] = [];
  private sawStatus = false;
  private sawVersionBanner = false;
  private sawLmstatINote = false;

  // scratch space for checkout lines: token offsets and the user/host/display split, reused across lines
  private readonly ts: number[] = new Array<number>(64).fill(0);
  private readonly te: number[] = new Array<number>(64).fill(0);
  private wUser = '';
  private wHost = '';
  private wDisplay: string | null = null;
  private wDetail: string | null = null;
  /** issued / in use read by readTotals() */
  private hIssued: number | null = null;
  private hUsed: number | null = null;
  /** Version, server host and reservation field strings: one string per distinct text (see field slots). */
  private readonly strings = new StringInterner();

  constructor(opts: ParseOptions | undefined, text: string) {
    const now = opts?.now instanceof Date && Number.isFinite(opts.now.getTime()) ? opts.now : new Date();
    const tz = typeof opts?.timeZone === 'string' ? opts.timeZone : undefined;
    // start times are read against the capture's own "status on" instant when it has one (domain/capture-time)
    const a = resolveAnchor(lmstatCaptureTime(text, tz), now);
    this.times = new StartTimeInferrer(a.anchor, tz);
    this.snap = emptySnapshot(typeof opts?.serverId === 'string' ? opts.serverId : 'flexlm', 'flexlm', now);
    this.snap.capturedAt = a.capturedAt;
    if (a.warning) this.warn(a.warning);
  }

  // ----------------------------------------------------------------------------------------- warnings

  warn(w: ParseWarning): void {
    this.warningCount++;
    if (this.snap.warnings.length < MAX_STORED_WARNINGS) this.snap.warnings.push(w);
  }

  private unparsed(t: string, s: number, e: number, ln: number): void {
    const f = this.feature;
    const text = capText(t, s, e);
    const w: ParseWarning = {
      code: 'UNPARSED_LINE',
      message: f ? `line not understood inside the block of feature ${f.name}` : 'line not understood',
      line: ln,
      text,
      affectsCounts: f !== null && COUNTISH_RE.test(text),
    };
    if (f) w.feature = f.name;
    this.warn(w);
  }

  // ----------------------------------------------------------------------------------------- main loop

  parse(text: string): void {
    this.walk(text);
    this.finish();
  }

  /** The line loop (kept apart from finish() so the optimised loop never runs into cold code). */
  private walk(text: string): void {
    let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
    // LF and CRLF end at \n (a \r is trailing whitespace); text using bare CR line ends is split on \r.
    const sep = text.indexOf('\n') < 0 && text.indexOf('\r') >= 0 ? '\r' : '\n';
    const len = text.length;
    let ln = 0;
    while (start <= len) {
      let end = text.indexOf(sep, start);
      if (end < 0) end = len;
      ln++;
      this.line(text, start, end, ln);
      start = end + 1;
    }
  }

  /** One line: text[s0, e0). */
  private line(t: string, s0: number, e0: number, ln: number): void {
    let e = e0;
    while (e > s0 && isWs(t.charCodeAt(e - 1))) e--;
    let s = s0;
    while (s < e && isWs(t.charCodeAt(s))) s++;
    if (s >= e) return; // blank, or only spaces (lmstat_app7 has a line of two spaces)
    const c = t.charCodeAt(s);

    // Hot path: inside a feature block nearly every line is a checkout, a reservation or a pool line.
    if (this.feature !== null) {
      if (c === 34 /* " */) return this.poolLine(t, s, e, ln);
      if (c === 85 /* U */ && t.startsWith('Users of ', s)) return this.featureHeader(t, s, e, ln);
      if (isDigit(c) && this.reservationLine(t, s, e, ln)) return;
      if (this.usageLine(t, s, e, ln)) return;
      if (this.poolDetailLine(t, s, e)) return;
    } else if (c === 85 && t.startsWith('Users of ', s)) {
      return this.featureHeader(t, s, e, ln);
    }
    // Everything else is rare: work on the line as its own string.
    const line = t.slice(s, e);
    this.generalLine(line, line.length, ln, c);
  }

  private endFeature(): void {
    this.feature = null;
    this.pool = null;
  }

  /** A line that is not a feature-block line; `line` is trimmed, e = its length. */
  private generalLine(line: string, e: number, ln: number, c: number): void {
    switch (c) {
      case 34: // "
        this.warn({
          code: 'UNPARSED_LINE',
          message: 'pool line outside a feature block',
          line: ln,
          text: capText(line, 0, e),
          affectsCounts: false,
        });
        return;
      case 45: {
        // - : "----------" separates license servers
        let k = 0;
        while (k < e && line.charCodeAt(k) === 45) k++;
        if (k === e && e >= 3) {
          this.endFeature();
          this.mode = 'header';
          return;
        }
        break;
      }
      case 76: // L
        if (line.startsWith('License server status:')) return this.serverStatusLine(line);
        if (line.startsWith('License file(s) on') || line.startsWith('License file(s):')) {
          this.sawStatus = true;
          return;
        }
        break;
      case 70: // F
        if (line.startsWith('Flexible License Manager status')) {
          this.sawStatus = true;
          return;
        }
        if (line.startsWith('Feature usage info')) {
          this.startFeatureSection(null);
          return;
        }
        break;
      case 86: // V
        if (line.startsWith('Vendor daemon status')) {
          this.endFeature();
          this.sawStatus = true;
          this.mode = 'vendors';
          const on = /\(on\s+([^)\s]+)\s*\)/.exec(line);
          this.group.vendorHost = on ? on[1] : null;
          this.daemonsSinceFeatures = [];
          return;
        }
        break;
      case 78: // N
        if (line.startsWith('NOTE: lmstat -i')) {
          this.sawLmstatINote = true;
          return;
        }
        break;
      case 91: // [
        if (line.startsWith('[Detecting lmgrd')) return;
        break;
      case 108: // l
        if (line.startsWith('lmutil')) return; // "lmutil - Copyright ..." banner or an echoed command line
        if (line.startsWith('lmstat')) {
          // "lmstat v11.14.0.1 build 188735 x64_lsb" / "lmstat": the lmstat -v banner; else an echoed command
          if (e === 6 || line.startsWith('lmstat v')) this.sawVersionBanner = true;
          return;
        }
        break;
    }

    // Host status: "host2: license server UP (MASTER) v11.7", "license server UP v11.16.2"
    const ls = line.indexOf('license server ');
    if (ls >= 0 && this.hostLine(line, e, ls)) return;

    // Whole-server or member failures
    if (
      line.indexOf('Cannot connect to license server') >= 0 ||
      line.indexOf('License server machine is down') >= 0 ||
      line.startsWith('Error getting status') ||
      line.startsWith('lmgrd is not running')
    ) {
      return this.errorLine(line);
    }

    // Vendor daemons: "VENDOR1: UP v11.6", "theorem: The desired vendor daemon is down. (-97,121)"
    if (this.daemonLine(line, e, this.mode !== 'vendors')) return;

    // Echoed command lines ("$ lmutil lmstat -a -c 27000@h", "C:\flexlm>lmutil lmstat -a") and banners
    if (line.indexOf('lmutil') >= 0 || line.indexOf('lmstat') >= 0 || line.indexOf('Copyright') >= 0) return;

    this.unparsed(line, 0, e, ln);
  }

  // ----------------------------------------------------------------------------------------- servers

  private hostFor(name: string, port: number | null): ServerHost {
    const key = name.toLowerCase();
    let h = this.group.hostsByName.get(key);
    if (!h) {
      h = { host: name, port, status: 'UNKNOWN', master: false, version: null, message: null };
      this.group.hostsByName.set(key, h);
      this.group.hosts.push(h);
      this.snap.hosts.push(h);
    } else if (h.port == null && port != null) {
      h.port = port;
    }
    return h;
  }

  /** "License server status: 27002@host-1.domain.net,27002@host2.domain.net,27002@host3.domain.net" */
  private serverStatusLine(line: string): void {
    this.endFeature();
    this.sawStatus = true;
    this.mode = 'servers';
    this.group = newGroup();
    this.daemonsSinceFeatures = [];
    this.sectionVendor = null;
    const list = line.slice('License server status:'.length).trim();
    for (const part of list.split(',')) {
      const p = part.trim();
      if (!p) continue;
      const at = p.indexOf('@');
      const portText = at >= 0 ? p.slice(0, at) : '';
      const host = at >= 0 ? p.slice(at + 1) : p;
      if (!host) continue;
      // "port@licensevm.domain.example" (lmstat_app4): the port is not a number
      this.hostFor(host, /^\d{1,5}$/.test(portText) ? Number(portText) : null);
    }
  }

  private hostLine(line: string, e: number, ls: number): boolean {
    const rest = line.slice(ls + 'license server '.length, e).trim();
    const sp = rest.indexOf(' ');
    const word = (sp < 0 ? rest : rest.slice(0, sp)).toUpperCase();
    if (word !== 'UP' && word !== 'DOWN') return false;
    let name = line.slice(0, ls).trim();
    if (name.endsWith(':')) name = name.slice(0, -1).trim();
    if (/\s/.test(name)) return false;
    this.endFeature();
    this.sawStatus = true;
    if (this.mode === 'header') this.mode = 'servers';
    let host: ServerHost;
    if (name) {
      host = this.hostFor(name, null);
    } else {
      // "license server UP v11.x" without a host: the member still unaccounted for, else the first one
      host =
        this.group.hosts.find((h) => h.status === 'UNKNOWN') ?? this.group.hosts[0] ?? this.hostFor('unknown', null);
    }
    const status = word === 'UP' ? 'UP' : 'DOWN';
    // The same host printed twice (lmstat_server_up_win: "BVS15004 ... (MASTER)" then "bvs15004 ..."): merged,
    // keeping the first spelling; UP and MASTER win.
    if (host.status !== 'UP') host.status = status;
    if (rest.indexOf('(MASTER)') >= 0) host.master = true;
    const v = /(?:^|\s)(v\d[\w.-]*)/.exec(rest);
    if (v && !host.version) host.version = v[1];
    if (status === 'DOWN' && !host.message) host.message = rest;
    return true;
  }

  private errorLine(text: string): void {
    this.sawStatus = true;
    this.endFeature();
    const colon = text.indexOf(': ');
    if (colon > 0) {
      const prefix = text.slice(0, colon);
      if (!/\s/.test(prefix)) {
        const message = text.slice(colon + 2).trim();
        const known = this.group.hostsByName.has(prefix.toLowerCase());
        if (this.mode === 'vendors' && !known) {
          this.addDaemon(prefix, 'DOWN', null, message);
          return;
        }
        // "host3: Cannot connect to license server system. (-15,570:115 ...)": one member of a triad is down
        const h = this.hostFor(prefix, null);
        if (h.status !== 'UP') {
          h.status = 'DOWN';
          h.message = message;
        }
        return;
      }
    }
    // "Error getting status: ...", "lmgrd is not running: ...", a bare "Cannot connect ...": the whole server
    this.serverErrors.push(text);
    for (const h of this.group.hosts) {
      if (h.status === 'UNKNOWN') {
        h.status = 'DOWN';
        h.message = text;
      }
    }
  }

  // ----------------------------------------------------------------------------------------- daemons

  private addDaemon(name: string, status: 'UP' | 'DOWN', version: string | null, message: string | null): void {
    const host = this.group.vendorHost;
    const key = `${name.toLowerCase()}@${(host ?? '').toLowerCase()}`;
    let d = this.daemonsByKey.get(key);
    if (!d) {
      const hostEntry = host ? this.group.hostsByName.get(host.toLowerCase()) : undefined;
      d = { name, status, version, host, port: hostEntry?.port ?? null, message };
      this.daemonsByKey.set(key, d);
      this.snap.vendorDaemons.push(d);
    } else {
      d.status = status;
      d.version = version ?? d.version;
      d.message = message ?? d.message;
    }
    this.daemonsSinceFeatures.push(name);
  }

  /**
   * In the vendor section any "NAME: text" is a daemon (UP when the text starts with UP, else DOWN with the
   * text as message). Elsewhere (several daemons, each followed by its own "Feature usage info:") only the
   * unmistakable forms are taken: "NAME: UP vX" and "... vendor daemon ...".
   */
  private daemonLine(line: string, e: number, strict: boolean): boolean {
    const colon = line.indexOf(':');
    if (colon <= 0) return false;
    for (let k = 0; k < colon; k++) if (isWs(line.charCodeAt(k))) return false;
    const name = line.slice(0, colon);
    const rest = line.slice(colon + 1, e).trim();
    if (!rest) return false;
    const up = rest === 'UP' || rest.startsWith('UP ');
    if (strict && !up && !/vendor daemon/i.test(rest)) return false;
    this.endFeature();
    this.sawStatus = true;
    if (up) {
      const v = /^UP\s+(v?\d\S*)/.exec(rest);
      this.addDaemon(name, 'UP', v ? v[1] : null, null);
    } else {
      this.addDaemon(name, 'DOWN', null, rest);
    }
    return true;
  }

  // ----------------------------------------------------------------------------------------- features

  /**
   * A feature section starts at "Feature usage info:" (or "Users of features served by X:"). Its vendor is
   * the daemon listed just before it when exactly one was; several daemons listed together (lmstat_app3)
   * leave it open, and then the first pool line's "vendor:" decides.
   */
  private startFeatureSection(vendor: string | null): void {
    this.endFeature();
    this.sawStatus = true;
    this.mode = 'features';
    if (vendor) this.sectionVendor = vendor;
    else if (this.daemonsSinceFeatures.length === 1) this.sectionVendor = this.daemonsSinceFeatures[0];
    else if (this.daemonsSinceFeatures.length > 1) this.sectionVendor = null;
    this.daemonsSinceFeatures = [];
  }

  /** "Users of NAME:  (Total of N licenses issued;  Total of M licenses in use)" and its error forms. */
  private featureHeader(t: string, s: number, e: number, ln: number): void {
    if (t.startsWith('Users of features served by', s)) {
      const m = /^Users of features served by\s+(\S+?):?\s*$/.exec(t.slice(s, e));
      this.startFeatureSection(m ? m[1] : null);
      return;
    }
    if (this.mode !== 'features' || this.daemonsSinceFeatures.length > 0) this.startFeatureSection(null);
    this.sawStatus = true;
    const body = Math.min(s + 9, e); // 'Users of '.length (its space may be the trimmed end of the line)
    let colon = body;
    while (colon < e && t.charCodeAt(colon) !== 58) colon++;
    let nameEnd = colon;
    while (nameEnd > body && isWs(t.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = t.slice(body, nameEnd);
    const f = emptyFeature(name);
    f.vendor = this.sectionVendor;
    let r = Math.min(colon + 1, e);
    while (r < e && isWs(t.charCodeAt(r))) r++;
    const kind = r < e ? headerKind(t, r, e) : 0;
    if (kind === H_TOTALS) {
      let ok = this.readTotals(t, r, e);
      if (!ok) {
        // case or spacing variants the fast reader does not take
        TOTALS_RE.lastIndex = r;
        const m = TOTALS_RE.exec(t);
        ok = m !== null && TOTALS_RE.lastIndex <= e;
        if (m && ok) {
          this.hIssued = toSafeInt(m[1]);
          this.hUsed = toSafeInt(m[2]);
        }
      }
      if (ok) {
        f.issued = this.hIssued;
        f.used = this.hUsed;
        if (f.issued === null || f.used === null) {
          this.warn({
            code: 'BAD_COUNT',
            message: `feature ${name}: count out of range`,
            line: ln,
            text: capText(t, s, e),
            affectsCounts: true,
            feature: name,
          });
        }
      } else {
        f.error = { code: 'UNPARSED', message: t.slice(r, e) };
        this.unparsedHeader(t, s, e, ln, name);
      }
    } else if (kind === H_UNCOUNTED) {
      // "(Uncounted, node-locked)": issued/used are not reported
      f.uncounted = true;
    } else if (kind === H_ERROR) {
      // "(Error: 21 licenses, unsupported by licensed server)": keep the stated number as issued, used unknown
      const inner = t.slice(r + 1, t.charCodeAt(e - 1) === 41 ? e - 1 : e).trim();
      const n = /^Error:?\s*(\d+)/i.exec(inner);
      f.issued = n ? toSafeInt(n[1]) : null;
      f.error = { code: /unsupported/i.test(inner) ? 'UNSUPPORTED' : 'ERROR', message: inner };
    } else if (kind === H_CANNOT_GET_USERS) {
      // "Cannot get users of X: No such feature exists. (-5,222)"
      f.error = { code: 'CANNOT_GET_USERS', message: t.slice(r, e) };
    } else {
      f.error = { code: 'UNPARSED', message: r < e ? t.slice(r, e) : 'no counts given' };
      this.unparsedHeader(t, s, e, ln, name);
    }
    if (this.group.featureNames.has(name)) {
      // lmstat_app1 prints feature42's block twice: both are kept, in order, as separate entries.
      this.warn({
        code: 'DUPLICATE_FEATURE',
        message: `feature ${name} is listed more than once by the same server; each block is kept as its own entry`,
        line: ln,
        feature: name,
        affectsCounts: false,
      });
    } else {
      this.group.featureNames.add(name);
    }
    this.snap.features.push(f);
    this.feature = f;
    this.pool = null;
  }

  /**
   * Reads "(Total of N licenses issued;  Total of M licenses in use)" at t[r, e) without allocating (any
   * word starting "licen" is taken: singular, plural, ungrammatical). Sets hIssued/hUsed; false when the
   * text does not have that exact shape.
   */
  private readTotals(t: string, r: number, e: number): boolean {
    let k = r + 1; // past '('
    while (k < e && isWs(t.charCodeAt(k))) k++;
    for (let part = 0; part < 2; part++) {
      if (!t.startsWith('Total', k)) return false;
      k = skipWs1(t, k + 5, e);
      if (k < 0 || !t.startsWith('of', k)) return false;
      k = skipWs1(t, k + 2, e);
      if (k < 0) return false;
      const d0 = k;
      while (k < e && isDigit(t.charCodeAt(k))) k++;
      const n = digitsAt(t, d0, k);
      if (k === d0) return false;
      k = skipWs1(t, k, e);
      if (k < 0 || !t.startsWith('licen', k)) return false;
      while (k < e && !isWs(t.charCodeAt(k))) k++;
      k = skipWs1(t, k, e);
      if (k < 0) return false;
      if (part === 0) {
        if (!t.startsWith('issued', k)) return false;
        k += 6;
        while (k < e && isWs(t.charCodeAt(k))) k++;
        if (t.charCodeAt(k) !== 59 /* ; */) return false;
        k++;
        while (k < e && isWs(t.charCodeAt(k))) k++;
        this.hIssued = n;
      } else {
        if (!t.startsWith('in', k)) return false;
        k = skipWs1(t, k + 2, e);
        if (k < 0 || !t.startsWith('use', k)) return false;
        k += 3;
        while (k < e && isWs(t.charCodeAt(k))) k++;
        if (k >= e || t.charCodeAt(k) !== 41 /* ) */) return false;
        this.hUsed = n;
      }
    }
    return true;
  }

  private unparsedHeader(t: string, s: number, e: number, ln: number, name: string): void {
    this.warn({
      code: 'UNPARSED_LINE',
      message: `feature ${name}: usage header not understood`,
      line: ln,
      text: capText(t, s, e),
      affectsCounts: true,
      feature: name,
    });
  }

  /** `"MATLAB" v52, vendor: MLM, expiry: 30-dec-2025` (the name may differ from the header: lmstat_app1 feature0) */
  private poolLine(t: string, s: number, e: number, ln: number): void {
    const f = this.feature!;
    let close = s + 1;
    while (close < e && t.charCodeAt(close) !== 34) close++;
    if (close >= e) {
      this.unparsed(t, s, e, ln);
      return;
    }
    const pool: Pool = {
      name: t.slice(s + 1, close),
      version: null,
      vendor: null,
      type: 'unknown',
      expiry: null,
      expiryRaw: null,
      permanent: false,
    };
    const parts = t.slice(close + 1, e).split(',');
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i].trim();
      if (!part) continue;
      const colon = part.indexOf(':');
      if (colon < 0) {
        if (i === 0) pool.version = part;
        continue;
      }
      const key = part.slice(0, colon).trim().toLowerCase();
      const value = part.slice(colon + 1).trim();
      if (key === 'vendor') pool.vendor = value || null;
      else if (key === 'expiry' || key === 'expires') {
        pool.expiryRaw = value || null;
        const d = parseFlexlmDate(value);
        pool.expiry = d.iso;
        pool.permanent = d.permanent;
        if (value && !d.iso && !d.permanent) {
          this.warn({
            code: 'BAD_DATE',
            message: `feature ${f.name}: cannot read expiry "${value.slice(0, 60)}"`,
            line: ln,
            feature: f.name,
            affectsCounts: false,
          });
        }
      }
    }
    if (!f.vendor && pool.vendor) f.vendor = pool.vendor;
    f.pools.push(pool);
    this.pool = pool;
  }

  /** Lines under a pool line: license type, lock, vendor string. */
  private poolDetailLine(t: string, s: number, e: number): boolean {
    const c = t.charCodeAt(s);
    if (c !== 102 && c !== 110 && c !== 117 && c !== 118) return false; // f n u v
    let type: Pool['type'];
    if (t.startsWith('floating license', s)) type = 'floating';
    else if (t.startsWith('nodelocked license', s)) type = 'nodelocked';
    else if (t.startsWith('uncounted nodelocked license', s) || t.startsWith('uncounted license', s))
      type = 'uncounted';
    else if (t.startsWith('vendor_string:', s)) {
      (this.pool ?? this.implicitPool()).vendorString = t.slice(s + 'vendor_string:'.length, e).trim();
      return true;
    } else return false;
    const pool = this.pool ?? this.implicitPool();
    pool.type = type;
    const text = t.slice(s, e);
    const lt = text.indexOf('locked to ');
    if (lt >= 0) pool.lockedTo = stripQuotes(text.slice(lt + 'locked to '.length).trim());
    return true;
  }

  /** Pool details with no pool line above them: attach them to a pool named after the feature. */
  private implicitPool(): Pool {
    const pool: Pool = {
      name: this.feature!.name,
      version: null,
      vendor: null,
      type: 'unknown',
      expiry: null,
      expiryRaw: null,
      permanent: false,
    };
    this.feature!.pools.push(pool);
    this.pool = pool;
    return pool;
  }

  /** "\t10 RESERVATIONs for GROUP GROUP1 (host3.domain.net/27002)", "1 RESERVATION for GROUP DED (SERVER1/1713)" */
  private reservationLine(t: string, s: number, e: number, ln: number): boolean {
    let k = s;
    while (k < e && isDigit(t.charCodeAt(k))) k++;
    const countEnd = k;
    if (k >= e || !isWs(t.charCodeAt(k))) return false;
    while (k < e && isWs(t.charCodeAt(k))) k++;
    if (!t.startsWith('RESERVATION', k)) return false;
    k += 11;
    if (t.charCodeAt(k) === 115 /* s */) k++;
    if (k >= e || !isWs(t.charCodeAt(k))) return false;
    while (k < e && isWs(t.charCodeAt(k))) k++;
    if (!t.startsWith('for', k) || !isWs(t.charCodeAt(k + 3))) return false;
    k += 3;
    while (k < e && isWs(t.charCodeAt(k))) k++;
    const f = this.feature!;
    // the trailing "(server/port)"
    let bodyEnd = e;
    let serverInfo: string | null = null;
    if (t.charCodeAt(e - 1) === 41 /* ) */) {
      let open = e - 2;
      while (open >= k && t.charCodeAt(open) !== 40) open--;
      if (open > k) {
        let a = open + 1;
        let b = e - 1;
        while (a < b && isWs(t.charCodeAt(a))) a++;
        while (b > a && isWs(t.charCodeAt(b - 1))) b--;
        serverInfo = a < b ? this.strings.field(S_RES_SERVER, t, a, b) : null;
        bodyEnd = open;
        while (bodyEnd > k && isWs(t.charCodeAt(bodyEnd - 1))) bodyEnd--;
      }
    }
    // KIND TARGET
    let kindEnd = k;
    while (kindEnd < bodyEnd && !isWs(t.charCodeAt(kindEnd))) kindEnd++;
    const kindRaw = this.strings.field(S_RES_KIND, t, k, kindEnd);
    const kindText = RESERVATION_KINDS.has(kindRaw) ? kindRaw : kindRaw.toUpperCase();
    let targetStart = kindEnd;
    while (targetStart < bodyEnd && isWs(t.charCodeAt(targetStart))) targetStart++;
    const target = this.strings.field(S_RES_TARGET, t, targetStart, bodyEnd);
    const kind: ReservationKind = RESERVATION_KINDS.has(kindText) ? (kindText as ReservationKind) : 'OTHER';
    const count = digitsAt(t, s, countEnd);
    if (count === null) {
      this.warn({
        code: 'BAD_COUNT',
        message: `feature ${f.name}: reservation count out of range`,
        line: ln,
        text: capText(t, s, e),
        affectsCounts: true,
        feature: f.name,
      });
      return true;
    }
    const r: Reservation = { count, kind, target: kind === 'OTHER' && !target ? kindText : target, serverInfo };
    f.reservations.push(r);
    return true;
  }

  // ----------------------------------------------------------------------------------------- checkouts

  /**
   * A checkout or queued line, read from the RIGHT:
   *   <left> (vVERSION) (HOST/PORT HANDLE), start DOW M/D H:MM[, N licenses][, PID: n][ (linger: a[ / b])]
   *   <left> (vVERSION) (HOST/PORT HANDLE) queued for N license(s)
   * then <left> is split into user / host / display (see splitLeft).
   */
  private usageLine(t: string, s: number, e: number, ln: number): boolean {
    // the last "), start " or ") queued for " of the line
    let pivot = -1;
    let queued = false;
    for (let k = e - 9; k > s; k--) {
      if (t.charCodeAt(k) !== 41 /* ) */) continue;
      if (t.startsWith('), start ', k)) {
        pivot = k;
        break;
      }
      if (t.startsWith(') queued for ', k)) {
        pivot = k;
        queued = true;
        break;
      }
    }
    if (pivot < 0) return false;
    // "(host3.domain.net/27002 7086)": host, port, handle ("licensevm.domain.example/port 1090" has no port number).
    // One pass from the right to the "(" finds, in the group t(open, pivot): b = one past its last non-space,
    // sp = the last space before b, hpEnd = one past the last non-space before sp, the last "/" before hpEnd
    // (slashHp) or, for a group without an inner space, before b (slashB), and a = its first non-space.
    let open = pivot - 1;
    let a = -1;
    let b = -1;
    let sp = -1;
    let hpEnd = -1;
    let slashB = -1;
    let slashHp = -1;
    for (; open >= s; open--) {
      const c = t.charCodeAt(open);
      if (c === 40 /* ( */) break;
      if (isWs(c)) {
        if (b >= 0 && sp < 0) sp = open;
        continue;
      }
      a = open;
      if (sp < 0) {
        if (b < 0) b = open + 1;
        if (c === 47 /* / */ && slashB < 0) slashB = open;
      } else {
        if (hpEnd < 0) hpEnd = open + 1;
        if (c === 47 && slashHp < 0) slashHp = open;
      }
    }
    if (open < s) return false;
    const f = this.feature!;
    if (a < 0) {
      // nothing but spaces
      a = pivot;
      b = pivot;
    }
    const serverInfo = a < b ? t.slice(a, b) : null;
    const inner = sp >= a; // a space inside the group: "host/port handle"
    const handle = inner && sp + 1 < b ? t.slice(sp + 1, b) : null;
    if (!inner) hpEnd = b;
    const slash = inner ? slashHp : slashB;
    let serverHost: string | null = null;
    let serverPort: number | null = null;
    if (slash >= a) {
      serverHost = slash > a ? this.strings.field(S_SERVER_HOST, t, a, slash) : null;
      const port = digitsAt(t, slash + 1, hpEnd);
      serverPort = port !== null && port <= 65535 ? port : null;
    } else if (hpEnd > a) {
      serverHost = this.strings.field(S_SERVER_HOST, t, a, hpEnd);
    }

    // "(v61.9)" just before the server group; a group with spaces inside is not a version
    let j = open - 1;
    while (j >= s && isWs(t.charCodeAt(j))) j--;
    let version: string | null = null;
    let vStart = -1;
    let leftEnd = j + 1;
    if (j > s && t.charCodeAt(j) === 41 /* ) */) {
      let vOpen = j - 1;
      while (vOpen >= s && t.charCodeAt(vOpen) !== 40 && !isWs(t.charCodeAt(vOpen))) vOpen--;
      if (vOpen >= s && t.charCodeAt(vOpen) === 40) {
        vStart = vOpen + 1;
        version = this.strings.field(S_VERSION, t, vStart, j);
        leftEnd = vOpen;
      }
    }
    this.splitLeft(t, s, leftEnd, vStart, vStart >= 0 ? j : -1);

    if (queued) {
      let k = pivot + 13; // ') queued for '.length
      while (k < e && isWs(t.charCodeAt(k))) k++;
      const d0 = k;
      while (k < e && isDigit(t.charCodeAt(k))) k++;
      const q: QueuedRequest = {
        username: this.wUser,
        hostname: this.wHost,
        display: this.wDisplay,
        count: this.checkCount(t, d0, k, s, e, ln),
        serverInfo,
        handle,
        startTime: null,
        startedAt: null,
      };
      f.queued.push(q);
      return true;
    }

    // after ", start ": the time runs to the first ',' or '(' ; what follows are suffixes
    let ts = pivot + 9; // '), start '.length
    while (ts < e && isWs(t.charCodeAt(ts))) ts++;
    let k = ts;
    while (k < e) {
      const ch = t.charCodeAt(k);
      if (ch === 44 /* , */ || ch === 40 /* ( */) break;
      k++;
    }
    let te = k;
    while (te > ts && isWs(t.charCodeAt(te - 1))) te--;
    const startedAt = this.times.inferAt(t, ts, te);
    const startTime = this.times.raw;
    const mismatch = this.times.weekdayMismatch;
    let count = 1;
    let pid: number | null = null;
    let linger: number | null = null;
    if (k < e) {
      if (countAt(t, k, e)) count = this.checkCount(t, digitsStart, digitsEnd, s, e, ln);
      if (pidAt(t, k, e)) pid = digitsAt(t, digitsStart, digitsEnd);
      if (lingerAt(t, k, e)) linger = digitsAt(t, digitsStart, digitsEnd);
    }
    if (startedAt === null) {
      this.warn({
        code: 'BAD_DATE',
        message: `feature ${f.name}: cannot read start time "${startTime.slice(0, 60)}"`,
        line: ln,
        feature: f.name,
        affectsCounts: false,
      });
    }
    const co: Checkout = {
      username: this.wUser,
      hostname: this.wHost,
      display: this.wDisplay,
      version,
      serverInfo,
      serverHost,
      serverPort,
      handle,
      count,
      startTime,
      startedAt,
      linger,
      borrowed: linger !== null,
      pid,
      detail: this.wDetail,
    };
    if (mismatch && startedAt !== null) co.issues = [weekdayMismatchIssue(startTime, startedAt)];
    f.checkouts.push(co);
    return true;
  }

  /**
   * The license count held by a checkout/queued line: digits src[a, b); 1 when absent; a zero or out-of-range
   * count is reported (BAD_COUNT) and read as 1, so a count is always a positive integer.
   * `line` is the text the warning quotes (lineText[s, e)); it defaults to src.
   */
  private checkCount(src: string, a: number, b: number, s: number, e: number, ln: number, line: string = src): number {
    if (a >= b) return 1;
    const n = digitsAt(src, a, b);
    if (n !== null && n >= 1) return n;
    const f = this.feature!;
    this.warn({
      code: 'BAD_COUNT',
      message: `feature ${f.name}: license count "${src.slice(a, Math.min(b, a + 30))}" is not a positive number; 1 assumed`,
      line: ln,
      text: capText(line, s, e),
      affectsCounts: true,
      feature: f.name,
    });
    return 1;
  }

  /**
   * Split what precedes "(vVERSION)" into user, host and display (results in wUser/wHost/wDisplay/wDetail).
   * lmstat prints "user host display", but user names may hold spaces ("John Doe", "Jane Doe Jr."), the
   * display may be missing ("user11 server19"), or garbled and containing spaces, and some daemons add
   * tokens after the display. The rule, on the whitespace-separated tokens t0..tn-1:
   *  1. A last token repeating the version ("2029.01 (v2029.01)", "2017.06 (v2017.06)"), or any bare
   *     "NNNN.NN" number, after 3+ tokens is dropped; trailing "feature=..." / VENDOR:SUB tokens go to detail.
   *  2. n = 1: user only; n = 2: user and host (no display).
   *  3. n >= 3: the display is the first token ti, i >= 2, that looks like one: equal to t(i-1) (host and
   *     display are often the same, Windows), starting with t(i-1)+":" (X display), starting with "/dev/" or
   *     ":", or garbled (quotes, $, |, ...). Then host = t(i-1) and user = t0..t(i-2) as printed. A garbled
   *     display runs to the end (it may hold spaces); a plain one is a single token and tokens after it go
   *     to detail (lmstat_app7 "host-01:0.0 lc80a28012593569_1").
   *  4. Otherwise the last two tokens are host and display, and everything before them is the user name.
   * Every user line of the fixtures splits right under this rule (see the tests).
   */
  private splitLeft(t: string, s: number, end: number, vStart: number, vEnd: number): void {
    const ts = this.ts;
    const te = this.te;
    let n = 0;
    let k = s;
    while (k < end) {
      while (k < end && isWs(t.charCodeAt(k))) k++;
      if (k >= end) break;
      ts[n] = k;
      while (k < end && !isWs(t.charCodeAt(k))) k++;
      te[n] = k;
      n++;
    }
    let detail: string | null = null;
    if (n >= 4) {
      const a = ts[n - 1];
      const b = te[n - 1];
      const vs = vStart >= 0 && t.charCodeAt(vStart) === 118 /* v */ ? vStart + 1 : vStart;
      if (isDottedNumber(t, a, b) || (vs >= 0 && sameRange(t, a, b, vs, vEnd, false))) n--;
    }
    while (n >= 4 && (t.startsWith('feature=', ts[n - 1]) || isVendorSub(t, ts[n - 1], te[n - 1]))) {
      const last = t.slice(ts[n - 1], te[n - 1]);
      detail = detail ? `${last} ${detail}` : last;
      n--;
    }
    this.wDetail = detail;
    this.wDisplay = null;
    if (n <= 2) {
      this.wUser = n > 0 ? t.slice(ts[0], te[0]) : '';
      this.wHost = n > 1 ? t.slice(ts[1], te[1]) : '';
      return;
    }
    if (n === 3) {
      // the common case; rules 3 and 4 agree here whatever the third token looks like
      this.wUser = t.slice(ts[0], te[0]);
      this.wHost = t.slice(ts[1], te[1]);
      this.wDisplay = t.slice(ts[2], te[2]);
      return;
    }
    let d = -1;
    let garbled = false;
    for (let i = 2; i < n; i++) {
      const a = ts[i];
      const b = te[i];
      if (isGarbled(t, a, b)) {
        d = i;
        garbled = true;
        break;
      }
      const pa = ts[i - 1];
      const pb = te[i - 1];
      const c0 = t.charCodeAt(a);
      if (
        sameRange(t, a, b, pa, pb, true) ||
        (b - a > pb - pa &&
          t.charCodeAt(a + (pb - pa)) === 58 /* : */ &&
          sameRange(t, a, a + (pb - pa), pa, pb, false)) ||
        c0 === 58 ||
        t.startsWith('/dev/', a)
      ) {
        d = i;
        break;
      }
    }
    let displayEnd: number;
    if (d < 0) {
      d = n - 1;
      displayEnd = te[n - 1];
    } else if (garbled) {
      displayEnd = te[n - 1];
    } else {
      displayEnd = te[d];
      if (d < n - 1) {
        const extra = t.slice(ts[d + 1], te[n - 1]);
        this.wDetail = detail ? `${extra} ${detail}` : extra;
      }
    }
    this.wUser = t.slice(ts[0], te[d - 2]);
    this.wHost = t.slice(ts[d - 1], te[d - 1]);
    this.wDisplay = t.slice(ts[d], displayEnd);
  }

  // ----------------------------------------------------------------------------------------- end

  private finish(): void {
    const snap = this.snap;
    const hosts = snap.hosts;
    const masters = hosts.filter((h) => h.master);
    if (masters.length > 1) {
      this.warn({
        code: 'MULTIPLE_MASTERS',
        message: `${masters.length} hosts report themselves as MASTER: ${masters.map((h) => h.host).join(', ')}`,
        affectsCounts: false,
      });
    }
    const master = masters.find((h) => h.version) ?? null;
    const upHosts = hosts.filter((h) => h.status === 'UP');
    snap.version = master?.version ?? (upHosts.length === 1 ? (upHosts[0].version ?? null) : null);

    if (!this.sawStatus) {
      snap.status = 'UNKNOWN';
      snap.error = this.notStatusMessage();
    } else if (upHosts.length > 0 || snap.features.length > 0) {
      // any member up, or feature data (which only a running server prints)
      snap.status = 'UP';
      // a whole server down next to others that answered (several servers in one output)
      for (const msg of this.serverErrors)
        this.warn({ code: 'SERVER_DOWN', message: msg.slice(0, MAX_WARNING_TEXT), affectsCounts: false });
    } else if (this.serverErrors.length > 0) {
      snap.status = 'DOWN';
      snap.error = this.serverErrors[0];
    } else if (hosts.length > 0 && hosts.every((h) => h.status === 'DOWN')) {
      snap.status = 'DOWN';
      snap.error = hosts.find((h) => h.message)?.message ?? 'license server down';
    } else {
      snap.status = 'UNKNOWN';
      snap.error = 'no server status in the output';
    }

    const total = this.warningCount;
    if (total > snap.warnings.length) {
      snap.warnings.push({
        code: 'WARNINGS_TRUNCATED',
        message: `${total} warnings in all; only the first ${MAX_STORED_WARNINGS} are kept`,
      });
    }
    if (!this.sawStatus) {
      // kept whatever the cap
      snap.warnings.push({
        code: 'NOT_STATUS_OUTPUT',
        message: snap.error ?? 'not an lmstat status output',
        affectsCounts: true,
      });
    }
  }

  private notStatusMessage(): string {
    if (this.sawVersionBanner) return 'not a status output: this is the lmstat -v version banner';
    if (this.sawLmstatINote) return 'not a status output: this is lmstat -i output (use parseLmstatI)';
    return 'no lmstat status output found in the text';
  }
}

/**
 * Parse `lmutil lmstat -a` text into a Snapshot. Never throws: whatever cannot be read becomes a warning,
 * and an internal failure yields an UNKNOWN snapshot with a PARSER_ERROR warning.
 */
export function parseLmstat(text: string, opts?: ParseOptions): Snapshot {
  let p: LmstatParser | null = null;
  try {
    const input = typeof text === 'string' ? text : String(text ?? '');
    p = new LmstatParser(opts, input);
    p.parse(input);
    return p.snap;
  } catch (err) {
    let snap: Snapshot;
    try {
      snap = p ? p.snap : emptySnapshot('flexlm', 'flexlm', new Date());
    } catch {
      snap = emptySnapshot('flexlm', 'flexlm', new Date());
    }
    snap.status = 'UNKNOWN';
    snap.error = 'parser failure';
    snap.warnings.push({
      code: 'PARSER_ERROR',
      message: `lmstat parser failed: ${err instanceof Error ? err.message : String(err)}`,
      affectsCounts: true,
    });
    return snap;
  }
}
