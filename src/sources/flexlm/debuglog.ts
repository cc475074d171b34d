/**
 * Parser for FlexLM (FlexNet Publisher) debug logs — the file lmgrd writes with `-l`, where every vendor daemon
 * reports each checkout, checkin and refusal. Pure, no I/O, never throws.
 *
 *    9:14:02 (cdslmd) OUT: "Spectre" maria@ws-101  (3 licenses)
 *    9:20:44 (cdslmd) IN: "Spectre" maria@ws-101  (INACTIVE)
 *    9:52:09 (cdslmd) DENIED: "Spectre" tom@farm-02  (Licensed number of users already reached. (-4,342:10054 ""))
 *    0:00:04 (lmgrd) TIMESTAMP 12/1/2026
 *
 * Events: OUT, IN, DENIED, QUEUED, DEQUEUED, UNSUPPORTED (fields in debuglog-event.ts). Dates: the lines only
 * print a time of day; TIMESTAMP lines, the lmgrd banner "started on HOST (IBM PC) (7/27/2018)", "Server's System
 * Date and Time: Fri Jul 27 2018 ..." and the SLOG "Start-Date:" / "Time:" lines give the date, and midnight is
 * detected when the clock steps back (debuglog-clock.ts, which also knows the repeated hour of a DST fall-back).
 * Times are local to `timeZone` and reported as ISO UTC. Events before any date use `fallbackDate`, else keep
 * at: null (with a warning). Every line lands in exactly one class of the summary (debuglog-types.ts): events,
 * date lines, ignored daemon chatter, blank, or unparsed (counted, and the first ones sampled with line numbers).
 * Lines end with LF or CRLF; a UTF-8 BOM is skipped. Each event has a stable id (debuglog-id.ts).
 *
 * Performance: the text is walked with indexOf('\n') without splitting it; the time prefix and the event
 * keywords are read with charCodeAt/startsWith, event fields as ranges of the input (debuglog-event.ts);
 * regular expressions run only on date lines and on reasons. Vendor, feature and token strings are interned and
 * time-of-day texts cached per second of the day (user and host are sliced: interning them measured slower); the
 * ISO instant is built from char codes once per second. `npm run bench -- debuglog` measures it (BENCHMARKS.md).
 */
import type { ParseWarning } from '../../domain/snapshot';
import { isValidTimeZone } from '../../domain/time';
import { DebugLogClock, makeDate, parseIsoDate, type LocalDate } from './debuglog-clock';
import { errorCodeOf, newEventFields, readEventFields, type EventFields } from './debuglog-event';
import { IdHasher, OccurrenceTable } from './debuglog-id';
import {
  DEBUG_EVENT_TYPES,
  type DebugEventType,
  type DebugLogEvent,
  type DebugLogOptions,
  type DebugLogResult,
  type DebugReasonKind,
  type UnparsedWhy,
} from './debuglog-types';
import { StringInterner } from './intern';
import { MONTHS } from '../../domain/time';

export * from './debuglog-types';
export { eventKey, hashKey } from './debuglog-id';

const MAX_WARNINGS = 50;
const MAX_TEXT = 200;
const SLOT_FEATURE = 0;
const SLOT_VENDOR = 1;
const SLOT_TOKEN = 2;

const SLASH_DATE_RE = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/;
const BANNER_RE = /\bstarted on .*\((\d{1,2})\/(\d{1,2})\/(\d{4})\)\s*$/;
const NAMED_DATE_RE = /^\s*(?:[A-Za-z]{3}\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\b/;

/** Keyword at the message start -> event type index, or -1. */
function eventKeyword(t: string, m: number): number {
  switch (t.charCodeAt(m)) {
    case 79: // O
      return t.startsWith('OUT:', m) ? 0 : -1;
    case 73: // I
      return t.startsWith('IN:', m) ? 1 : -1;
    case 68: // D
      return t.startsWith('DENIED:', m) ? 2 : t.startsWith('DEQUEUED:', m) ? 4 : -1;
    case 81: // Q
      return t.startsWith('QUEUED:', m) ? 3 : -1;
    case 85: // U
      return t.startsWith('UNSUPPORTED:', m) ? 5 : -1;
    default:
      return -1;
  }
}
const KEYWORD_LEN = [4, 3, 7, 7, 9, 12];

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function reasonKindOf(reason: string | null, errorCode: string | null): DebugReasonKind | null {
  if (reason === null) return null;
  if (reason === 'INACTIVE' || reason.toUpperCase() === 'INACTIVE') return 'INACTIVE';
  if (reason === 'SHUTDOWN' || reason.toUpperCase() === 'SHUTDOWN') return 'SHUTDOWN';
  return errorCode !== null ? 'ERROR' : 'OTHER';
}

class DebugLogParser {
  readonly events: DebugLogEvent[] = [];
  readonly warnings: ParseWarning[] = [];
  private warningCount = 0;
  readonly samples: DebugLogResult['unparsed']['samples'] = [];
  readonly counts = { lines: 0, dateLines: 0, ignored: 0, blank: 0, unparsed: 0, undated: 0 };
  readonly byType: Record<DebugEventType, number> = {
    OUT: 0,
    IN: 0,
    DENIED: 0,
    QUEUED: 0,
    DEQUEUED: 0,
    UNSUPPORTED: 0,
  };
  private readonly clock: DebugLogClock;
  private readonly interner = new StringInterner();
  private readonly fields: EventFields = newEventFields();
  private readonly hasher = new IdHasher();
  private firstDate: string | null = null;
  private lastDatedLine = -1;
  // the instant formatted last, and the UTC day whose "YYYY-MM-DDT" char codes isoCodes holds
  private isoMs = NaN;
  private iso = '';
  private isoDay = NaN;
  private readonly isoCodes: number[] = new Array<number>(11).fill(48);
  /** How many events with each base key (everything but the occurrence) were seen. */
  private readonly seen = new OccurrenceTable();
  private firstUndatedLine = 0;
  /** Time-of-day text per second of the day, as printed (events retain them: one string per second, not per event). */
  private readonly timeCache: Array<string | undefined> = new Array<string | undefined>(86_400);

  constructor(
    private readonly t: string,
    readonly timeZone: string,
    fallback: LocalDate | null,
    private readonly maxSamples: number,
  ) {
    this.clock = new DebugLogClock(timeZone, fallback);
  }

  run(): void {
    const t = this.t;
    const n = t.length;
    let s = t.charCodeAt(0) === 0xfeff ? 1 : 0;
    let ln = 0;
    while (s < n) {
      let nl = t.indexOf('\n', s);
      if (nl < 0) nl = n;
      const e = nl > s && t.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      this.line(s, e, ++ln);
      s = nl + 1;
    }
    this.counts.lines = ln;
  }

  /** One line [s, e). */
  private line(s: number, e: number, ln: number): void {
    const t = this.t;
    let k = s;
    while (k < e && t.charCodeAt(k) === 32) k++;
    const timeA = k;
    // "H:MM:SS " or "HH:MM:SS "
    let sec = -1;
    if (isDigit(t.charCodeAt(k))) {
      const two = isDigit(t.charCodeAt(k + 1));
      const c = two ? k + 2 : k + 1;
      if (
        t.charCodeAt(c) === 58 &&
        isDigit(t.charCodeAt(c + 1)) &&
        isDigit(t.charCodeAt(c + 2)) &&
        t.charCodeAt(c + 3) === 58 &&
        isDigit(t.charCodeAt(c + 4)) &&
        isDigit(t.charCodeAt(c + 5)) &&
        t.charCodeAt(c + 6) === 32 &&
        c + 6 < e
      ) {
        const h = two ? (t.charCodeAt(k) - 48) * 10 + t.charCodeAt(k + 1) - 48 : t.charCodeAt(k) - 48;
        const mi = (t.charCodeAt(c + 1) - 48) * 10 + t.charCodeAt(c + 2) - 48;
        const se = (t.charCodeAt(c + 4) - 48) * 10 + t.charCodeAt(c + 5) - 48;
        if (h < 24 && mi < 60 && se < 60) {
          sec = h * 3600 + mi * 60 + se;
          k = c + 7;
        }
      }
    }
    if (sec < 0) return this.untimed(s, e, k, ln);
    // "(daemon) "
    if (t.charCodeAt(k) !== 40) return this.unparsed(s, e, ln, 'no-time');
    const v = t.indexOf(')', k + 1);
    if (v < 0 || v >= e || v === k + 1) return this.unparsed(s, e, ln, 'no-time');
    this.clock.tick(sec);
    let m = v + 1;
    while (m < e && (t.charCodeAt(m) === 32 || t.charCodeAt(m) === 9)) m++;
    const type = eventKeyword(t, m);
    if (type >= 0) return this.event(type, s, e, k + 1, v, m + KEYWORD_LEN[type], ln, sec, timeA);
    this.other(s, e, m, sec, ln);
  }

  /** A line without a valid time prefix: blank, an event with an unreadable time, or unparsed. */
  private untimed(s: number, e: number, k: number, ln: number): void {
    const t = this.t;
    let j = k;
    while (j < e && (t.charCodeAt(j) <= 32 || t.charCodeAt(j) === 0xa0 || t.charCodeAt(j) === 0xfeff)) j++;
    if (j === e) {
      this.counts.blank++;
      return;
    }
    // "12:49:5a3 (ugslmd) IN: ...": a time we cannot read on a line that otherwise has the shape
    const sp = t.indexOf(' ', k);
    if (isDigit(t.charCodeAt(k)) && sp > k && sp < e && t.charCodeAt(sp + 1) === 40) {
      const tok = t.slice(k, sp);
      const v = t.indexOf(')', sp + 2);
      if (tok.includes(':') && tok.length <= 12 && v > sp + 2 && v < e) {
        let m = v + 1;
        while (m < e && (t.charCodeAt(m) === 32 || t.charCodeAt(m) === 9)) m++;
        const type = eventKeyword(t, m);
        if (type >= 0) return this.event(type, s, e, sp + 2, v, m + KEYWORD_LEN[type], ln, -1, k);
        return this.unparsed(s, e, ln, 'bad-time');
      }
    }
    this.unparsed(s, e, ln, 'no-time');
  }

  /** An event line; sec = -1 when its time is unreadable (timeA: where the printed time starts). */
  private event(
    type: number,
    s: number,
    e: number,
    va: number,
    vb: number,
    body: number,
    ln: number,
    sec: number,
    timeA: number,
  ): void {
    const t = this.t;
    const f = this.fields;
    if (!readEventFields(t, body, e, f)) return this.unparsed(s, e, ln, 'bad-event');
    const timeB = t.indexOf(' ', timeA);
    let time = sec >= 0 ? this.timeCache[sec] : undefined;
    if (time === undefined || time.length !== timeB - timeA) {
      time = t.slice(timeA, timeB);
      if (sec >= 0) this.timeCache[sec] = time;
    }
    let at: string | null = null;
    if (sec >= 0 && this.clock.known) {
      const ms = this.clock.instant(sec);
      if (ms !== this.isoMs) {
        this.isoMs = ms;
        this.iso = this.isoOf(ms);
      }
      at = this.iso || null;
    } else if (sec < 0) {
      this.warn({
        code: 'BAD_TIME',
        message: `unreadable time "${time}": the event is kept without a date`,
        line: ln,
        text: this.cap(s, e),
      });
    }
    if (at === null) {
      this.counts.undated++;
      if (this.firstUndatedLine === 0) this.firstUndatedLine = ln;
    } else {
      if (this.firstDate === null) this.firstDate = this.clock.dateText;
      this.lastDatedLine = ln;
    }
    const it = this.interner;
    const typeName = DEBUG_EVENT_TYPES[type];
    const vendor = it.field(SLOT_VENDOR, t, va, vb);
    const feature = it.field(SLOT_FEATURE, t, f.featureA, f.featureB);
    const token = f.tokenA >= 0 ? it.field(SLOT_TOKEN, t, f.tokenA, f.tokenB) : null;
    const user = t.slice(f.userA, f.userB);
    const host = t.slice(f.hostA, f.hostB);
    const errorCode = f.reason === null ? null : errorCodeOf(f.reason);
    const id = this.identity(at ?? `local:${time}`, vendor, typeName, feature, user, host, f.count, token);
    this.byType[typeName]++;
    this.events.push({
      id,
      type: typeName,
      at,
      time,
      vendor,
      feature,
      user,
      host,
      count: f.count,
      token,
      reason: f.reason,
      reasonKind: reasonKindOf(f.reason, errorCode),
      errorCode,
      detail: f.detail,
      line: ln,
    });
  }

  /**
   * new Date(ms).toISOString() for whole seconds, built from the char codes of the day's "YYYY-MM-DDT" (computed once
   * per UTC day) and the time: one flat string, no Date. '' when ms is out of range.
   */
  private isoOf(ms: number): string {
    if (!(Number.isFinite(ms) && Math.abs(ms) <= 8.64e15)) return '';
    const day = Math.floor(ms / 86_400_000);
    if (day !== this.isoDay) {
      const d = new Date(day * 86_400_000).toISOString();
      if (d.length !== 24) return new Date(ms).toISOString(); // years beyond 9999 or before 0
      this.isoDay = day;
      for (let i = 0; i < 11; i++) this.isoCodes[i] = d.charCodeAt(i);
    }
    const c = this.isoCodes;
    const sec = Math.floor((ms - day * 86_400_000) / 1000);
    const h = Math.floor(sec / 3600);
    const m = Math.floor(sec / 60) % 60;
    const x = sec % 60;
    const z = ((ms % 1000) + 1000) % 1000;
    return String.fromCharCode(
      c[0],
      c[1],
      c[2],
      c[3],
      c[4],
      c[5],
      c[6],
      c[7],
      c[8],
      c[9],
      c[10],
      48 + Math.floor(h / 10),
      48 + (h % 10),
      58,
      48 + Math.floor(m / 10),
      48 + (m % 10),
      58,
      48 + Math.floor(x / 10),
      48 + (x % 10),
      46,
      48 + Math.floor(z / 100),
      48 + (Math.floor(z / 10) % 10),
      48 + (z % 10),
      90,
    );
  }

  /** The event's id: see debuglog-id.ts (same fields, same order). */
  private identity(
    at: string,
    vendor: string,
    type: string,
    feature: string,
    user: string,
    host: string,
    count: number,
    token: string | null,
  ): string {
    const h = this.hasher;
    h.reset();
    h.str(at);
    h.field(vendor);
    h.field(type);
    h.field(feature);
    h.field(user);
    h.field(host);
    h.int(count);
    h.field(token ?? '');
    // occurrences counted over the whole text (a second can come back: undated lines after a midnight, a date
    // line that goes back), keyed by the base hash's 64 bits
    const occurrence = this.seen.next(h.h1, h.h2);
    h.int(occurrence);
    return h.hex();
  }

  /** A timed line that is not an event: a date line or daemon chatter. */
  private other(s: number, e: number, m: number, sec: number, ln: number): void {
    const t = this.t;
    const c = t.charCodeAt(m);
    let date: LocalDate | null | undefined; // undefined: not a date line; null: a date line with a bad date
    if (c === 84 && t.startsWith('TIMESTAMP ', m)) date = slashDate(SLASH_DATE_RE.exec(t.slice(m + 10, e)));
    else if (c === 83 && t.startsWith("Server's System Date and Time:", m)) date = namedDate(t.slice(m + 30, e));
    else if (c === 40 && t.startsWith('(@', m)) {
      const z = t.indexOf('@) ', m + 2);
      if (z > 0 && z < e) {
        if (t.startsWith('Start-Date:', z + 3)) date = namedDate(t.slice(z + 14, e));
        else if (t.startsWith('Time:', z + 3)) date = namedDate(t.slice(z + 8, e));
      }
    } else if (c !== 40 && endsWithParen(t, m, e)) {
      const rest = t.slice(m, e);
      if (rest.includes('started on ')) {
        const b = BANNER_RE.exec(rest);
        if (b) date = slashDate(b);
      }
    }
    if (date === undefined) {
      this.counts.ignored++;
      return;
    }
    if (date === null) return this.unparsed(s, e, ln, 'bad-date');
    this.counts.dateLines++;
    if (this.clock.setDate(date, sec)) {
      this.warn({
        code: 'DATE_WENT_BACK',
        message: 'this date line sets an earlier date than the lines before it: the events after it are dated from it',
        line: ln,
        text: this.cap(s, e),
      });
    }
  }

  private unparsed(s: number, e: number, ln: number, why: UnparsedWhy): void {
    this.counts.unparsed++;
    if (this.samples.length < this.maxSamples) this.samples.push({ line: ln, text: this.cap(s, e), why });
  }

  private cap(s: number, e: number): string {
    const x = this.t.slice(s, Math.min(e, s + MAX_TEXT * 2)).trim();
    return x.length > MAX_TEXT ? x.slice(0, MAX_TEXT) : x;
  }

  warn(w: ParseWarning): void {
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(w);
  }

  result(): DebugLogResult {
    const c = this.counts;
    if (c.undated > 0) {
      this.warnings.unshift({
        code: 'UNDATED_EVENTS',
        message: `${c.undated} event(s) have no date (at: null), the first on line ${this.firstUndatedLine}: no date line (TIMESTAMP, server banner) came before them and no fallback date was given, or their time is unreadable`,
      });
    }
    if (this.warningCount > MAX_WARNINGS)
      this.warnings.push({
        code: 'WARNINGS_TRUNCATED',
        message: `${this.warningCount} warnings in all; only the first ${MAX_WARNINGS} are kept`,
      });
    return {
      events: this.events,
      unparsed: { count: c.unparsed, samples: this.samples },
      summary: {
        lines: c.lines,
        events: this.events.length,
        dateLines: c.dateLines,
        ignored: c.ignored,
        blank: c.blank,
        unparsed: c.unparsed,
        byType: this.byType,
        undated: c.undated,
        firstDate: this.firstDate,
        lastDate: this.lastDatedLine > 0 ? this.lastDateText() : null,
      },
      timeZone: this.timeZone,
      warnings: this.warnings,
    };
  }

  /** The local date of the last dated event: its instant read back in the zone. */
  private lastDateText(): string | null {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const at = this.events[i].at;
      if (at !== null) return localDateOf(Date.parse(at), this.timeZone);
    }
    return null;
  }
}

/** The line's last non-blank character is ")" (the banner's date). */
function endsWithParen(t: string, m: number, e: number): boolean {
  while (e > m && t.charCodeAt(e - 1) === 32) e--;
  return e > m && t.charCodeAt(e - 1) === 41;
}

function localDateOf(ms: number, tz: string): string {
  const p = new Intl.DateTimeFormat('en-CA', {
    timeZone: tz,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(ms));
  return p.slice(0, 10);
}

function slashDate(m: RegExpExecArray | null): LocalDate | null {
  return m ? makeDate(Number(m[3]), Number(m[1]), Number(m[2])) : null;
}

function namedDate(s: string): LocalDate | null {
  const m = NAMED_DATE_RE.exec(s);
  if (!m) return null;
  const month = MONTHS[m[1].toLowerCase()];
  return month ? makeDate(Number(m[3]), month, Number(m[2])) : null;
}

/** Parse a FlexLM debug log. Never throws. */
export function parseDebugLog(text: string, options: DebugLogOptions = {}): DebugLogResult {
  const pre: ParseWarning[] = [];
  let tz = options.timeZone ?? 'UTC';
  if (!isValidTimeZone(tz)) {
    pre.push({ code: 'BAD_TIME_ZONE', message: `"${tz}" is not an IANA time zone: times are read as UTC` });
    tz = 'UTC';
  }
  let fallback: LocalDate | null = null;
  if (options.fallbackDate !== undefined) {
    fallback = parseIsoDate(options.fallbackDate);
    if (!fallback)
      pre.push({
        code: 'BAD_FALLBACK_DATE',
        message: `fallbackDate "${options.fallbackDate}" is not a YYYY-MM-DD date: ignored`,
      });
  }
  const max = options.maxSamples;
  const p = new DebugLogParser(
    typeof text === 'string' ? text : '',
    tz,
    fallback,
    max !== undefined && Number.isSafeInteger(max) && max >= 0 ? max : 20,
  );
  for (const w of pre) p.warn(w);
  p.run();
  return p.result();
}
