/**
 * The Foretify Manager LicenseSummary JSON <-> Snapshot. Pure: no I/O.
 *
 *   { "summaryByFeature": [ { "info": { "name", "issued", "used", "free" },
 *                             "checkouts": [ { "username", "hostname", "startTime", "serverInfo" } ],
 *                             "valid" } ],
 *     "valid" }
 *
 * Reading (mapLicenseSummary / tryMapLicenseSummary), used by the json source and by push-mode ingest:
 *  - The shape is checked strictly where it carries data: a wrong type is rejected with the JSON path that is
 *    wrong ("summaryByFeature[3].info.issued must be a number"). Unknown fields are ignored.
 *  - issued/used must be whole numbers or null (null = not reported, which validate() flags); negative numbers are
 *    kept so validate() can say so. `free` becomes Feature.reportedFree, so validate() checks it against
 *    issued - used. The source's own `valid` flags are not trusted: validate() recomputes them; a false flag is
 *    kept as a SOURCE_MARKED_INVALID warning (it does not affect counts).
 *  - serverInfo "host/port handle" (e.g. "license02.foretellix.local/30001 48856") is split into serverHost,
 *    serverPort and handle; any other form is kept as is.
 *  - startedAt is inferred from startTime ("Mon 1/20 10:30") against `now` in the server's zone, unless the
 *    checkout carries a valid ISO startedAt itself (licensegraph's own extended output does).
 *  - The extended fields licensegraph itself prints are read when present: info-level `uncounted`, checkout
 *    `display`, `version`, `handle`, `count`, `startedAt`.
 * Writing (snapshotToLicenseSummary): the LicenseSummary shape plus the extra fields (issues, uncounted, display, version,
 * handle, count, startedAt, server, warnings); what `licensegraph parse` prints.
 */
import type {
  Checkout,
  Feature,
  Issue,
  ParseWarning,
  ServerHost,
  Snapshot,
  SourceType,
  VendorDaemon,
} from '../../domain/snapshot';
import { emptyFeature, emptySnapshot } from '../../domain/snapshot';
import { resolveAnchor, startIssues, weekdayMismatchIssue } from '../../domain/capture-time';
import { inferStart } from '../../domain/time';
import { validate, type SnapshotVerdict } from '../../domain/validate';
import { earliestExpiry } from '../../domain/expiry';
import { SourceError } from '../source';

export interface MapOptions {
  serverId: string;
  /** The instant start times are inferred against (default: now). Also the snapshot's fetchedAt. */
  now?: Date;
  /** IANA zone the start times are written in (default: the process zone). */
  timeZone?: string;
  /** 'json' (default) or 'ingest'. */
  sourceType?: SourceType;
}

export type MapResult = { ok: true; snapshot: Snapshot } | { ok: false; path: string; message: string };

/** LicenseSummary checkout plus licensegraph's extra fields. */
export interface LicenseSummaryCheckout {
  username: string;
  hostname: string;
  startTime: string;
  serverInfo: string | null;
  display?: string | null;
  version?: string | null;
  handle?: string | null;
  count?: number;
  startedAt?: string | null;
  issues?: Issue[];
}

export interface LicenseSummaryFeature {
  info: { name: string; issued: number | null; used: number | null; free: number | null };
  checkouts: LicenseSummaryCheckout[];
  valid: boolean;
  issues?: Issue[];
  uncounted?: boolean;
  error?: { code: string; message: string } | null;
  /** As the GraphQL Feature type names them: licenses held by RESERVATIONs, the reservations, queued requests, pools, earliest expiry. */
  reserved?: number;
  reservations?: Array<{ count: number; kind: string; target: string }>;
  queued?: Array<{
    username: string;
    hostname: string;
    count: number;
    startTime: string | null;
    startedAt: string | null;
  }>;
  pools?: Array<{
    version: string | null;
    vendor: string | null;
    type: string;
    issued: number | null;
    expiry: string | null;
    expiryRaw: string | null;
    permanent: boolean;
  }>;
  expiry?: string | null;
}

export interface LicenseSummary {
  summaryByFeature: LicenseSummaryFeature[];
  valid: boolean;
  issues?: Issue[];
  server?: {
    id: string;
    type: SourceType;
    status: Snapshot['status'];
    version: string | null;
    error: string | null;
    fetchedAt: string;
    capturedAt?: string | null;
    hosts: ServerHost[];
    vendorDaemons: VendorDaemon[];
  };
  warnings?: ParseWarning[];
}

/** "host/port handle" (or "host/port") -> its parts; null for any other form. */
export function splitServerInfo(
  serverInfo: string | null | undefined,
): { host: string; port: number; handle: string | null } | null {
  if (typeof serverInfo !== 'string') return null;
  const m = /^\s*([^\s/]+)\/(\d{1,5})(?:\s+(\S+))?\s*$/.exec(serverInfo);
  if (!m) return null;
  const port = Number(m[2]);
  if (port > 65535) return null;
  return { host: m[1], port, handle: m[3] ?? null };
}

class ShapeError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path} ${message}`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

function countOrNull(v: unknown, path: string): number | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(path, `must be a number (got ${describe(v)})`);
  if (!Number.isInteger(v)) throw new ShapeError(path, `must be a whole number (got ${v})`);
  return v;
}

function requiredString(v: unknown, path: string): string {
  if (typeof v !== 'string')
    throw new ShapeError(path, `must be a string (got ${v === undefined ? 'nothing' : describe(v)})`);
  return v;
}

function optionalString(v: unknown, path: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new ShapeError(path, `must be a string or null (got ${describe(v)})`);
  return v;
}

function optionalBool(v: unknown, path: string): boolean | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'boolean') throw new ShapeError(path, `must be true or false (got ${describe(v)})`);
  return v;
}

function mapCheckout(
  raw: unknown,
  path: string,
  now: Date,
  tz: string | undefined,
  warnings: ParseWarning[],
  feature: string,
): Checkout {
  if (!isObj(raw)) throw new ShapeError(path, `must be an object (got ${describe(raw)})`);
  const username = requiredString(raw.username, `${path}.username`);
  const hostname = requiredString(raw.hostname, `${path}.hostname`);
  const startTime = optionalString(raw.startTime, `${path}.startTime`) ?? '';
  const serverInfo = optionalString(raw.serverInfo, `${path}.serverInfo`);
  let count = 1;
  if (raw.count !== undefined && raw.count !== null) {
    const n = countOrNull(raw.count, `${path}.count`)!;
    if (n < 1) throw new ShapeError(`${path}.count`, `must be at least 1 (got ${n})`);
    count = n;
  }
  const split = splitServerInfo(serverInfo);
  const handle = optionalString(raw.handle, `${path}.handle`) ?? split?.handle ?? null;
  let startedAt: string | null = null;
  let issues: Issue[] = [];
  const given = optionalString(raw.startedAt, `${path}.startedAt`);
  if (given !== null) {
    const ms = Date.parse(given);
    if (!Number.isFinite(ms))
      throw new ShapeError(`${path}.startedAt`, `must be an ISO date-time (got ${describe(given)})`);
    startedAt = new Date(ms).toISOString();
    // a start given as an instant is taken as sent, but judged against the capture (1970, year 1, the future)
    issues = startIssues(startedAt, now.getTime());
  } else if (startTime) {
    const r = inferStart(startTime, now, tz);
    startedAt = r ? new Date(r.ms).toISOString() : null;
    if (r?.weekdayMismatch && startedAt) issues = [weekdayMismatchIssue(startTime, startedAt)];
    if (startedAt === null) {
      warnings.push({
        code: 'BAD_DATE',
        message: `${path}.startTime: cannot read the start time "${startTime.slice(0, 80)}"`,
        feature,
        affectsCounts: false,
      });
    }
  }
  const out: Checkout = {
    username,
    hostname,
    display: optionalString(raw.display, `${path}.display`),
    version: optionalString(raw.version, `${path}.version`),
    serverInfo,
    serverHost: split?.host ?? null,
    serverPort: split?.port ?? null,
    handle,
    count,
    startTime,
    startedAt,
  };
  if (issues.length > 0) out.issues = issues;
  return out;
}

function mapFeature(raw: unknown, path: string, now: Date, tz: string | undefined, warnings: ParseWarning[]): Feature {
  if (!isObj(raw)) throw new ShapeError(path, `must be an object (got ${describe(raw)})`);
  const info = raw.info;
  if (!isObj(info))
    throw new ShapeError(`${path}.info`, `must be an object (got ${info === undefined ? 'nothing' : describe(info)})`);
  const name = requiredString(info.name, `${path}.info.name`);
  if (!name.trim()) throw new ShapeError(`${path}.info.name`, 'must not be empty');
  const f = emptyFeature(name);
  f.issued = countOrNull(info.issued, `${path}.info.issued`);
  f.used = countOrNull(info.used, `${path}.info.used`);
  f.reportedFree = countOrNull(info.free, `${path}.info.free`);
  f.uncounted =
    (optionalBool(raw.uncounted, `${path}.uncounted`) ?? optionalBool(info.uncounted, `${path}.info.uncounted`)) ===
    true;
  const checkouts = raw.checkouts;
  if (checkouts !== undefined && checkouts !== null) {
    if (!Array.isArray(checkouts))
      throw new ShapeError(`${path}.checkouts`, `must be an array (got ${describe(checkouts)})`);
    f.checkouts = checkouts.map((c, i) => mapCheckout(c, `${path}.checkouts[${i}]`, now, tz, warnings, name));
  }
  const valid = optionalBool(raw.valid, `${path}.valid`);
  if (valid === false) {
    warnings.push({
      code: 'SOURCE_MARKED_INVALID',
      message: `the source marked ${name} invalid`,
      feature: name,
      affectsCounts: false,
    });
  }
  return f;
}

/** Map a parsed LicenseSummary document; a wrong shape gives the JSON path that is wrong. Never throws. */
export function tryMapLicenseSummary(value: unknown, opts: MapOptions): MapResult {
  const fetched = opts.now ?? new Date();
  const snap = emptySnapshot(opts.serverId, opts.sourceType ?? 'json', fetched);
  try {
    if (!isObj(value)) throw new ShapeError('(root)', `must be a LicenseSummary object (got ${describe(value)})`);
    // licensegraph's own output states when it was read (server.fetchedAt): the anchor for start times
    const server = isObj(value.server) ? value.server : null;
    const statedText = server ? (typeof server.capturedAt === 'string' ? server.capturedAt : server.fetchedAt) : null;
    const stated = typeof statedText === 'string' ? Date.parse(statedText) : NaN;
    const a = resolveAnchor(Number.isFinite(stated) ? stated : null, fetched);
    const now = a.anchor;
    snap.capturedAt = a.capturedAt;
    if (a.warning) snap.warnings.push(a.warning);
    const list = value.summaryByFeature;
    if (!Array.isArray(list))
      throw new ShapeError(
        'summaryByFeature',
        `must be an array (got ${list === undefined ? 'nothing' : describe(list)})`,
      );
    const valid = optionalBool(value.valid, 'valid');
    snap.features = list.map((f, i) => mapFeature(f, `summaryByFeature[${i}]`, now, opts.timeZone, snap.warnings));
    if (valid === false)
      snap.warnings.push({
        code: 'SOURCE_MARKED_INVALID',
        message: 'the source marked its report invalid',
        affectsCounts: false,
      });
    snap.status = 'UP';
    return { ok: true, snapshot: snap };
  } catch (e) {
    if (e instanceof ShapeError) return { ok: false, path: e.path, message: e.message };
    return {
      ok: false,
      path: '(root)',
      message: `cannot read the document: ${e instanceof Error ? e.message : String(e)}`,
    };
  }
}

/** Map a parsed LicenseSummary document; throws SourceError PARSE naming the JSON path that is wrong. */
export function mapLicenseSummary(value: unknown, opts: MapOptions): Snapshot {
  const r = tryMapLicenseSummary(value, opts);
  if (!r.ok) throw new SourceError(r.message, 'PARSE');
  return r.snapshot;
}

/** Parse LicenseSummary JSON text; malformed JSON or a wrong shape throws SourceError PARSE. */
export function parseLicenseSummaryJson(text: string, opts: MapOptions): Snapshot {
  let value: unknown;
  try {
    value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new SourceError(`not valid JSON: ${(e as Error).message}`, 'PARSE');
  }
  return mapLicenseSummary(value, opts);
}

/** A snapshot as LicenseSummary JSON with licensegraph's extra fields. */
export function snapshotToLicenseSummary(
  snapshot: Snapshot,
  verdict: SnapshotVerdict = validate(snapshot),
): LicenseSummary {
  return {
    summaryByFeature: snapshot.features.map((f, i): LicenseSummaryFeature => {
      const fv = verdict.features[i];
      const out: LicenseSummaryFeature = {
        info: {
          name: f.name,
          issued: f.uncounted ? null : f.issued,
          used: f.uncounted ? null : f.used,
          free: f.uncounted || f.error ? null : (fv?.free ?? null),
        },
        checkouts: f.checkouts.map((c) => ({
          username: c.username,
          hostname: c.hostname,
          startTime: c.startTime,
          serverInfo: c.serverInfo ?? null,
          display: c.display ?? null,
          version: c.version ?? null,
          handle: c.handle ?? null,
          count: c.count,
          startedAt: c.startedAt ?? null,
          ...(c.issues && c.issues.length > 0 ? { issues: c.issues } : {}),
        })),
        valid: fv?.valid ?? false,
        issues: fv?.issues ?? [],
        uncounted: f.uncounted,
        reserved: fv?.reserved ?? 0,
        reservations: f.reservations.map((r) => ({ count: r.count, kind: r.kind, target: r.target })),
        queued: f.queued.map((q) => ({
          username: q.username,
          hostname: q.hostname,
          count: q.count,
          startTime: q.startTime ?? null,
          startedAt: q.startedAt ?? null,
        })),
        pools: f.pools.map((p) => ({
          version: p.version ?? null,
          vendor: p.vendor ?? null,
          type: p.type,
          issued: p.issued ?? null,
          expiry: p.expiry ?? null,
          expiryRaw: p.expiryRaw ?? null,
          permanent: !!p.permanent,
        })),
        expiry: earliestExpiry(f.pools.map((p) => ({ expiry: p.expiry ?? null, permanent: !!p.permanent }))),
      };
      if (f.error) out.error = f.error;
      return out;
    }),
    valid: verdict.valid,
    issues: verdict.issues,
    server: {
      id: snapshot.serverId,
      type: snapshot.sourceType,
      status: snapshot.status,
      version: snapshot.version ?? null,
      error: snapshot.error ?? null,
      fetchedAt: snapshot.fetchedAt,
      capturedAt: snapshot.capturedAt ?? null,
      hosts: snapshot.hosts,
      vendorDaemons: snapshot.vendorDaemons,
    },
    warnings: snapshot.warnings,
  };
}
