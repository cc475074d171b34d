/** Result types of the FlexLM debug-log parser (debuglog.ts). Plain data: JSON-serialisable, storable as is. */
import type { ParseWarning } from '../../domain/snapshot';

export const DEBUG_EVENT_TYPES = ['OUT', 'IN', 'DENIED', 'QUEUED', 'DEQUEUED', 'UNSUPPORTED'] as const;
/** OUT: a checkout; IN: a checkin; DENIED / UNSUPPORTED: a refused request; QUEUED / DEQUEUED: a wait for a license. */
export type DebugEventType = (typeof DEBUG_EVENT_TYPES)[number];

/**
 * What the reason in parentheses says: INACTIVE (the client's inactivity timeout checked it in), SHUTDOWN (the
 * daemon went down), ERROR (a FlexLM error code is given, as in denials), OTHER (any other text). null: no reason.
 */
export type DebugReasonKind = 'INACTIVE' | 'SHUTDOWN' | 'ERROR' | 'OTHER';

export interface DebugLogEvent {
  /** Stable identity (16 hex digits): see debuglog-id.ts. Equal events of two overlapping logs get equal ids. */
  id: string;
  type: DebugEventType;
  /** The instant as ISO UTC, or null when no date was known for the line (or its time is unreadable). */
  at: string | null;
  /** The time of day exactly as printed ("9:14:02"). */
  time: string;
  /** The daemon that wrote the line ("cdslmd"). */
  vendor: string;
  feature: string;
  user: string;
  host: string;
  /** Licenses: "(N licenses)" when printed, else 1. */
  count: number;
  /** The bracketed part of token-based lines, without brackets: "MSCONE:NASTRAN". */
  token: string | null;
  /** The text of the parenthesised reason(s) other than the count, verbatim: "INACTIVE", "Licensed number ... (-4,342)". */
  reason: string | null;
  reasonKind: DebugReasonKind | null;
  /** The FlexLM error code in the reason: "-4,342" or "-4,342:10054". */
  errorCode: string | null;
  /** Parenthesised text between the feature and user@host (some UNSUPPORTED lines: "PORT_AT_HOST_PLUS"). */
  detail: string | null;
  /** 1-based line number in this text (where it was read; not part of the identity). */
  line: number;
}

/**
 * Why a line could not be placed:
 *   no-time        not blank, but no "H:MM:SS (daemon) " prefix (e.g. a continuation of a wrapped line)
 *   bad-time       a prefix whose time is unreadable ("12:49:5a3") on a line that is not an event
 *   bad-event      an event keyword (OUT:, IN:, DENIED: ...) whose fields cannot be read (no quoted feature,
 *                  no user@host)
 *   bad-date       a date line whose date is impossible ("TIMESTAMP 13/45/2026")
 */
export type UnparsedWhy = 'no-time' | 'bad-time' | 'bad-event' | 'bad-date';

export interface UnparsedLine {
  line: number;
  /** the line, trimmed and capped at 200 characters */
  text: string;
  why: UnparsedWhy;
}

/**
 * Every line of the text falls in exactly one class, so
 *   lines = events + dateLines + ignored + blank + unparsed.
 * events: event lines (OUT, IN, DENIED, QUEUED, DEQUEUED, UNSUPPORTED), including those whose time is unreadable
 *   (kept with at: null and a warning); dateLines: TIMESTAMP, the lmgrd "started on ... (m/d/yyyy)" banner,
 *   "Server's System Date and Time:", SLOG "Start-Date:" and "Time:"; ignored: every other line with a valid
 *   "H:MM:SS (daemon) " prefix — daemon chatter (start-up banners, feature lists, SLOG statistics, vendor
 *   messages such as "Acquired 13 licenses for Group ..."), read and deliberately not interpreted; blank: empty or
 *   whitespace-only lines; unparsed: the rest (see UnparsedWhy), sampled in `unparsed.samples`.
 */
export interface DebugLogSummary {
  lines: number;
  events: number;
  dateLines: number;
  ignored: number;
  blank: number;
  unparsed: number;
  /** Events per type. */
  byType: Record<DebugEventType, number>;
  /** Events with at: null. */
  undated: number;
  /** Local date ("YYYY-MM-DD") of the first and the last dated event. */
  firstDate: string | null;
  lastDate: string | null;
}

export interface DebugLogResult {
  events: DebugLogEvent[];
  unparsed: { count: number; samples: UnparsedLine[] };
  summary: DebugLogSummary;
  /** The zone times were read in (the option, or UTC when it was missing or invalid). */
  timeZone: string;
  warnings: ParseWarning[];
}

export interface DebugLogOptions {
  /** IANA zone the server's clock runs in. Invalid or missing: UTC, with a warning. */
  timeZone?: string;
  /** "YYYY-MM-DD": the date of the lines before the first date line (else their events have at: null). */
  fallbackDate?: string;
  /** How many unparsed lines to keep as samples (default 20). */
  maxSamples?: number;
}
