/**
 * Usage history, the read side: aggregated usage (group by server, feature, version, user, host and time buckets in
 * a time zone), per-feature history for charts and utilization histograms.
 *
 * Sessions contribute to a bucket the part of them inside bucket and window (license-seconds = count x seconds).
 * A session counts once in every bucket it overlaps. Two ways to the same numbers:
 *  - rollup: whole UTC days from usage_daily (closed sessions, per day/server/feature/version/user) plus, computed
 *    from the sessions themselves, the partial days at either end of the window and the still-open sessions. Used
 *    when every bucket boundary is a UTC midnight (no TIME grouping, or DAY/WEEK/MONTH in a zone that is UTC all
 *    year) and neither HOST grouping nor a host filter is asked for.
 *  - raw: every session overlapping the window, split at bucket boundaries (HOUR buckets, other zones, hosts).
 * Both find the sessions of a time range through indexes: those that started in it (started_at) and those that
 * crossed the midnight before it (checkout_session_days), never a scan from the beginning of time.
 *
 * Counting a session once per bucket when a bucket is assembled from pieces (rollup days, partial days): a piece
 * counts the sessions that started inside it, and the first piece of a bucket also counts those carried into it.
 *
 * Samples give peakInUse and averageInUse per (server, feature) series; they exist only for groupings made of
 * SERVER, FEATURE and TIME without user or host filters. A sample holds until the next sample of its series; the
 * latest holds until the server's last UP poll.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db';
import { epochMs, rowsOf, textArray } from './history';

export type UsageDimension = 'SERVER' | 'FEATURE' | 'VERSION' | 'USER' | 'HOST' | 'TIME';
export type TimeBucket = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';

export interface UsageQuery {
  groupBy: UsageDimension[];
  /** Required when groupBy has TIME. */
  bucket?: TimeBucket | null;
  /** IANA zone for TIME buckets (checked by the caller). */
  timeZone: string;
  from: Date;
  to: Date;
  /** Feature names or globs (any matches). */
  features?: string[];
  /** A second feature pattern list that must also match (the REST compat resource_name). */
  resources?: string[];
  users?: string[];
  hosts?: string[];
  /** Exact server ids. */
  servers?: string[];
  /** Result rows above this are an error (TooManyRowsError). */
  maxRows?: number;
  /** Force the raw path (tests compare the two). */
  forceRaw?: boolean;
}

export interface UsageRowData {
  bucketStart: Date | null;
  server: string | null;
  feature: string | null;
  version: string | null;
  user: string | null;
  host: string | null;
  sessions: number;
  licenseSeconds: number;
  distinctUsers: number;
  firstSeen: Date | null;
  lastSeen: Date | null;
  peakInUse: number | null;
  averageInUse: number | null;
}

export interface SeriesKey {
  serverId: string;
  feature: string;
}

export interface HistoryPoint {
  serverId: string;
  feature: string;
  bucketStart: Date;
  issued: number | null;
  /** Time-weighted mean of used over the known part of the bucket. */
  used: number | null;
  peak: number | null;
  peakQueued: number | null;
  knownSeconds: number;
}

export interface HistogramBin {
  serverId: string;
  feature: string;
  inUse: number;
  seconds: number;
}

export class TooManyRowsError extends Error {
  constructor(readonly max: number) {
    super(`the result would have more than ${max} rows`);
    this.name = 'TooManyRowsError';
  }
}

const UNIT: Record<TimeBucket, string> = { HOUR: 'hour', DAY: 'day', WEEK: 'week', MONTH: 'month' };
const DAY_MS = 86_400_000;
const TICK = sql.raw(`interval '1 microsecond'`);

/** Zones whose offset is zero all year: their day/week/month boundaries are UTC midnights. */
const UTC_ZONES = new Set([
  'UTC',
  'Etc/UTC',
  'Etc/UCT',
  'UCT',
  'Etc/Universal',
  'Universal',
  'Etc/Zulu',
  'Zulu',
  'GMT',
  'Etc/GMT',
  'Etc/GMT0',
  'Etc/GMT+0',
  'Etc/GMT-0',
  'GMT0',
  'GMT+0',
  'GMT-0',
  'Etc/Greenwich',
  'Greenwich',
]);

export function isUtcZone(tz: string): boolean {
  return UTC_ZONES.has(tz);
}

/** A glob (* ?) or exact name as a LIKE pattern. */
export function likePattern(glob: string): string {
  let out = '';
  for (const ch of glob) {
    if (ch === '*') out += '%';
    else if (ch === '?') out += '_';
    else if (ch === '%' || ch === '_' || ch === '\\') out += '\\' + ch;
    else out += ch;
  }
  return out;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;
const likeAny = (col: SQL, patterns: readonly string[]) =>
  sql`${col} LIKE ANY(${textArray(patterns.map(likePattern))})`;

interface Filters {
  servers?: string[];
  features?: string[];
  resources?: string[];
  users?: string[];
  hosts?: string[];
}

/** Conditions on a relation aliased `a` with server_id, feature and (when asked) username, hostname. */
function filterSql(a: string, f: Filters, opts: { users: boolean; hosts: boolean }): SQL {
  const col = (c: string) => sql.raw(`${a}.${c}`);
  const parts: SQL[] = [];
  if (f.servers?.length) parts.push(sql`${col('server_id')} = ANY(${textArray(f.servers)})`);
  if (f.features?.length) parts.push(likeAny(col('feature'), f.features));
  if (f.resources?.length) parts.push(likeAny(col('feature'), f.resources));
  if (opts.users && f.users?.length) parts.push(likeAny(col('username'), f.users));
  if (opts.hosts && f.hosts?.length) parts.push(likeAny(col('hostname'), f.hosts));
  return parts.length ? sql.join(parts, sql` AND `) : sql`TRUE`;
}

interface GroupRow {
  bstart: number | null;
  server_id: string | null;
  feature: string | null;
  version: string | null;
  username: string | null;
  hostname: string | null;
  sessions: number;
  lsec: number;
  users: number;
  first_at: number | null;
  last_at: number | null;
}

const strcmp = (a: string | null, b: string | null) =>
  a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1;

/** Order of usage rows by (bucketStart, server, feature): the ORDER BY of the queries. */
function compareKeys(
  a: { bucketStart: Date | null; server: string | null; feature: string | null },
  b: { bucketStart: Date | null; server: string | null; feature: string | null },
): number {
  return (
    (a.bucketStart?.getTime() ?? 0) - (b.bucketStart?.getTime() ?? 0) ||
    strcmp(a.server, b.server) ||
    strcmp(a.feature, b.feature)
  );
}

/** ORDER BY the grouped columns, text in code-point order (COLLATE "C", as JS compares strings). */
function orderBy(alias: string, grouped: readonly string[]): SQL {
  if (grouped.length === 0) return sql``;
  return sql.raw(
    `ORDER BY ${grouped.map((c) => (c === 'bstart' ? `${alias}.${c}` : `${alias}.${c} COLLATE "C"`)).join(', ')}`,
  );
}

/** "a.c1, a.c2" */
const cols = (alias: string, names: readonly string[]) => sql.raw(names.map((c) => `${alias}.${c}`).join(', '));

const DIM_COLUMNS = ['bstart', 'server_id', 'feature', 'version', 'username', 'hostname'] as const;

/** Every dimension column of a result row, NULL for those not grouped (bstart as epoch milliseconds). */
function selectDims(alias: string, grouped: readonly string[]): SQL {
  return sql.join(
    DIM_COLUMNS.map((c) => {
      if (!grouped.includes(c)) return sql.raw(`NULL AS ${c}`);
      return c === 'bstart' ? sql`${epochMs(sql.raw(`${alias}.bstart`))} AS bstart` : sql.raw(`${alias}.${c} AS ${c}`);
    }),
    sql`, `,
  );
}

/** Start (epoch ms) of the UTC hour/day/week (Monday)/month holding d, as PostgreSQL's date_trunc gives it. */
function utcBucketStart(d: Date, unit: string): number {
  const ms = d.getTime();
  switch (unit) {
    case 'hour':
      return Math.floor(ms / 3_600_000) * 3_600_000;
    case 'day':
      return Math.floor(ms / DAY_MS) * DAY_MS;
    case 'week': {
      const day = Math.floor(ms / DAY_MS) * DAY_MS;
      return day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS;
    }
    default:
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

/** Bucketing in a zone: start of the bucket holding a timestamptz, and bucket generation between two instants. */
class Buckets {
  constructor(
    readonly unit: string | null,
    readonly tz: string,
    /** Every piece falls in this one bucket (see within()). */
    readonly fixed: Date | null = null,
  ) {}

  /**
   * The same bucketing for pieces inside [A, B): when that range lies within one bucket (the partial days at the
   * ends of a window, in a UTC zone), a constant bucket instead of generate_series for every piece.
   */
  within(A: Date, B: Date): Buckets {
    if (!this.unit || !isUtcZone(this.tz)) return this;
    const a = utcBucketStart(A, this.unit);
    return a === utcBucketStart(new Date(B.getTime() - 1), this.unit)
      ? new Buckets(this.unit, this.tz, new Date(a))
      : this;
  }

  /** Start of the bucket holding x; `dayAligned`: x is a UTC midnight (a rollup day). */
  startOf(x: SQL, dayAligned = false): SQL {
    if (!this.unit) return sql`NULL::timestamptz`;
    if (isUtcZone(this.tz)) {
      if (dayAligned && this.unit === 'day') return x;
      return sql`date_trunc(${this.unit}, ${x}, 'UTC')`;
    }
    return sql`(date_trunc(${this.unit}, (${x}) AT TIME ZONE ${this.tz}) AT TIME ZONE ${this.tz})`;
  }

  /** LATERAL relation b(bstart, bend) of the buckets overlapping [x0, x1] (x1 inclusive). */
  between(x0: SQL, x1: SQL): SQL {
    if (!this.unit) return sql`(SELECT NULL::timestamptz AS bstart, 'infinity'::timestamptz AS bend)`;
    if (this.fixed) return sql`(SELECT ${ts(this.fixed)} AS bstart, 'infinity'::timestamptz AS bend)`;
    const step = sql.raw(`interval '1 ${this.unit}'`);
    return sql`(SELECT g AT TIME ZONE ${this.tz} AS bstart, (g + ${step}) AT TIME ZONE ${this.tz} AS bend
                FROM generate_series(date_trunc(${this.unit}, (${x0}) AT TIME ZONE ${this.tz}), (${x1}) AT TIME ZONE ${this.tz}, ${step}) AS g)`;
  }
}

export class UsageRepository {
  constructor(private readonly db: Database) {}

  /** Whether a query can use the daily rollups (see the header). */
  static rollupEligible(q: Pick<UsageQuery, 'groupBy' | 'bucket' | 'timeZone' | 'hosts' | 'forceRaw'>): boolean {
    if (q.forceRaw) return false;
    if (q.groupBy.includes('HOST') || (q.hosts && q.hosts.length > 0)) return false;
    if (q.groupBy.includes('TIME')) {
      if (!q.bucket || q.bucket === 'HOUR') return false;
      if (!isUtcZone(q.timeZone)) return false;
    }
    return true;
  }

  /** Whether sample metrics (peak, average) exist for this grouping. */
  static samplesApply(q: Pick<UsageQuery, 'groupBy' | 'users' | 'hosts'>): boolean {
    return (
      q.groupBy.every((d) => d === 'SERVER' || d === 'FEATURE' || d === 'TIME') && !q.users?.length && !q.hosts?.length
    );
  }

  /**
   * Runs fn in a read-only transaction tuned for these aggregations: no JIT (PostgreSQL would spend hundreds of
   * milliseconds compiling plans whose generate_series rows it over-estimates) and enough work_mem to hash them.
   */
  private reading<T>(fn: (db: Database) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      await tx.execute(sql`SET LOCAL jit = off`);
      await tx.execute(sql`SET LOCAL work_mem = '64MB'`);
      return fn(tx);
    });
  }

  async usage(q: UsageQuery): Promise<UsageRowData[]> {
    const time = q.groupBy.includes('TIME');
    const buckets = new Buckets(time ? UNIT[q.bucket ?? 'DAY'] : null, q.timeZone);
    const maxRows = q.maxRows ?? 100_000;
    // Sessions and samples are independent queries: on PostgreSQL they run at the same time on two connections.
    const [sessions, samples] = await Promise.all([
      this.reading((db) => this.sessionGroups(db, q, buckets, maxRows)),
      UsageRepository.samplesApply(q) ? this.reading((db) => this.sampleGroups(db, q, buckets)) : null,
    ]);

    // Both lists come sorted by their keys (ORDER BY ... COLLATE "C", the order of JS string comparison); samples
    // exist only for groupings by TIME, SERVER and FEATURE, so a two-pointer merge joins them.
    if (!samples) return sessions;
    const out: UsageRowData[] = [];
    let i = 0;
    let j = 0;
    while (i < sessions.length || j < samples.length) {
      const a = sessions[i];
      const b = samples[j];
      const c = !a ? 1 : !b ? -1 : compareKeys(a, b);
      if (c < 0) {
        out.push(a);
        i++;
      } else if (c > 0) {
        out.push({
          bucketStart: b.bucketStart,
          server: b.server,
          feature: b.feature,
          version: null,
          user: null,
          host: null,
          sessions: 0,
          licenseSeconds: 0,
          distinctUsers: 0,
          firstSeen: null,
          lastSeen: null,
          peakInUse: b.peak,
          averageInUse: b.average,
        });
        j++;
      } else {
        a.peakInUse = b.peak;
        a.averageInUse = b.average;
        out.push(a);
        i++;
        j++;
      }
    }
    if (out.length > maxRows) throw new TooManyRowsError(maxRows);
    return out;
  }

  // ---------------------------------------------------------------- sessions

  /** Closed sessions overlapping [A, B): started in it (from A's UTC midnight) or carried over that midnight. */
  private closedSessions(A: Date, B: Date, where: SQL): SQL {
    const day = sql`date_trunc('day', ${ts(A)}, 'UTC')`;
    return sql`(
      SELECT s.server_id, s.feature, s.version, s.username, s.hostname, s.started_at, s.ended_at AS end_at, s.count
      FROM checkout_sessions s
      WHERE s.ended_at IS NOT NULL AND s.started_at >= ${day} AND s.started_at < ${ts(B)} AND s.ended_at > ${ts(A)} AND ${where}
      UNION ALL
      SELECT s.server_id, s.feature, s.version, s.username, s.hostname, s.started_at, s.ended_at AS end_at, s.count
      FROM checkout_session_days sd JOIN checkout_sessions s ON s.id = sd.session_id
      WHERE sd.day = ${day} AND s.ended_at > ${ts(A)} AND s.started_at < ${ts(B)} AND ${where})`;
  }

  /** Open sessions overlapping [A, B); they last until their last_seen. */
  private openSessions(A: Date, B: Date, where: SQL): SQL {
    return sql`(
      SELECT s.server_id, s.feature, s.version, s.username, s.hostname, s.started_at, s.last_seen AS end_at, s.count
      FROM checkout_sessions s
      WHERE s.ended_at IS NULL AND s.started_at < ${ts(B)} AND s.last_seen >= ${ts(A)} AND ${where})`;
  }

  /**
   * Pieces of the sessions in `source` within [A, B), split at bucket boundaries: bstart, keys, n (1 when the piece
   * counts the session for its bucket), lsec, first_at, last_at. E is the window start.
   */
  private sessionPieces(source: SQL, A: Date, B: Date, E: Date, buckets: Buckets): SQL {
    const p0 = sql`greatest(s.started_at, ${ts(A)})`;
    const p1 = sql`least(s.end_at, ${ts(B)})`;
    const segStart = sql`greatest(b.bstart, ${ts(A)})`;
    const firstStart = sql`greatest(b.bstart, ${ts(E)})`;
    return sql`
      SELECT b.bstart, s.server_id, s.feature, s.version, s.username, s.hostname,
             CASE WHEN s.started_at >= ${segStart} OR ${segStart} = ${firstStart} THEN 1 ELSE 0 END AS n,
             (s.count * extract(epoch FROM least(${p1}, b.bend) - greatest(${p0}, b.bstart)))::float8 AS lsec,
             greatest(${p0}, b.bstart) AS first_at, least(${p1}, b.bend) AS last_at
      FROM ${source} s
      CROSS JOIN LATERAL ${buckets.between(p0, sql`greatest(${p1} - ${TICK}, ${p0})`)} b`;
  }

  /** Whole UTC days [D0, D1) from the per-user rollup, in the same piece shape. */
  private rollupPieces(D0: Date, D1: Date, E: Date, buckets: Buckets, where: SQL): SQL {
    const bstart = buckets.startOf(sql`u.day`, true);
    return sql`
      SELECT ${bstart} AS bstart, u.server_id, u.feature, u.version, u.username, NULL::text AS hostname,
             u.sessions_started + CASE WHEN ${this.firstDay(bstart, E, buckets)} THEN u.sessions_carried ELSE 0 END AS n,
             u.license_seconds AS lsec, u.first_at, u.last_at
      FROM usage_daily u
      WHERE u.day >= ${ts(D0)} AND u.day < ${ts(D1)} AND ${where}`;
  }

  /** Whether rollup day u.day is the first piece of its bucket (it then counts the sessions carried into it). */
  private firstDay(bstart: SQL, E: Date, buckets: Buckets): SQL {
    return buckets.unit ? sql`u.day = greatest(${bstart}, ${ts(E)})` : sql`u.day = ${ts(E)}`;
  }

  private async sessionGroups(db: Database, q: UsageQuery, buckets: Buckets, maxRows: number): Promise<UsageRowData[]> {
    const E = q.from;
    const L = q.to;
    const whereS = filterSql('s', q, { users: true, hosts: true });
    const dims = q.groupBy;
    const cols: Array<[UsageDimension, string]> = [
      ['TIME', 'bstart'],
      ['SERVER', 'server_id'],
      ['FEATURE', 'feature'],
      ['VERSION', 'version'],
      ['USER', 'username'],
      ['HOST', 'hostname'],
    ];
    const grouped = cols.filter(([d]) => dims.includes(d)).map(([, c]) => c);
    const D0 = new Date(Math.ceil(E.getTime() / DAY_MS) * DAY_MS);
    const D1 = new Date(Math.floor(L.getTime() / DAY_MS) * DAY_MS);
    const rollup = UsageRepository.rollupEligible(q) && D0 < D1;
    const raw: SQL[] = [this.sessionPieces(this.openSessions(E, L, whereS), E, L, E, buckets)];
    if (rollup) {
      if (E < D0) raw.push(this.sessionPieces(this.closedSessions(E, D0, whereS), E, D0, E, buckets.within(E, D0)));
      if (D1 < L) raw.push(this.sessionPieces(this.closedSessions(D1, L, whereS), D1, L, E, buckets.within(D1, L)));
    } else {
      raw.push(this.sessionPieces(this.closedSessions(E, L, whereS), E, L, E, buckets));
    }
    const perUser = !rollup || dims.includes('USER') || !!q.users?.length;
    const rows = perUser
      ? await this.groupsByUser(
          db,
          rollup
            ? [...raw, this.rollupPieces(D0, D1, E, buckets, filterSql('u', q, { users: true, hosts: false }))]
            : raw,
          grouped,
          maxRows,
        )
      : await this.groupsWithTotals(
          db,
          raw,
          grouped,
          { D0, D1, E, buckets, where: filterSql('u', q, { users: false, hosts: false }) },
          maxRows,
        );
    if (rows.length > maxRows) throw new TooManyRowsError(maxRows);
    return rows.map((r) => ({
      bucketStart: r.bstart === null ? null : new Date(Number(r.bstart)),
      server: r.server_id,
      feature: r.feature,
      version: r.version === null ? null : r.version === '' ? null : r.version,
      user: r.username,
      host: r.hostname,
      sessions: Number(r.sessions),
      licenseSeconds: Number(r.lsec),
      distinctUsers: Number(r.users),
      firstSeen: r.first_at === null ? null : new Date(Number(r.first_at)),
      lastSeen: r.last_at === null ? null : new Date(Number(r.last_at)),
      peakInUse: null,
      averageInUse: null,
    }));
  }

  /**
   * Groups from pieces that carry a user name (raw sessions, the per-user rollup). Two levels: per group and user
   * (hash aggregation), then per group, where the distinct users are the rows: no count(DISTINCT), which sorts.
   */
  private groupsByUser(db: Database, parts: SQL[], grouped: string[], maxRows: number): Promise<GroupRow[]> {
    const inner = [...new Set([...grouped, 'username'])];
    return rowsOf<GroupRow>(
      db,
      sql`SELECT ${selectDims('x', grouped)},
                 sum(x.n)::int AS sessions, coalesce(sum(x.lsec), 0)::float8 AS lsec, count(*)::int AS users,
                 ${epochMs(sql`min(x.first_at)`)} AS first_at, ${epochMs(sql`max(x.last_at)`)} AS last_at
          FROM (
            SELECT ${cols('p', inner)}, sum(p.n) AS n, sum(p.lsec) AS lsec, min(p.first_at) AS first_at, max(p.last_at) AS last_at
            FROM (${sql.join(parts, sql` UNION ALL `)}) p
            GROUP BY ${cols('p', inner)}
          ) x
          ${grouped.length ? sql`GROUP BY ${cols('x', grouped)}` : sql`HAVING count(*) > 0`}
          ${orderBy('x', grouped)}
          LIMIT ${maxRows + 1}`,
    );
  }

  /**
   * Groups from the per-feature totals (one row per server, feature, version and day whatever the number of users;
   * users as a bitmap) plus raw pieces (partial days, open sessions). Distinct users: the bits set in the totals'
   * OR, plus the raw pieces' users whose bit is not set in it.
   */
  private groupsWithTotals(
    db: Database,
    raw: SQL[],
    grouped: string[],
    r: { D0: Date; D1: Date; E: Date; buckets: Buckets; where: SQL },
    maxRows: number,
  ): Promise<GroupRow[]> {
    const keys = grouped.length ? grouped : ['k0'];
    const on = (a: string, b: string) => sql.raw(keys.map((c) => `${a}.${c} = ${b}.${c}`).join(' AND '));
    const k0 = grouped.length ? sql`` : sql`1 AS k0, `;
    const bstart = r.buckets.startOf(sql`u.day`, true);
    return rowsOf<GroupRow>(
      db,
      sql`WITH nb AS (SELECT coalesce(max(id), 0) + 1 AS n FROM usage_users),
          roll AS (
            SELECT ${k0}${grouped.length ? sql`${cols('t', grouped)}, ` : sql``}sum(t.n) AS n, sum(t.lsec) AS lsec, min(t.first_at) AS first_at, max(t.last_at) AS last_at,
                   bit_or(CASE WHEN length(t.users) = nb.n THEN t.users ELSE t.users || repeat('0', nb.n - length(t.users))::varbit END) AS bits
            FROM (
              SELECT ${bstart} AS bstart, u.server_id, u.feature, u.version,
                     u.sessions_started + CASE WHEN ${this.firstDay(bstart, r.E, r.buckets)} THEN u.sessions_carried ELSE 0 END AS n,
                     u.license_seconds AS lsec, u.first_at, u.last_at, u.users
              FROM usage_daily_totals u
              WHERE u.day >= ${ts(r.D0)} AND u.day < ${ts(r.D1)} AND ${r.where}
            ) t CROSS JOIN nb
            ${grouped.length ? sql`GROUP BY ${cols('t', grouped)}` : sql`HAVING count(*) > 0`}
          ),
          rawu AS (
            SELECT ${k0}${grouped.length ? sql`${cols('p', grouped)}, ` : sql``}p.username, sum(p.n) AS n, sum(p.lsec) AS lsec, min(p.first_at) AS first_at, max(p.last_at) AS last_at
            FROM (${sql.join(raw, sql` UNION ALL `)}) p
            GROUP BY ${grouped.length ? sql`${cols('p', grouped)}, ` : sql``}p.username
          ),
          rawg AS (
            SELECT ${cols('ru', keys)}, sum(ru.n) AS n, sum(ru.lsec) AS lsec, min(ru.first_at) AS first_at, max(ru.last_at) AS last_at,
                   count(*) FILTER (WHERE roll.bits IS NULL OR uu.id IS NULL OR uu.id >= length(roll.bits) OR get_bit(roll.bits, uu.id) = 0) AS new_users
            FROM rawu ru
            LEFT JOIN usage_users uu ON uu.username = ru.username
            LEFT JOIN roll ON ${on('roll', 'ru')}
            GROUP BY ${cols('ru', keys)}
          ),
          x AS (
            SELECT ${sql.raw(keys.map((c) => `coalesce(roll.${c}, rawg.${c}) AS ${c}`).join(', '))},
                   coalesce(roll.n, 0) + coalesce(rawg.n, 0) AS n, coalesce(roll.lsec, 0) + coalesce(rawg.lsec, 0) AS lsec,
                   coalesce(bit_count(roll.bits), 0) + coalesce(rawg.new_users, 0) AS users,
                   least(roll.first_at, rawg.first_at) AS first_at, greatest(roll.last_at, rawg.last_at) AS last_at
            FROM roll FULL JOIN rawg ON ${on('roll', 'rawg')}
          )
          SELECT ${selectDims('x', grouped)}, x.n::int AS sessions, x.lsec::float8 AS lsec, x.users::int AS users,
                 ${epochMs(sql`x.first_at`)} AS first_at, ${epochMs(sql`x.last_at`)} AS last_at
          FROM x
          ${orderBy('x', grouped)}
          LIMIT ${maxRows + 1}`,
    );
  }

  // ---------------------------------------------------------------- samples

  /**
   * Sample segments overlapping [A, B), clipped to it: server_id, feature, s0, s1, used, issued, queued. Includes
   * the segment in force at A and the still-open last segment of each series (until the server's last UP poll).
   */
  private sampleSegments(A: Date, B: Date, whereSer: SQL): SQL {
    // Each sample knows where it stops holding (next_at; the latest holds until the server's last UP poll): the
    // samples taken in [A, B) and the one in force at A, found by index, no window function.
    return sql`(
      SELECT p.server_id, p.feature, greatest(p.at, ${ts(A)}) AS s0, least(coalesce(p.next_at, c.last_up_at), ${ts(B)}) AS s1, p.used, p.issued, p.queued
      FROM usage_series ser
      JOIN poll_cursors c ON c.server_id = ser.server_id
      CROSS JOIN LATERAL (
        (SELECT p.server_id, p.feature, p.at, p.next_at, p.used, p.issued, p.queued FROM usage_samples p
         WHERE p.server_id = ser.server_id AND p.feature = ser.feature AND p.at < ${ts(A)}
         ORDER BY p.at DESC LIMIT 1)
        UNION ALL
        (SELECT p.server_id, p.feature, p.at, p.next_at, p.used, p.issued, p.queued FROM usage_samples p
         WHERE p.server_id = ser.server_id AND p.feature = ser.feature AND p.at >= ${ts(A)} AND p.at < ${ts(B)})
      ) p
      WHERE ${whereSer} AND least(coalesce(p.next_at, c.last_up_at), ${ts(B)}) > greatest(p.at, ${ts(A)}))`;
  }

  /** The open (latest) segment of each series clipped to [A, B). */
  private openSegments(A: Date, B: Date, whereSer: SQL): SQL {
    return sql`(
      SELECT ser.server_id, ser.feature, greatest(ser.last_at, ${ts(A)}) AS s0, least(c.last_up_at, ${ts(B)}) AS s1, ser.used, ser.issued, ser.queued
      FROM usage_series ser JOIN poll_cursors c ON c.server_id = ser.server_id
      WHERE ${whereSer} AND least(c.last_up_at, ${ts(B)}) > greatest(ser.last_at, ${ts(A)}))`;
  }

  /** Segment pieces split at bucket boundaries: bstart, server_id, feature, used, issued, queued, secs, s0, s1. */
  private segmentPieces(segments: SQL, buckets: Buckets): SQL {
    return sql`
      SELECT b.bstart, g.server_id, g.feature, g.used, g.issued, g.queued,
             greatest(g.s0, b.bstart) AS s0, least(g.s1, b.bend) AS s1,
             extract(epoch FROM least(g.s1, b.bend) - greatest(g.s0, b.bstart))::float8 AS secs
      FROM ${segments} g
      CROSS JOIN LATERAL ${buckets.between(sql`g.s0`, sql`g.s1 - ${TICK}`)} b`;
  }

  private async sampleGroups(
    db: Database,
    q: UsageQuery,
    buckets: Buckets,
  ): Promise<
    Array<{
      bucketStart: Date | null;
      server: string | null;
      feature: string | null;
      peak: number | null;
      average: number | null;
    }>
  > {
    const E = q.from;
    const L = q.to;
    const whereSer = filterSql('ser', q, { users: false, hosts: false });
    const D0 = new Date(Math.ceil(E.getTime() / DAY_MS) * DAY_MS);
    const D1 = new Date(Math.floor(L.getTime() / DAY_MS) * DAY_MS);
    // Per series and bucket: peak, integral of used, known seconds.
    const perSeries: SQL[] = [];
    const fromPieces = (segments: SQL, b: Buckets = buckets) => sql`
      SELECT bstart, server_id, feature, max(used) AS peak, sum(used * secs) AS used_s, sum(secs) AS known_s
      FROM (${this.segmentPieces(segments, b)}) x WHERE used IS NOT NULL GROUP BY bstart, server_id, feature`;
    if (UsageRepository.rollupEligible(q) && D0 < D1) {
      perSeries.push(sql`
        SELECT ${buckets.startOf(sql`d.day`, true)} AS bstart, d.server_id, d.feature, d.peak_used AS peak, d.used_seconds AS used_s, d.known_seconds AS known_s
        FROM usage_samples_daily d WHERE d.day >= ${ts(D0)} AND d.day < ${ts(D1)} AND ${filterSql('d', q, { users: false, hosts: false })}`);
      perSeries.push(fromPieces(this.openSegments(D0, D1, whereSer)));
      if (E < D0) perSeries.push(fromPieces(this.sampleSegments(E, D0, whereSer), buckets.within(E, D0)));
      if (D1 < L) perSeries.push(fromPieces(this.sampleSegments(D1, L, whereSer), buckets.within(D1, L)));
    } else {
      perSeries.push(fromPieces(this.sampleSegments(E, L, whereSer)));
    }
    const time = q.groupBy.includes('TIME');
    const byServer = q.groupBy.includes('SERVER');
    const byFeature = q.groupBy.includes('FEATURE');
    const gcols = [time ? 'bstart' : null, byServer ? 'server_id' : null, byFeature ? 'feature' : null].filter(
      (c): c is string => c !== null,
    );
    const rows = await rowsOf<{
      bstart: number | null;
      server_id: string | null;
      feature: string | null;
      peak: number | null;
      average: number | null;
      nseries: number;
    }>(
      db,
      sql`WITH s AS (
            SELECT bstart, server_id, feature, max(peak) AS peak, sum(used_s) AS used_s, sum(known_s) AS known_s
            FROM (${sql.join(perSeries, sql` UNION ALL `)}) x GROUP BY bstart, server_id, feature
          )
          SELECT ${time ? epochMs(sql`bstart`) : sql`NULL`} AS bstart, ${byServer ? sql`server_id` : sql`NULL`} AS server_id,
                 ${byFeature ? sql`feature` : sql`NULL`} AS feature,
                 max(peak)::int AS peak, sum(used_s / known_s) FILTER (WHERE known_s > 0)::float8 AS average,
                 (count(*) FILTER (WHERE known_s > 0))::int AS nseries
          FROM s
          WHERE known_s > 0
          ${gcols.length ? sql`GROUP BY ${sql.raw(gcols.join(', '))}` : sql`HAVING count(*) > 0`}
          ${orderBy('s', gcols)}`,
    );
    const out = rows.map((r) => ({
      bucketStart: r.bstart === null ? null : new Date(Number(r.bstart)),
      server: r.server_id,
      feature: r.feature,
      peak: r.peak === null ? null : Number(r.peak),
      average: r.average === null ? null : Number(r.average),
      nseries: Number(r.nseries),
    }));
    // A group holding several series (one feature on several servers, or no FEATURE/SERVER grouping): the peak of
    // their sum is not the largest of their peaks. Compute it exactly from the samples.
    if (out.some((r) => r.nseries > 1)) {
      const exact = await this.exactPeaks(db, q, buckets, gcols);
      for (const r of out) {
        if (r.nseries <= 1) continue;
        const k = [r.bucketStart?.getTime() ?? '', r.server ?? '', r.feature ?? ''].join('\u0000');
        const v = exact.get(k);
        if (v !== undefined) r.peak = v;
      }
    }
    return out.map(({ nseries: _n, ...r }) => r);
  }

  /** Peak of the summed used of every series in a group, per group (bucket, server, feature as grouped). */
  private async exactPeaks(
    db: Database,
    q: UsageQuery,
    buckets: Buckets,
    gcols: string[],
  ): Promise<Map<string, number>> {
    const whereSer = filterSql('ser', q, { users: false, hosts: false });
    const g = gcols.length ? sql.raw(gcols.join(', ')) : sql.raw('1');
    // Events +used at a piece start and -used at its end; ends sort before starts at the same instant (half-open
    // pieces), so the running sum's maximum is the peak of the sum.
    const rows = await rowsOf<{
      bstart: number | null;
      server_id: string | null;
      feature: string | null;
      peak: number;
    }>(
      db,
      sql`WITH pc AS (SELECT * FROM (${this.segmentPieces(this.sampleSegments(q.from, q.to, whereSer), buckets)}) x WHERE used IS NOT NULL),
          ev AS (
            SELECT bstart, server_id, feature, s0 AS t, used AS d FROM pc
            UNION ALL SELECT bstart, server_id, feature, s1 AS t, -used AS d FROM pc
          ), run AS (
            SELECT ${g}, sum(d) OVER (PARTITION BY ${g} ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS total FROM ev
          )
          SELECT ${gcols.includes('bstart') ? epochMs(sql`bstart`) : sql`NULL`} AS bstart,
                 ${gcols.includes('server_id') ? sql`server_id` : sql`NULL`} AS server_id,
                 ${gcols.includes('feature') ? sql`feature` : sql`NULL`} AS feature,
                 max(total)::int AS peak
          FROM run GROUP BY ${g}`,
    );
    const m = new Map<string, number>();
    for (const r of rows)
      m.set(
        [r.bstart === null ? '' : Number(r.bstart), r.server_id ?? '', r.feature ?? ''].join('\u0000'),
        Number(r.peak),
      );
    return m;
  }

  // ---------------------------------------------------------------- per-feature charts

  private seriesWhere(keys: readonly SeriesKey[] | 'ALL'): SQL {
    if (keys === 'ALL') return sql`TRUE`;
    const list = JSON.stringify(keys.map((k) => ({ s: k.serverId, f: k.feature })));
    return sql`(ser.server_id, ser.feature) IN (SELECT k.s, k.f FROM jsonb_to_recordset(${list}::jsonb) AS k(s text, f text))`;
  }

  /** issued / used / peak per bucket for several series at once, or for every series ('ALL'), in one query. */
  async history(
    keys: readonly SeriesKey[] | 'ALL',
    from: Date,
    to: Date,
    bucket: TimeBucket,
    timeZone: string,
  ): Promise<HistoryPoint[]> {
    if (keys.length === 0) return [];
    const buckets = new Buckets(UNIT[bucket], timeZone);
    const rows = await this.reading((db) =>
      rowsOf<{
        bstart: number;
        server_id: string;
        feature: string;
        issued: number | null;
        used: number | null;
        peak: number | null;
        queued: number | null;
        known: number;
      }>(
        db,
        sql`SELECT ${epochMs(sql`bstart`)} AS bstart, server_id, feature, max(issued)::int AS issued,
                 (sum(used * secs) FILTER (WHERE used IS NOT NULL) / nullif(sum(secs) FILTER (WHERE used IS NOT NULL), 0))::float8 AS used,
                 max(used)::int AS peak, max(queued)::int AS queued, coalesce(sum(secs) FILTER (WHERE used IS NOT NULL), 0)::float8 AS known
          FROM (${this.segmentPieces(this.sampleSegments(from, to, this.seriesWhere(keys)), buckets)}) x
          GROUP BY bstart, server_id, feature
          ORDER BY server_id, feature, bstart`,
      ),
    );
    return rows.map((r) => ({
      serverId: r.server_id,
      feature: r.feature,
      bucketStart: new Date(Number(r.bstart)),
      issued: r.issued === null ? null : Number(r.issued),
      used: r.used === null ? null : Number(r.used),
      peak: r.peak === null ? null : Number(r.peak),
      peakQueued: r.queued === null ? null : Number(r.queued),
      knownSeconds: Number(r.known),
    }));
  }

  /** Seconds spent at each in-use count, per series (one query). */
  async histogram(
    keys: readonly SeriesKey[],
    from: Date,
    to: Date,
  ): Promise<{ bins: HistogramBin[]; issued: Map<string, number | null> }> {
    if (keys.length === 0) return { bins: [], issued: new Map() };
    const rows = await this.reading((db) =>
      rowsOf<{ server_id: string; feature: string; used: number; secs: number; issued: number | null }>(
        db,
        sql`SELECT server_id, feature, used, sum(extract(epoch FROM s1 - s0))::float8 AS secs, max(issued)::int AS issued
          FROM ${this.sampleSegments(from, to, this.seriesWhere(keys))} g
          WHERE used IS NOT NULL
          GROUP BY server_id, feature, used
          ORDER BY server_id, feature, used`,
      ),
    );
    const issued = new Map<string, number | null>();
    const bins: HistogramBin[] = [];
    for (const r of rows) {
      const k = `${r.server_id}\u0000${r.feature}`;
      const iss = r.issued === null ? null : Number(r.issued);
      const prev = issued.get(k);
      issued.set(k, prev === undefined || prev === null ? iss : iss === null ? prev : Math.max(prev, iss));
      bins.push({ serverId: r.server_id, feature: r.feature, inUse: Number(r.used), seconds: Number(r.secs) });
    }
    return { bins, issued };
  }

  /** Raw access for tests: every session of a server, oldest first. */
  async sessions(serverId?: string): Promise<
    Array<{
      serverId: string;
      feature: string;
      version: string;
      username: string;
      hostname: string;
      display: string;
      handle: string;
      startKey: string;
      startedAt: Date;
      reportedStart: Date | null;
      observedSince: Date;
      count: number;
      firstSeen: Date;
      lastSeen: Date;
      goneAt: Date | null;
      endedAt: Date | null;
    }>
  > {
    const rows = await rowsOf<Record<string, unknown>>(
      this.db,
      sql`SELECT server_id, feature, version, username, hostname, display, handle, start_key, count,
                 ${epochMs(sql`started_at`)} AS started_at, ${epochMs(sql`reported_start`)} AS reported_start, ${epochMs(sql`first_seen`)} AS first_seen, ${epochMs(sql`last_seen`)} AS last_seen,
                 ${epochMs(sql`gone_at`)} AS gone_at, ${epochMs(sql`ended_at`)} AS ended_at
          FROM checkout_sessions ${serverId ? sql`WHERE server_id = ${serverId}` : sql``}
          ORDER BY started_at, server_id, feature, username, hostname, handle`,
    );
    const d = (v: unknown) => (v === null || v === undefined ? null : new Date(Number(v)));
    return rows.map((r) => ({
      serverId: String(r.server_id),
      feature: String(r.feature),
      version: String(r.version),
      username: String(r.username),
      hostname: String(r.hostname),
      display: String(r.display),
      handle: String(r.handle),
      startKey: String(r.start_key),
      startedAt: d(r.started_at)!,
      reportedStart: d(r.reported_start),
      observedSince: d(r.first_seen)!,
      count: Number(r.count),
      firstSeen: d(r.first_seen)!,
      lastSeen: d(r.last_seen)!,
      goneAt: d(r.gone_at),
      endedAt: d(r.ended_at),
    }));
  }

  /** Raw access for tests: samples, oldest first. */
  async samples(serverId?: string): Promise<
    Array<{
      serverId: string;
      feature: string;
      at: Date;
      issued: number | null;
      used: number | null;
      reserved: number | null;
      queued: number | null;
    }>
  > {
    const rows = await rowsOf<Record<string, unknown>>(
      this.db,
      sql`SELECT server_id, feature, ${epochMs(sql`at`)} AS at, issued, used, reserved, queued FROM usage_samples
          ${serverId ? sql`WHERE server_id = ${serverId}` : sql``} ORDER BY at, server_id, feature`,
    );
    const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      serverId: String(r.server_id),
      feature: String(r.feature),
      at: new Date(Number(r.at)),
      issued: n(r.issued),
      used: n(r.used),
      reserved: n(r.reserved),
      queued: n(r.queued),
    }));
  }
}
