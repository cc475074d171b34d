/**
 * Start-time inference for the parsers of large outputs: StartTimeInferrer is a memoised, allocation-light
 * equivalent of domain/time's `inferStartedAt(raw, now, tz)` for one parse (one `now`, one zone).
 * test/unit/flexlm-fuzz.test.ts checks it against inferStartedAt on random inputs, instants and zones.
 */
import {
  inferStart,
  isValidTimeZone,
  LOOKBACK_YEARS,
  parseWallTime,
  processTimeZone,
  START_SKEW_MS as SKEW_MS,
  wallClock,
  zoneOffsetMs,
  type WallTime,
} from '../../domain/time';

const DAY_MS = 86_400_000;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const NO_YEAR = -1;
const NEAR_NOW = -2;
/** wallTimeKeyAt: the text is not in the "Mon 1/20 10:30" form (parseWallTime decides). */
const NOT_FAST_FORM = -2;
const MINUTES_PER_DAY = 1440;
/** Dates inferAt keeps a per-minute table for (more distinct dates in one output go the slower way). */
const MAX_DATE_BLOCKS = 64;
/** inferAt's "letters" for a time printed without a weekday: above any three 7-bit letters */
const NO_LETTERS = 1 << 21;

function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return MONTH_DAYS[m - 1];
}

function utcDayOfWeek(y: number, m: number, d: number): number {
  return (((Math.floor(Date.UTC(y, m - 1, d) / DAY_MS) + 4) % 7) + 7) % 7;
}

const DOW_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A parsed wall time packed in one small integer: (((((dow|7)*13+month)*32+day)*24+hour)*60+minute)*60+second. */
function packWallTime(w: WallTime): number {
  return (((((w.dow ?? 7) * 13 + w.month) * 32 + w.day) * 24 + w.hour) * 60 + w.minute) * 60 + w.second;
}

/** Two digits at t[k, k+2) or one at t[k], not past b: value * 4 + characters read, or -1. */
function smallNumberAt(t: string, k: number, b: number): number {
  if (k >= b) return -1;
  const x = t.charCodeAt(k) - 48;
  if (!(x >= 0 && x <= 9)) return -1;
  const y = k + 1 < b ? t.charCodeAt(k + 1) - 48 : -1;
  return y >= 0 && y <= 9 ? (x * 10 + y) * 4 + 2 : x * 4 + 1;
}

/**
 * The form lmstat prints, "Mon 1/20 10:30", at t[a, b), read without a regular expression or any allocation:
 * the packed wall time (as packWallTime(parseWallTime(text)) would give), -1 when it has that form but is not a
 * valid time (parseWallTime gives null then too), NOT_FAST_FORM for any other text.
 */
function wallTimeKeyAt(t: string, a: number, b: number): number {
  const n = b - a;
  if (!(n >= 12 && n <= 15 && t.charCodeAt(a + 3) === 32)) return NOT_FAST_FORM;
  const c0 = t.charCodeAt(a) | 32;
  const c1 = t.charCodeAt(a + 1) | 32;
  const c2 = t.charCodeAt(a + 2) | 32;
  if (!(c0 >= 97 && c0 <= 122 && c1 >= 97 && c1 <= 122 && c2 >= 97 && c2 <= 122)) return NOT_FAST_FORM;
  let k = a + 4;
  let v = smallNumberAt(t, k, b);
  if (v < 0) return NOT_FAST_FORM;
  const month = v >> 2;
  k += v & 3;
  v = k < b && t.charCodeAt(k) === 47 /* / */ ? smallNumberAt(t, k + 1, b) : -1;
  if (v < 0) return NOT_FAST_FORM;
  const day = v >> 2;
  k += 1 + (v & 3);
  v = k < b && t.charCodeAt(k) === 32 ? smallNumberAt(t, k + 1, b) : -1;
  if (v < 0) return NOT_FAST_FORM;
  const hour = v >> 2;
  k += 1 + (v & 3);
  v = k < b && t.charCodeAt(k) === 58 /* : */ ? smallNumberAt(t, k + 1, b) : -1;
  if (!(v >= 0 && (v & 3) === 2 && k + 3 === b)) return NOT_FAST_FORM;
  const minute = v >> 2;
  let dow = 7;
  for (let i = 0; i < 7; i++) {
    const name = DOW_NAMES[i];
    if (name.charCodeAt(0) === c0 && name.charCodeAt(1) === c1 && name.charCodeAt(2) === c2) dow = i;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59) return -1;
  return ((((dow * 13 + month) * 32 + day) * 24 + hour) * 60 + minute) * 60;
}

/** parseWallTime (domain/time.ts) packed by packWallTime, or -1 when it is not a time. */
function wallTimeKey(raw: string): number {
  const k = wallTimeKeyAt(raw, 0, raw.length);
  if (k !== NOT_FAST_FORM) return k;
  const w = parseWallTime(raw);
  return w ? packWallTime(w) : -1;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

// ---------------------------------------------------------------------------------------------------------
// zone offsets on the days they change

/**
 * A UTC day on which domain/time's zoneOffsetMs is not one constant (a DST or offset change): its offset is
 * `before` until the instant `at`, `after` from then on.
 */
interface OffsetStep {
  at: number;
  before: number;
  after: number;
}

/** Per zone, per UTC day: a number (the constant offset), an OffsetStep, or null (not a single step: ask zoneOffsetMs). */
const offsetDays = new Map<string, Map<number, number | OffsetStep | null>>();
const STEP_CHECK_MS = 15 * 60 * 1000;

/**
 * What zoneOffsetMs(ms, zone) of domain/time returns, without its Intl call per instant on the days the offset
 * changes. zoneOffsetMs is a per-day constant on most days and, on a day whose two ends differ, reads the
 * wall clock of the instant itself (to the second) through Intl (~10 µs). On such a day the change instant is
 * found once, to the second, by bisection, and checked every 15 minutes of the day; the day then answers with
 * one comparison. A day that is not one clean step (never seen in tz data since 1970) stays on zoneOffsetMs.
 */
function offsetAt(ms: number, zone: string): number {
  if (!Number.isFinite(ms)) return zoneOffsetMs(ms, zone);
  const day = Math.floor(ms / DAY_MS);
  let days = offsetDays.get(zone);
  if (days === undefined) {
    days = new Map();
    offsetDays.set(zone, days);
  }
  let d = days.get(day);
  if (d === undefined) {
    d = dayOffsets(day, zone);
    if (days.size > 20_000) days.clear();
    days.set(day, d);
  }
  if (typeof d === 'number') return d;
  if (d === null) return zoneOffsetMs(ms, zone);
  return ms < d.at ? d.before : d.after;
}

function dayOffsets(day: number, zone: string): number | OffsetStep | null {
  const start = day * DAY_MS;
  const end = start + DAY_MS;
  // zoneOffsetMs gives the exact offset at a day's first instant whether that day is constant or not
  const before = zoneOffsetMs(start, zone);
  const after = zoneOffsetMs(end, zone);
  if (before === after) return before; // zoneOffsetMs's own test for a constant day
  // inside this day zoneOffsetMs is exact (to the second): find the first second with another offset
  let lo = start / 1000;
  let hi = end / 1000;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (zoneOffsetMs(mid * 1000, zone) === before) lo = mid;
    else hi = mid;
  }
  const at = hi * 1000;
  if (at < end && zoneOffsetMs(at, zone) !== after) return null;
  for (let x = start + STEP_CHECK_MS; x < end; x += STEP_CHECK_MS) {
    if (zoneOffsetMs(x, zone) !== (x < at ? before : after)) return null;
  }
  return { at, before, after };
}

// ---------------------------------------------------------------------------------------------------------

/**
 * Memoised equivalent of `inferStartedAt(raw, now, tz)` from domain/time.ts, for one parse (one `now`, one
 * zone). inferStartedAt costs ~0.2 ms a call (it builds Intl formatters and formats several instants), which
 * would dominate a large output; this runs the same year-selection loop with the same rules, but converts
 * wall-clock times to UTC with a per-day cached zone offset, and on days near a DST/offset transition with
 * domain/time's zonedTimeToUtc rules over cached offset steps (see offsetAt); it falls back to inferStartedAt
 * itself for out-of-range `now` years. Results are cached per parsed wall time, and the year a date falls in
 * per date. inferAt() reads the start time straight from the parser's input and, for a start time already
 * seen, returns the string made the first time (no allocation at all).
 * test/unit/flexlm-fuzz.test.ts checks it against inferStartedAt on random inputs and zones.
 */
export class StartTimeInferrer {
  private readonly zone: string;
  private readonly nowMs: number;
  private readonly nowYear: number;
  private readonly delegate: boolean;
  /** packed wall time -> result */
  private readonly cache = new Map<number, string | null>();
  /** packed wall times whose printed weekday no year in the look-back has (see domain/time inferStart) */
  private readonly mismatchKeys = new Set<number>();
  private lastRaw = '';
  private lastValue: string | null = null;
  private lastMismatch = false;
  /** Set by compute(): the weekday of the last computed result contradicts the printed one. */
  private computedMismatch = false;
  /**
   * inferAt's memory of the "Mon 1/20 10:30" texts it read: per date (month*32+day -> block, -1 none), per
   * minute of that day, the spelling (see inferAt; 0 = none), the text and its result.
   */
  private readonly dateBlock = new Int16Array(13 * 32).fill(-1);
  private readonly blockSpelling: Int32Array[] = [];
  private readonly blockRaw: string[][] = [];
  private readonly blockValue: Array<Array<string | null>> = [];
  private readonly blockMismatch: Uint8Array[] = [];
  /** The start-time text inferAt() read (a string it made before when the same text was seen). */
  raw = '';
  /** After infer()/inferAt(): the printed weekday contradicts the inferred date (START_WEEKDAY_MISMATCH). */
  weekdayMismatch = false;
  /** days since 1970 -> "YYYY-MM-DDT" */
  private readonly isoDates = new Map<number, string>();
  /** (dow*13+month)*32+day -> the year that date falls in (see compute) */
  private readonly yearOfDate = new Map<number, number>();
  /** (y*100+m)*100+d -> zone offset constant over [d-1, d+2), or null when it changes there */
  private readonly dayOffset = new Map<number, number | null>();

  constructor(
    private readonly now: Date,
    private readonly tz?: string,
  ) {
    this.nowMs = now.getTime();
    this.zone = tz && isValidTimeZone(tz) ? tz : processTimeZone();
    this.nowYear = Number.isFinite(this.nowMs) ? wallClock(this.nowMs, this.zone).year : 0;
    this.delegate = !(this.nowYear >= 1000 && this.nowYear <= 9000);
  }

  infer(raw: string): string | null {
    if (raw === this.lastRaw) {
      this.weekdayMismatch = this.lastMismatch;
      return this.lastValue; // consecutive lines often share the start time
    }
    const key = wallTimeKey(raw);
    let v: string | null | undefined = null;
    let mismatch = false;
    if (key >= 0) {
      v = this.cache.get(key);
      if (v === undefined) {
        // inferStart only looks at the parsed wall time, so equal keys have equal results
        if (this.delegate) {
          const r = inferStart(raw, this.now, this.tz);
          v = r ? new Date(r.ms).toISOString() : null;
          mismatch = r?.weekdayMismatch === true;
        } else {
          v = this.compute(key);
          mismatch = this.computedMismatch;
        }
        this.cache.set(key, v);
        if (mismatch) this.mismatchKeys.add(key);
      } else {
        mismatch = this.mismatchKeys.has(key);
      }
    }
    this.lastRaw = raw;
    this.lastValue = v;
    this.lastMismatch = mismatch;
    this.weekdayMismatch = mismatch;
    return v;
  }

  /**
   * infer(t.slice(a, b)), with the text in this.raw afterwards. A text in the "Mon 1/20 10:30" (lmstat) or
   * "01/20 10:30" (rlmstat) form already read is found by its spelling (month/day, minute of the day, the three
   * letters if any and the width of each number determine it) in a per-date table: neither the text nor the
   * result is made again, and nothing is allocated.
   */
  inferAt(t: string, a: number, b: number): string | null {
    const n = b - a;
    // "Mon 1/20 10:30" (lmstat: the three letters are part of the spelling) or "01/20 10:30" (rlmstat)
    let k = -1;
    let letters = 0;
    if (n >= 12 && n <= 15 && t.charCodeAt(a + 3) === 32) {
      const r0 = t.charCodeAt(a);
      const r1 = t.charCodeAt(a + 1);
      const r2 = t.charCodeAt(a + 2);
      if (r0 < 128 && r1 < 128 && r2 < 128) {
        letters = (((r0 << 7) | r1) << 7) | r2;
        k = a + 4;
      }
    } else if (n >= 8 && n <= 11) {
      letters = NO_LETTERS;
      k = a;
    }
    if (k >= 0) {
      let month = t.charCodeAt(k++) - 48;
      let widths = 0;
      let c = t.charCodeAt(k) - 48;
      if (c >= 0 && c <= 9) {
        month = month * 10 + c;
        widths = 4;
        k++;
      }
      let day = -1;
      if (t.charCodeAt(k) === 47 /* / */) {
        day = t.charCodeAt(++k) - 48;
        c = t.charCodeAt(++k) - 48;
        if (c >= 0 && c <= 9) {
          day = day * 10 + c;
          widths |= 2;
          k++;
        }
      }
      let hour = -1;
      if (t.charCodeAt(k) === 32) {
        hour = t.charCodeAt(++k) - 48;
        c = t.charCodeAt(++k) - 48;
        if (c >= 0 && c <= 9) {
          hour = hour * 10 + c;
          widths |= 1;
          k++;
        }
      }
      let minute = -1;
      if (k + 3 === b && t.charCodeAt(k) === 58 /* : */) {
        const m1 = t.charCodeAt(k + 1) - 48;
        const m2 = t.charCodeAt(k + 2) - 48;
        if (m1 >= 0 && m1 <= 5 && m2 >= 0 && m2 <= 9) minute = m1 * 10 + m2;
      }
      if (month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 && minute >= 0) {
        // every character of the text is accounted for: it is the only text with this date, minute and spelling
        const spelling = letters * 8 + widths + 1;
        const minuteOfDay = hour * 60 + minute;
        const dateKey = month * 32 + day;
        let block = this.dateBlock[dateKey];
        if (block < 0 && this.blockRaw.length < MAX_DATE_BLOCKS) {
          block = this.blockRaw.length;
          this.dateBlock[dateKey] = block;
          this.blockSpelling.push(new Int32Array(MINUTES_PER_DAY));
          this.blockRaw.push(new Array<string>(MINUTES_PER_DAY).fill(''));
          this.blockValue.push(new Array<string | null>(MINUTES_PER_DAY).fill(null));
          this.blockMismatch.push(new Uint8Array(MINUTES_PER_DAY));
        }
        if (block >= 0) {
          const spellings = this.blockSpelling[block];
          const known = spellings[minuteOfDay];
          if (known === spelling) {
            this.raw = this.blockRaw[block][minuteOfDay];
            this.weekdayMismatch = this.blockMismatch[block][minuteOfDay] === 1;
            return this.blockValue[block][minuteOfDay];
          }
          const raw = t.slice(a, b);
          const value = this.infer(raw);
          if (known === 0) {
            spellings[minuteOfDay] = spelling;
            this.blockRaw[block][minuteOfDay] = raw;
            this.blockValue[block][minuteOfDay] = value;
            this.blockMismatch[block][minuteOfDay] = this.weekdayMismatch ? 1 : 0;
          }
          this.raw = raw;
          return value;
        }
      }
    }
    const raw = a < b ? t.slice(a, b) : '';
    this.raw = raw;
    return this.infer(raw);
  }

  private compute(key: number): string | null {
    let k = key;
    const second = k % 60;
    k = (k - second) / 60;
    const minute = k % 60;
    k = (k - minute) / 60;
    const hour = k % 24;
    k = (k - hour) / 24;
    const day = k % 32;
    k = (k - day) / 32;
    const month = k % 13;
    const dowKey = (k - month) / 13;
    const dow = dowKey === 7 ? undefined : dowKey;
    // Which year a date falls in only depends on the time of day when that date is close to `now`; away from
    // it, the year chosen for one time of a date holds for every time of that date, so it is cached per date.
    const dateKey = (dowKey * 13 + month) * 32 + day;
    let year = this.yearOfDate.get(dateKey);
    if (year === undefined) {
      year = this.pickYear(month, day, dow);
      this.yearOfDate.set(dateKey, year);
    }
    if (year === NEAR_NOW) year = this.loopYear({ month, day, hour, minute, second, dow });
    this.computedMismatch = false;
    if (year === NO_YEAR) return null;
    this.computedMismatch = dow !== undefined && utcDayOfWeek(year, month, day) !== dow;
    return this.iso(this.toUtc(year, month, day, hour, minute, second));
  }

  /** new Date(ms).toISOString() for whole seconds after 1970, from cached pieces (toISOString is slow), flat. */
  private iso(ms: number): string {
    if (ms < 0 || ms % 1000 !== 0) return new Date(ms).toISOString();
    const days = Math.floor(ms / DAY_MS);
    let date = this.isoDates.get(days);
    if (date === undefined) {
      date = new Date(days * DAY_MS).toISOString().slice(0, 11); // "2026-01-20T"
      this.isoDates.set(days, date);
    }
    const secs = (ms - days * DAY_MS) / 1000;
    const minutes = Math.floor(secs / 60);
    // join() makes one flat string (a template literal would leave a tree of cons strings in the result)
    return [
      date,
      TWO_DIGITS[Math.floor(minutes / 60)],
      ':',
      TWO_DIGITS[minutes % 60],
      ':',
      TWO_DIGITS[secs % 60],
      '.000Z',
    ].join('');
  }

  /** The year inferInstant picks for this date whatever the time of day, NO_YEAR, or NEAR_NOW (it depends). */
  private pickYear(month: number, day: number, dow: number | undefined): number {
    for (let year = this.nowYear + 1; year >= this.nowYear - LOOKBACK_YEARS; year--) {
      if (day <= daysInMonth(year, month) && Math.abs(Date.UTC(year, month - 1, day) - this.nowMs) < 3 * DAY_MS)
        return NEAR_NOW;
    }
    return this.loopYear({ month, day, hour: 0, minute: 0, second: 0, dow });
  }

  /** inferStart's year-selection loop: the year of the instant it returns, or NO_YEAR. */
  private loopYear(w: WallTime): number {
    let fallback = NO_YEAR;
    for (let year = this.nowYear + 1; year >= this.nowYear - LOOKBACK_YEARS; year--) {
      if (w.day > daysInMonth(year, w.month)) continue;
      const ms = this.toUtc(year, w.month, w.day, w.hour, w.minute, w.second);
      if (ms > this.nowMs + SKEW_MS) continue;
      if (w.dow === undefined || utcDayOfWeek(year, w.month, w.day) === w.dow) return year;
      if (fallback === NO_YEAR) fallback = year;
    }
    return fallback;
  }

  private toUtc(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
    const key = (y * 100 + mo) * 100 + d;
    let off = this.dayOffset.get(key);
    if (off === undefined) {
      // zonedTimeToUtc only ever samples the offset within +-14h of the local day; if the offset is the same
      // a day before and two days after, it is constant there and the conversion is a subtraction.
      const base = Date.UTC(y, mo - 1, d);
      const a = zoneOffsetMs(base - DAY_MS, this.zone);
      const b = zoneOffsetMs(base + 2 * DAY_MS, this.zone);
      off = a === b ? a : null;
      this.dayOffset.set(key, off);
    }
    if (off === null) return this.zonedToUtc(y, mo, d, h, mi, s);
    return Date.UTC(y, mo - 1, d, h, mi, s) - off;
  }

  /** domain/time's zonedTimeToUtc, step for step, with offsetAt() for zoneOffsetMs(). */
  private zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
    const zone = this.zone;
    const guess = Date.UTC(year, month - 1, day, hour, minute, second);
    const before = offsetAt(guess - DAY_MS, zone);
    const after = offsetAt(guess + DAY_MS, zone);
    if (before === after) return guess - before;
    const a = guess - before;
    const b = guess - after;
    const aValid = offsetAt(a, zone) === before;
    const bValid = offsetAt(b, zone) === after;
    if (aValid && bValid) return Math.min(a, b);
    if (aValid) return a;
    if (bValid) return b;
    return a;
  }
}
