/**
 * The instant a capture states it was taken, and what start times may be trusted relative to it. Pure; never throws.
 *
 * License servers print start times without a year ("Fri 10/20 16:44"); domain/time's inferStart needs an anchor
 * to pick the year. The capture states its own: lmstat prints "Flexible License Manager status on Fri 10/20/2017
 * 17:02" and rlmstat "Recent Statistics (00:16:08), init time: Wed Nov  3 12:32:30 2021" (init time + elapsed),
 * both on the license server's clock, in its zone (the server's configured timeZone); licensegraph's own JSON has
 * server.fetchedAt. That instant is the anchor; without it, the fetch time (or `licensegraph parse --now`) is.
 */
import type { Checkout, Issue, ParseWarning } from './snapshot';
import { isValidTimeZone, LOOKBACK_YEARS, MONTHS, processTimeZone, START_SKEW_MS, zonedTimeToUtc } from './time';

/** A capture time before this is not believed (a server clock reset to 1970, a forged header). */
export const EARLIEST_CAPTURE_MS = Date.UTC(1990, 0, 1);
/** Clock skew worth an issue (CLOCK_SKEW) on a live server. */
export const CLOCK_SKEW_ISSUE_SECONDS = 5 * 60;
/** Starts more than this before the capture are implausible (START_IMPLAUSIBLE): no inference ever goes that far. */
export const PLAUSIBLE_START_WINDOW_MS = (LOOKBACK_YEARS + 1) * 366 * 24 * 3600 * 1000;

function zoneOf(tz: string | undefined): string {
  return tz && isValidTimeZone(tz) ? tz : processTimeZone();
}

function wallToMs(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  tz: string | undefined,
): number | null {
  if (!(y >= 1000 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 59))
    return null;
  if (d > new Date(Date.UTC(y, mo, 0)).getUTCDate()) return null;
  return zonedTimeToUtc(y, mo, d, h, mi, s, zoneOf(tz));
}

const LMSTAT_STATUS_RE =
  /Flexible License Manager status on\s+(?:[A-Za-z]{3}[a-z]*\.?,?\s+)?(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?/;

/** The "Flexible License Manager status on Fri 10/20/2017 17:02" instant (first such line), or null. */
export function lmstatCaptureTime(text: string, tz?: string): number | null {
  const at = text.indexOf('Flexible License Manager status on');
  if (at < 0) return null;
  const m = LMSTAT_STATUS_RE.exec(text.slice(at, at + 120));
  if (!m) return null;
  return wallToMs(Number(m[3]), Number(m[1]), Number(m[2]), Number(m[4]), Number(m[5]), m[6] ? Number(m[6]) : 0, tz);
}

const RLM_STATS_RE =
  /(Recent|Todays) Statistics \(\s*(?:(\d+)d\s+)?(\d{1,2}):(\d{2}):(\d{2})\s*\),\s*init time:\s*[A-Za-z]{3}\s+([A-Za-z]{3})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})/g;

/**
 * rlmstat's own time: a statistics block's init time plus its elapsed time ("Recent Statistics (00:16:08), init
 * time: Wed Nov  3 12:32:30 2021" -> Nov 3 12:48:38). The rlm server's block ("Recent" before "Todays") comes first.
 */
export function rlmstatCaptureTime(text: string, tz?: string): number | null {
  const head = text.length > 64 * 1024 ? text.slice(0, 64 * 1024) : text;
  let best: { recent: boolean; ms: number } | null = null;
  RLM_STATS_RE.lastIndex = 0;
  for (let m = RLM_STATS_RE.exec(head); m; m = RLM_STATS_RE.exec(head)) {
    const month = MONTHS[m[6].toLowerCase()] ?? 0;
    const init = wallToMs(Number(m[11]), month, Number(m[7]), Number(m[8]), Number(m[9]), Number(m[10]), tz);
    if (init === null) continue;
    const elapsed = ((Number(m[2] ?? 0) * 24 + Number(m[3])) * 60 + Number(m[4])) * 60 + Number(m[5]);
    const recent = m[1] === 'Recent';
    if (!best || (recent && !best.recent)) best = { recent, ms: init + elapsed * 1000 };
    if (recent) break;
  }
  return best ? best.ms : null;
}

export interface Anchor {
  /** What start times are inferred against. */
  anchor: Date;
  /** The capture's own instant (ISO) when it stated a believable one, else null. */
  capturedAt: string | null;
  /** Why a stated capture time was not used. */
  warning: ParseWarning | null;
}

/** The anchor for a capture: its own time when believable, else `fallback` (the fetch time, or parse --now). */
export function resolveAnchor(captured: number | null, fallback: Date): Anchor {
  if (captured === null || !Number.isFinite(captured)) return { anchor: fallback, capturedAt: null, warning: null };
  const iso = new Date(captured).toISOString();
  // A capture time after the fetch is still the server's own clock, which its start times are printed in: it
  // stays the anchor (clockSkewSeconds reports the difference for live servers). A clock reset to 1970 is not.
  if (captured < EARLIEST_CAPTURE_MS) {
    return {
      anchor: fallback,
      capturedAt: null,
      warning: {
        code: 'CAPTURE_TIME_IMPLAUSIBLE',
        message: `the capture says it was taken at ${iso}; not believed (before 1990), start times are read against ${fallback.toISOString()}`,
        affectsCounts: false,
      },
    };
  }
  return { anchor: new Date(captured), capturedAt: iso, warning: null };
}

/** The issue a printed weekday contradicting the inferred date gets on its checkout. */
export function weekdayMismatchIssue(startTime: string, startedAt: string): Issue {
  return {
    code: 'START_WEEKDAY_MISMATCH',
    message: `the start time "${startTime}" names a weekday that ${startedAt.slice(0, 10)} (the most recent matching date) does not have, nor does any year in the last ${LOOKBACK_YEARS}`,
    expected: startTime.slice(0, 3),
    actual: startedAt,
  };
}

/**
 * Issues of a start instant relative to the capture instant: START_IMPLAUSIBLE before the plausible window,
 * START_AFTER_CAPTURE later than the capture (give or take START_SKEW_MS). Such starts are not counted in history.
 */
export function startIssues(startedAt: string | null | undefined, anchorMs: number): Issue[] {
  if (!startedAt) return [];
  const ms = Date.parse(startedAt);
  if (!Number.isFinite(ms) || !Number.isFinite(anchorMs)) return [];
  if (ms < anchorMs - PLAUSIBLE_START_WINDOW_MS) {
    return [
      {
        code: 'START_IMPLAUSIBLE',
        message: `start ${startedAt} is more than ${LOOKBACK_YEARS} years before the capture (${new Date(anchorMs).toISOString()})`,
        expected: `>= ${new Date(anchorMs - PLAUSIBLE_START_WINDOW_MS).toISOString()}`,
        actual: startedAt,
      },
    ];
  }
  if (ms > anchorMs + START_SKEW_MS) {
    return [
      {
        code: 'START_AFTER_CAPTURE',
        message: `start ${startedAt} is after the capture (${new Date(anchorMs).toISOString()})`,
        expected: `<= ${new Date(anchorMs).toISOString()}`,
        actual: startedAt,
      },
    ];
  }
  return [];
}

/** Codes that make a checkout's start untrusted: history counts it from when it was observed. */
export const UNTRUSTED_START_CODES: ReadonlySet<string> = new Set(['START_IMPLAUSIBLE', 'START_AFTER_CAPTURE']);

export function hasUntrustedStart(c: Pick<Checkout, 'issues'>): boolean {
  return !!c.issues && c.issues.some((i) => UNTRUSTED_START_CODES.has(i.code));
}

/** Live sources: the capture's clock minus ours, in whole seconds (null when the capture states no time). */
export function clockSkewSeconds(capturedAt: string | null | undefined, fetchedAt: string): number | null {
  if (!capturedAt) return null;
  const a = Date.parse(capturedAt);
  const b = Date.parse(fetchedAt);
  return Number.isFinite(a) && Number.isFinite(b) ? Math.round((a - b) / 1000) : null;
}
