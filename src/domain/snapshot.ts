/**
 * The snapshot model: what one license server (or a redundant triad) said at one instant.
 * Pure data. Every adapter (flexlm, rlm, json, simulator, ingest) produces a Snapshot; validate()
 * judges it; the services and faces only ever read it.
 */

export type ServerStatus = 'UP' | 'DOWN' | 'UNKNOWN';
export type SourceType = 'flexlm' | 'rlm' | 'flexlm-file' | 'rlm-file' | 'json' | 'simulator' | 'ingest';
export type ReservationKind = 'HOST' | 'USER' | 'GROUP' | 'PROJECT' | 'DISPLAY' | 'INTERNET' | 'HOST_GROUP' | 'OTHER';
export type PoolType = 'floating' | 'nodelocked' | 'uncounted' | 'unknown';

/** A problem found while reading or validating. `code` is stable and machine-readable. */
export interface Issue {
  code: string;
  message: string;
  expected?: number | string | null;
  actual?: number | string | null;
}

/** Lines a parser could not place. Kept (count + first few) so nothing is silently dropped. */
export interface ParseWarning {
  code: string; // e.g. UNPARSED_LINE, BAD_DATE
  message: string;
  line?: number; // 1-based line number in the input
  text?: string; // the offending line (trimmed, capped)
  /** true when the line could have changed a count (makes the feature/report invalid). */
  affectsCounts?: boolean;
  feature?: string;
}

/** One member host of a license server (a triad has three). */
export interface ServerHost {
  host: string;
  port?: number | null;
  status: ServerStatus;
  master: boolean;
  version?: string | null; // "v11.16.2"
  message?: string | null; // "Cannot connect to license server system. (-15,570:115 ...)"
}

export interface VendorDaemon {
  name: string;
  status: ServerStatus;
  version?: string | null;
  host?: string | null; // rlm ISV host / flexlm master it runs on
  port?: number | null;
  message?: string | null; // "The desired vendor daemon is down. (-97,121)"
  /** Denials the daemon counted since it started, when it prints them (rlm ISV "Denials:" total column). */
  denials?: number | null;
}

export interface Pool {
  /** Name as the quoted pool line states it (may differ from the feature header, see lmstat_app1 feature0). */
  name?: string | null;
  version?: string | null; // "v12" / "3.0"
  vendor?: string | null;
  type: PoolType;
  issued?: number | null; // rlm pools carry a count; flexlm pool lines usually do not
  used?: number | null;
  reserved?: number | null;
  expiry?: string | null; // ISO date "2026-12-31", null = permanent or unknown
  expiryRaw?: string | null; // as printed: "01-jan-0000", "permanent"
  permanent?: boolean;
  lockedTo?: string | null; // nodelocked host id
  vendorString?: string | null;
}

export interface Checkout {
  username: string;
  hostname: string;
  display?: string | null;
  version?: string | null; // "v2023.1" without the leading v? keep as printed inside ( )
  /** "host/port handle" exactly as the Foretify Manager LicenseSummary shows it, e.g. "license02.foretellix.local/30001 48856" */
  serverInfo?: string | null;
  serverHost?: string | null;
  serverPort?: number | null;
  handle?: string | null;
  /** Licenses held by this checkout (", 4 licenses"); 1 by default. */
  count: number;
  /** Start time as the server printed it ("Mon 1/20 10:30"). */
  startTime: string;
  /** Inferred ISO instant, null when unparseable (a warning says why). */
  startedAt?: string | null;
  linger?: number | null; // seconds
  borrowed?: boolean;
  pid?: number | null;
  /** Sub-feature or VENDOR:SUB token seen on some lines. */
  detail?: string | null;
  /** What is wrong with this checkout's start (START_WEEKDAY_MISMATCH, START_IMPLAUSIBLE, START_AFTER_CAPTURE). */
  issues?: Issue[];
}

export interface Reservation {
  count: number;
  kind: ReservationKind;
  target: string; // the HOST/USER/GROUP name
  serverInfo?: string | null; // "(SERVER1/1713)"
}

export interface QueuedRequest {
  username: string;
  hostname: string;
  display?: string | null;
  count: number;
  serverInfo?: string | null;
  handle?: string | null;
  startTime?: string | null;
  startedAt?: string | null;
}

/**
 * A feature as one server reports it. `issued`/`used` are what the server SAID (header line).
 * They are null when the server could not report them (`error` set).
 */
export interface Feature {
  name: string;
  vendor?: string | null;
  issued: number | null;
  used: number | null;
  uncounted: boolean;
  /** The server could not report on this feature ("Cannot get users of X", "(Error: 21 licenses, unsupported...)"). */
  error?: { code: string; message: string } | null;
  pools: Pool[];
  checkouts: Checkout[];
  reservations: Reservation[];
  queued: QueuedRequest[];
  /** Denials counted by the server when printed (rlm). */
  denials?: number | null;
  /** Free count as the source itself reported it (JSON sources); checked against issued - used. */
  reportedFree?: number | null;
}

export interface Snapshot {
  serverId: string;
  sourceType: SourceType;
  /** When the data was taken (ISO), on our clock. */
  fetchedAt: string;
  /**
   * When the capture says it was taken (ISO: lmstat's "status on" line, rlmstat's statistics, JSON server.fetchedAt),
   * on the license server's clock; start times were inferred against it. Null/absent: the capture states no time.
   */
  capturedAt?: string | null;
  status: ServerStatus;
  /** lmgrd / rlm version of the master when known. */
  version?: string | null;
  hosts: ServerHost[];
  vendorDaemons: VendorDaemon[];
  features: Feature[];
  warnings: ParseWarning[];
  /** Why the server is DOWN/UNKNOWN, when it is. */
  error?: string | null;
}

export function emptySnapshot(serverId: string, sourceType: SourceType, fetchedAt: Date | string): Snapshot {
  return {
    serverId,
    sourceType,
    fetchedAt: typeof fetchedAt === 'string' ? fetchedAt : fetchedAt.toISOString(),
    status: 'UNKNOWN',
    version: null,
    hosts: [],
    vendorDaemons: [],
    features: [],
    warnings: [],
    error: null,
  };
}

export function emptyFeature(name: string): Feature {
  return {
    name,
    vendor: null,
    issued: null,
    used: null,
    uncounted: false,
    error: null,
    pools: [],
    checkouts: [],
    reservations: [],
    queued: [],
  };
}

/** Options every pure parser takes. */
export interface ParseOptions {
  serverId?: string;
  /**
   * The fetch instant. Start times are inferred against the capture's own time when it states one
   * (domain/capture-time), else against this.
   */
  now?: Date;
  /** IANA zone the server prints its times in (default: the process zone). */
  timeZone?: string;
}
