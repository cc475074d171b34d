/**
 * Time inference for license-server output. lmstat prints "Mon 1/20 10:30" and rlmstat "01/20 10:30":
 * no year, no zone. We take the most recent instant not after the poll time, reading the wall clock
 * in the server's zone. Pure; never throws.
 */

const DOW = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function processTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
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
export function wallClock(ms: number, tz: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const parts = formatterFor(tz).formatToParts(new Date(ms));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour') % 24, minute: get('minute'), second: get('second') };
}

/** Offset (ms) of a zone at an instant: local wall clock minus UTC. */
export function zoneOffsetMs(ms: number, tz: string): number {
  const w = wallClock(ms, tz);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant (ms) of a wall-clock time in a zone (DST gaps resolve forward, overlaps to the earlier). */
export function zonedTimeToUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, tz: string): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute, second);
  let off = zoneOffsetMs(guess, tz);
  let ms = guess - off;
  const off2 = zoneOffsetMs(ms, tz);
  if (off2 !== off) {
    off = off2;
    ms = guess - off;
  }
  return ms;
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
  const m = /^\s*(?:([A-Za-z]{3})[a-z]*\.?,?\s+)?(\d{1,2})\/(\d{1,2})(?:\/\d{2,4})?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(raw);
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

/**
 * Most recent instant not after `now` (tolerating a few minutes of clock skew between the license server
 * and us) whose wall clock in `tz` matches. When a weekday is printed, a year where it matches is preferred
 * (it disambiguates Feb 29 and catches stale data), without looking back more than 7 years.
 */
export function inferInstant(raw: string, now: Date, tz?: string): Date | null {
  const w = parseWallTime(raw);
  if (!w) return null;
  const zone = tz && isValidTimeZone(tz) ? tz : processTimeZone();
  const nowMs = now.getTime();
  if (!Number.isFinite(nowMs)) return null;
  const skewMs = 5 * 60 * 1000;
  const nowYear = wallClock(nowMs, zone).year;
  let fallback: number | null = null;
  for (let year = nowYear + 1; year >= nowYear - 7; year--) {
    if (w.day > daysInMonth(year, w.month)) continue;
    const ms = zonedTimeToUtc(year, w.month, w.day, w.hour, w.minute, w.second, zone);
    if (ms > nowMs + skewMs) continue;
    if (w.dow === undefined) return new Date(ms);
    const dow = new Date(Date.UTC(year, w.month - 1, w.day)).getUTCDay();
    if (dow === w.dow) return new Date(ms);
    if (fallback === null && year >= nowYear - 1) fallback = ms;
  }
  return fallback === null ? null : new Date(fallback);
}

/** inferInstant as an ISO string, or null. */
export function inferStartedAt(raw: string, now: Date, tz?: string): string | null {
  const d = inferInstant(raw, now, tz);
  return d ? d.toISOString() : null;
}

/** Format an instant the way lmstat prints start times ("Mon 1/20 10:30") in a zone. */
export function formatLmstatTime(instant: Date, tz?: string): string {
  const zone = tz && isValidTimeZone(tz) ? tz : processTimeZone();
  const w = wallClock(instant.getTime(), zone);
  const dow = new Date(Date.UTC(w.year, w.month - 1, w.day)).getUTCDay();
  const name = DOW[dow];
  return `${name[0].toUpperCase()}${name.slice(1)} ${w.month}/${w.day} ${w.hour}:${String(w.minute).padStart(2, '0')}`;
}
