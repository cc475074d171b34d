/**
 * Time inference for license-server output. lmstat prints "Mon 1/20 10:30" and rlmstat "01/20 10:30":
 * no year, no zone. We take the most recent instant not after the poll time, reading the wall clock
 * in the server's zone. Pure; never throws.
 */

const DOW = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

// Building an Intl.DateTimeFormat costs ~80 µs: zone checks and the process zone are cached (a parser infers
// thousands of start times per output).
const validZones = new Map<string, boolean>();

export function isValidTimeZone(tz: string): boolean {
  const known = validZones.get(tz);
  if (known !== undefined) return known;
  let ok: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    ok = true;
  } catch {
    ok = false;
  }
  if (validZones.size > 1000) validZones.clear();
  validZones.set(tz, ok);
  return ok;
}

/** Month numbers (1-12) by their lower-case English abbreviation, as license servers print them ("jan", "Jul"). */
export const MONTHS: Readonly<Record<string, number>> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};

const ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * A time zone a client may name: an IANA name (Europe/Berlin, UTC) of at most 64 characters that this runtime
 * knows. The shape check comes first, so arbitrary client text never reaches Intl or the zone cache.
 */
export function isIanaTimeZoneName(tz: string): boolean {
  return tz.length <= 64 && ZONE_SHAPE.test(tz) && isValidTimeZone(tz);
}

let processZone: { env: string | undefined; zone: string } | null = null;

export function processTimeZone(): string {
  const env = process.env.TZ;
  if (!processZone || processZone.env !== env) {
    processZone = { env, zone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC' };
  }
  return processZone.zone;
}

function formatterFor(tz: string): Intl.DateTimeFormat {
  let f = offsetFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    offsetFormatters.set(tz, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
export function wallClock(
  ms: number,
  tz: string,
): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = formatterFor(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour') % 24,
    minute: get('minute'),
    second: get('second'),
  };
}

const MAX_DATE_MS = 8.64e15;

function exactZoneOffsetMs(ms: number, tz: string): number {
  if (!(Math.abs(ms) <= MAX_DATE_MS)) return 0; // outside what Date can hold: no zone to speak of, and no throw
  const w = wallClock(ms, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

const DAY_MS = 86_400_000;
/** Per zone, per UTC day: the offset when it is the same at both ends of the day, else null (a transition day). */
const dayOffsets = new Map<string, Map<number, number | null>>();

/** Offset (ms) of a zone at an instant: local wall clock minus UTC. */
export function zoneOffsetMs(ms: number, tz: string): number {
  if (!Number.isFinite(ms)) return exactZoneOffsetMs(ms, tz);
  const day = Math.floor(ms / DAY_MS);
  let days = dayOffsets.get(tz);
  if (!days) {
    days = new Map();
    dayOffsets.set(tz, days);
  }
  let off = days.get(day);
  if (off === undefined) {
    const start = exactZoneOffsetMs(day * DAY_MS, tz);
    const end = exactZoneOffsetMs((day + 1) * DAY_MS, tz);
    off = start === end ? start : null;
    if (days.size > 20_000) days.clear();
    days.set(day, off);
  }
  return off !== null ? off : exactZoneOffsetMs(ms, tz);
}

/**
 * The UTC instant (ms) of a wall-clock time in a zone (DST gaps resolve forward, overlaps to the earlier).
 * The offsets a day before and a day after bracket any transition near the wall time: with no transition they
 * agree; in an overlap both readings are valid and the earlier instant wins; in a gap neither is, and reading the
 * wall time with the offset in force before the gap moves it forward by the gap's length.
 */
export function zonedTimeToUtc(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  tz: string,
): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute, second);
  const before = zoneOffsetMs(guess - DAY_MS, tz);
  const after = zoneOffsetMs(guess + DAY_MS, tz);
  if (before === after) return guess - before;
  const a = guess - before;
  const b = guess - after;
  const aValid = zoneOffsetMs(a, tz) === before;
  const bValid = zoneOffsetMs(b, tz) === after;
  if (aValid && bValid) return Math.min(a, b);
  if (aValid) return a;
  if (bValid) return b;
  return a;
}

export interface WallTime {
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  dow?: number; // 0=Sun
}

/**
 * Parse the start-time forms license servers print:
 *   "Mon 1/20 10:30", "Sat 12/31 23:59", "1/20 10:30", "01/20 10:30:15", "Mon 1/20 10:30 (linger...)" (prefix only)
 */
export function parseWallTime(raw: string): WallTime | null {
  const m =
    /^\s*(?:([A-Za-z]{3})[a-z]*\.?,?\s+)?(\d{1,2})\/(\d{1,2})(?:\/\d{2,4})?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(raw);
  if (!m) return null;
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] ? Number(m[6]) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  let dow: number | undefined;
  if (m[1]) {
    const i = DOW.indexOf(m[1].toLowerCase());
    if (i >= 0) dow = i;
  }
  return { month, day, hour, minute, second, dow };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

let lastYear: { ms: number; zone: string; year: number } | null = null;

/** The calendar year of an instant in a zone (the poll instant repeats for every checkout of an output). */
function yearAt(ms: number, zone: string): number {
  if (lastYear && lastYear.ms === ms && lastYear.zone === zone) return lastYear.year;
  const year = wallClock(ms, zone).year;
  lastYear = { ms, zone, year };
  return year;
}

/** How far back a printed weekday may move a start time's year (and the oldest start a capture can imply). */
export const LOOKBACK_YEARS = 10;
/** Clock skew tolerated between the license server and the anchor instant (a start a few minutes "after" it). */
export const START_SKEW_MS = 5 * 60 * 1000;

/** A start time read against an anchor: the instant, and whether the printed weekday contradicts its date. */
export interface InferredStart {
  ms: number;
  /** A weekday was printed and no year within LOOKBACK_YEARS has it on this month/day. */
  weekdayMismatch: boolean;
}

/**
 * The one rule for year-less start times ("Mon 1/20 10:30", "01/20 10:30"), read as wall-clock time in `tz`
 * against `anchor` (the instant the capture states it was taken, else the fetch time): the most recent instant
 * not after the anchor (give or take START_SKEW_MS) whose month/day match, and, when a weekday is printed, whose
 * weekday matches too, looking back at most LOOKBACK_YEARS (this disambiguates Feb 29 and catches stale data).
 * When no year in that window has the printed weekday, the most recent matching month/day is used and
 * weekdayMismatch is set (the caller reports START_WEEKDAY_MISMATCH). Pure; never throws.
 * src/sources/flexlm/start-time.ts (StartTimeInferrer) is a memoised equivalent for the parsers' hot loops.
 */
export function inferStart(raw: string, anchor: Date, tz?: string): InferredStart | null {
  const w = parseWallTime(raw);
  if (!w) return null;
  const zone = tz && isValidTimeZone(tz) ? tz : processTimeZone();
  const nowMs = anchor.getTime();
  if (!Number.isFinite(nowMs)) return null;
  const nowYear = yearAt(nowMs, zone);
  let fallback: number | null = null;
  for (let year = nowYear + 1; year >= nowYear - LOOKBACK_YEARS; year--) {
    if (w.day > daysInMonth(year, w.month)) continue;
    const ms = zonedTimeToUtc(year, w.month, w.day, w.hour, w.minute, w.second, zone);
    if (!(Math.abs(ms) <= MAX_DATE_MS) || ms > nowMs + START_SKEW_MS) continue;
    if (w.dow === undefined) return { ms, weekdayMismatch: false };
    const dow = new Date(Date.UTC(year, w.month - 1, w.day)).getUTCDay();
    if (dow === w.dow) return { ms, weekdayMismatch: false };
    if (fallback === null) fallback = ms;
  }
  return fallback === null ? null : { ms: fallback, weekdayMismatch: true };
}

/** inferStart's instant as a Date (see inferStart for the rule). */
export function inferInstant(raw: string, now: Date, tz?: string): Date | null {
  const r = inferStart(raw, now, tz);
  return r ? new Date(r.ms) : null;
}

/** inferInstant as an ISO string, or null. */
export function inferStartedAt(raw: string, now: Date, tz?: string): string | null {
  const d = inferInstant(raw, now, tz);
  return d ? d.toISOString() : null;
}

/** Format an instant the way lmstat prints start times ("Mon 1/20 10:30") in a zone. */
export function formatLmstatTime(instant: Date, tz?: string): string {
  const zone = tz && isValidTimeZone(tz) ? tz : processTimeZone();
  const ms = instant instanceof Date ? instant.getTime() : NaN;
  if (!Number.isFinite(ms)) return ''; // an invalid Date has no wall clock (Intl would throw)
  const w = wallClock(ms, zone);
  const dow = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay();
  const name = DOW[dow];
  return `${name[0].toUpperCase()}${name.slice(1)} ${w.month}/${w.day} ${w.hour}:${String(w.minute).padStart(2, '0')}`;
}
