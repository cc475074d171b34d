/**
 * The calendar of a FlexLM debug log. Each line carries only a local time of day ("9:14:02"); the date comes from
 * date lines (TIMESTAMP, the lmgrd banner, SLOG headers), and between them from the clock itself: a time earlier
 * than the previous one means midnight passed (the date advances one day) — except in the repeated hour after a
 * daylight-saving fall-back, where the wall clock legitimately steps back (01:59:59 -> 01:00:00) and the date stays.
 * Times are wall-clock times in an IANA zone and become UTC instants through domain/time's zone conversion. Pure.
 */
import { zoneOffsetMs, zonedTimeToUtc } from '../../domain/time';

const DAY_MS = 86_400_000;
/** A backward step of the wall clock no longer than this can be a fall-back (the longest DST shift is 2 h). */
const MAX_FOLD_MS = 2 * 3_600_000;

export interface LocalDate {
  year: number;
  month: number; // 1-12
  day: number;
}

/** A valid calendar date, or null. */
export function makeDate(year: number, month: number, day: number): LocalDate | null {
  if (!(year >= 1970 && year <= 9999 && month >= 1 && month <= 12 && day >= 1)) return null;
  if (day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return null;
  return { year, month, day };
}

/** "2026-12-01" -> LocalDate, or null. */
export function parseIsoDate(s: string): LocalDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? makeDate(Number(m[1]), Number(m[2]), Number(m[3])) : null;
}

function nextDay(d: LocalDate): LocalDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + 1));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

function compareDates(a: LocalDate, b: LocalDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/**
 * The instants a wall-clock time can denote in a zone: one normally, two in a fall-back overlap ([earlier,
 * later]), and in a spring-forward gap the one zonedTimeToUtc moves it to.
 */
function laterInstant(d: LocalDate, sec: number, tz: string): number {
  const h = Math.floor(sec / 3600);
  const mi = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  const earlier = zonedTimeToUtc(d.year, d.month, d.day, h, mi, s, tz);
  const guess = Date.UTC(d.year, d.month - 1, d.day, h, mi, s);
  const after = zoneOffsetMs(guess + DAY_MS, tz);
  const b = guess - after;
  return b > earlier && zoneOffsetMs(b, tz) === after ? b : earlier;
}

/**
 * Walks the log's clock line by line. `setDate` (a date line) and `tick` (every timed line, in order) move it;
 * `instant` gives the UTC instant of a time of day on the current date, or NaN when no date is known yet.
 */
export class DebugLogClock {
  private date: LocalDate | null;
  /** UTC ms of the current date's local midnight when the zone's offset is the same all day, else NaN. */
  private dayBase = NaN;
  /** The current date has a transition and the repeated hour of a fall-back has begun. */
  private fold = false;
  private lastSec = -1;
  private lastMs = NaN;
  constructor(
    private readonly tz: string,
    fallback: LocalDate | null,
  ) {
    this.date = fallback;
    if (fallback) this.computeDayBase();
  }

  get known(): boolean {
    return this.date !== null;
  }

  /** The current local date as "YYYY-MM-DD", or null. */
  get dateText(): string | null {
    const d = this.date;
    if (!d) return null;
    return `${d.year}-${d.month < 10 ? '0' : ''}${d.month}-${d.day < 10 ? '0' : ''}${d.day}`;
  }

  /**
   * A date line printed at time of day `sec`: from now on the date is `d`. Returns true when this moves the date
   * backwards (the log's clock or its concatenation went back in time), for the caller to warn.
   */
  setDate(d: LocalDate, sec: number): boolean {
    const back = this.date !== null && compareDates(d, this.date) < 0;
    if (!this.date || compareDates(d, this.date) !== 0) {
      this.date = d;
      this.fold = false;
      this.computeDayBase();
    }
    this.lastSec = sec;
    this.lastMs = this.instant(sec);
    return back;
  }

  /** A timed line at time of day `sec` (0..86399), in file order: detects midnight and the DST fold. */
  tick(sec: number): void {
    if (sec < this.lastSec && this.date) {
      if (!this.isFold(sec)) {
        this.date = nextDay(this.date);
        this.fold = false;
        this.computeDayBase();
      }
    }
    this.lastSec = sec;
    if (this.date) this.lastMs = this.instant(sec);
  }

  /** The UTC instant (ms) of time of day `sec` on the current date; NaN without a date. */
  instant(sec: number): number {
    if (!this.date) return NaN;
    if (this.dayBase === this.dayBase) return this.dayBase + sec * 1000;
    if (this.fold) return laterInstant(this.date, sec, this.tz);
    return zonedTimeToUtc(
      this.date.year,
      this.date.month,
      this.date.day,
      Math.floor(sec / 3600),
      Math.floor((sec % 3600) / 60),
      sec % 60,
      this.tz,
    );
  }

  /** A backward step to `sec` is the repeated hour of a fall-back on this (transition) day. */
  private isFold(sec: number): boolean {
    if (this.fold || this.dayBase === this.dayBase || !this.date || this.lastMs !== this.lastMs) return false;
    const later = laterInstant(this.date, sec, this.tz);
    if (later >= this.lastMs && later - this.lastMs <= MAX_FOLD_MS) {
      this.fold = true;
      return true;
    }
    return false;
  }

  private computeDayBase(): void {
    const d = this.date!;
    const start = zonedTimeToUtc(d.year, d.month, d.day, 0, 0, 0, this.tz);
    const next = zonedTimeToUtc(d.year, d.month, d.day + 1, 0, 0, 0, this.tz);
    const constant = next - start === DAY_MS && zoneOffsetMs(start, this.tz) === zoneOffsetMs(next - 1000, this.tz);
    this.dayBase = constant ? start : NaN;
  }
}
