/**
 * UsageService: the questions license administrators ask of the history ("how much did we use, who, when was the
 * peak, do we need more seats"). GraphQL (usage, resourceUsage, Feature.history, Feature.utilizationHistogram) and
 * the REST compatibility routes (/api/v1/license-service/...) both call it, so they cannot drift.
 *
 * It validates arguments (UsageInputError names the field), fills defaults (window: everything up to now; zone UTC;
 * TIME buckets: DAY) and runs the queries in UsageRepository.
 */
import { isIanaTimeZoneName } from '../domain/time';
import {
  TooManyRowsError,
  UsageRepository,
  type HistoryPoint,
  type SeriesKey,
  type TimeBucket,
  type UsageDimension,
  type UsageRowData,
} from '../store/repositories/usage';
import type { Store } from '../store/store';

export type { TimeBucket, UsageDimension, UsageRowData, HistoryPoint, SeriesKey };

export const USAGE_DIMENSIONS: readonly UsageDimension[] = ['SERVER', 'FEATURE', 'VERSION', 'USER', 'HOST', 'TIME'];
export const TIME_BUCKETS: readonly TimeBucket[] = ['HOUR', 'DAY', 'WEEK', 'MONTH'];

/** Most rows one usage query may return. */
export const MAX_USAGE_ROWS = 50_000;
/** Most buckets one Feature.history call may return per feature. */
export const MAX_HISTORY_BUCKETS = 10_000;
const DEFAULT_HISTORY_DAYS = 7;
const DAY_MS = 86_400_000;
const BUCKET_MS: Record<TimeBucket, number> = { HOUR: 3_600_000, DAY: DAY_MS, WEEK: 7 * DAY_MS, MONTH: 28 * DAY_MS };

/** A bad argument; `field` names it as GraphQL spells it (REST maps it to its parameter name). */
export class UsageInputError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`Invalid argument ${field}: ${rule}`);
    this.name = 'UsageInputError';
  }
}

export interface UsageFilterInput {
  features?: string[] | null;
  /** REST resource_name: feature patterns that must match as well. */
  resources?: string[] | null;
  users?: string[] | null;
  hosts?: string[] | null;
  servers?: string[] | null;
  earliestTime?: Date | null;
  latestTime?: Date | null;
}

export interface UsageInput {
  groupBy: UsageDimension[];
  filter?: UsageFilterInput | null;
  bucket?: TimeBucket | null;
  timeZone?: string | null;
}

export interface ResourceUsageRow {
  feature: string;
  sessions: number;
  licenseSeconds: number;
  distinctUsers: number;
  peakInUse: number | null;
  averageInUse: number | null;
  firstSeen: Date | null;
  lastSeen: Date | null;
}

export interface UtilizationHistogramData {
  serverId: string;
  feature: string;
  since: Date;
  until: Date;
  knownSeconds: number;
  issued: number | null;
  bins: Array<{ inUse: number; seconds: number; share: number }>;
}

export function checkTimeZone(tz: string, field = 'timeZone'): string {
  if (!isIanaTimeZoneName(tz))
    throw new UsageInputError(field, 'must be a known IANA time zone such as UTC or Europe/Berlin');
  return tz;
}

function checkDate(d: Date | null | undefined, field: string): Date | undefined {
  if (d === null || d === undefined) return undefined;
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new UsageInputError(field, 'must be a valid date-time');
  return d;
}

/** PostgreSQL rejecting a zone its own database does not know. */
function isZoneError(e: unknown): boolean {
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } } | null;
  const m = `${err?.message ?? ''} ${err?.cause?.message ?? ''}`;
  return /time zone .* not recognized/i.test(m);
}

export class UsageService {
  readonly repo: UsageRepository;

  constructor(
    store: Store,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.repo = store.usage;
  }

  /** Validated, defaulted parameters (exported for the REST routes' tests and the benchmark). */
  normalize(input: UsageInput): Parameters<UsageRepository['usage']>[0] {
    const groupBy = input.groupBy ?? [];
    const seen = new Set<UsageDimension>();
    for (const d of groupBy) {
      if (!USAGE_DIMENSIONS.includes(d)) throw new UsageInputError('groupBy', `unknown dimension "${String(d)}"`);
      if (seen.has(d)) throw new UsageInputError('groupBy', `must not repeat a dimension (${d} appears twice)`);
      seen.add(d);
    }
    const time = seen.has('TIME');
    if (input.bucket && !TIME_BUCKETS.includes(input.bucket))
      throw new UsageInputError('bucket', 'must be HOUR, DAY, WEEK or MONTH');
    if (input.bucket && !time) throw new UsageInputError('bucket', 'needs TIME in groupBy');
    const timeZone = checkTimeZone(input.timeZone ?? 'UTC');
    const f = input.filter ?? {};
    const earliest = checkDate(f.earliestTime, 'filter.earliestTime');
    const latest = checkDate(f.latestTime, 'filter.latestTime');
    if (earliest && latest && latest.getTime() <= earliest.getTime())
      throw new UsageInputError('filter.latestTime', 'must be later than filter.earliestTime');
    const to = latest ?? this.now();
    const from = earliest ?? new Date(0);
    if (to.getTime() <= from.getTime())
      throw new UsageInputError('filter.earliestTime', 'must be earlier than filter.latestTime (default: now)');
    const list = (v: string[] | null | undefined) => (v && v.length ? v : undefined);
    return {
      groupBy: [...groupBy],
      bucket: time ? (input.bucket ?? 'DAY') : null,
      timeZone,
      from,
      to,
      features: list(f.features),
      resources: list(f.resources),
      users: list(f.users),
      hosts: list(f.hosts),
      servers: list(f.servers),
      maxRows: MAX_USAGE_ROWS,
    };
  }

  async usage(input: UsageInput & { forceRaw?: boolean }): Promise<UsageRowData[]> {
    const q = { ...this.normalize(input), forceRaw: input.forceRaw };
    try {
      return await this.repo.usage(q);
    } catch (e) {
      if (e instanceof TooManyRowsError) {
        throw new UsageInputError(
          'groupBy',
          `the result would have more than ${e.max} rows: narrow the window, the filter or the grouping`,
        );
      }
      if (isZoneError(e)) throw new UsageInputError('timeZone', 'is not a time zone the database knows');
      throw e;
    }
  }

  /** Totals per feature for a window (the Instabase-style resource breakdown). */
  async resourceUsage(
    startTime?: Date | null,
    endTime?: Date | null,
    servers?: string[] | null,
  ): Promise<ResourceUsageRow[]> {
    let rows: UsageRowData[];
    try {
      rows = await this.usage({
        groupBy: ['FEATURE'],
        filter: { earliestTime: startTime ?? null, latestTime: endTime ?? null, servers },
      });
    } catch (e) {
      if (e instanceof UsageInputError && e.field === 'filter.latestTime')
        throw new UsageInputError('endTime', 'must be later than startTime');
      if (e instanceof UsageInputError && e.field === 'filter.earliestTime')
        throw new UsageInputError('startTime', e.rule.replace('filter.latestTime', 'endTime'));
      // Too many rows: resource usage has no grouping to narrow, only its window.
      if (e instanceof UsageInputError && e.field === 'groupBy')
        throw new UsageInputError(
          'startTime',
          e.rule.replace(
            'narrow the window, the filter or the grouping',
            'narrow the window (startTime, endTime) or the servers',
          ),
        );
      throw e;
    }
    return rows.map((r) => ({
      feature: r.feature ?? '',
      sessions: r.sessions,
      licenseSeconds: r.licenseSeconds,
      distinctUsers: r.distinctUsers,
      peakInUse: r.peakInUse,
      averageInUse: r.averageInUse,
      firstSeen: r.firstSeen,
      lastSeen: r.lastSeen,
    }));
  }

  /** The window for Feature.history / utilizationHistogram: until defaults to now, since to 7 days before. */
  chartWindow(since?: Date | null, until?: Date | null): { since: Date; until: Date } {
    const u = checkDate(until, 'until') ?? this.now();
    const s = checkDate(since, 'since') ?? new Date(u.getTime() - DEFAULT_HISTORY_DAYS * DAY_MS);
    if (u.getTime() <= s.getTime()) throw new UsageInputError('until', 'must be later than since');
    return { since: s, until: u };
  }

  checkHistoryBuckets(since: Date, until: Date, bucket: TimeBucket): void {
    const n = Math.ceil((until.getTime() - since.getTime()) / BUCKET_MS[bucket]);
    if (n > MAX_HISTORY_BUCKETS)
      throw new UsageInputError(
        'bucket',
        `${n} ${bucket} buckets is more than ${MAX_HISTORY_BUCKETS}: use a larger bucket or a shorter window`,
      );
  }

  /** Batched: issued/used/peak per bucket for many series with the same window (one query). */
  async history(
    keys: readonly SeriesKey[],
    since: Date,
    until: Date,
    bucket: TimeBucket,
    timeZone = 'UTC',
  ): Promise<Map<string, HistoryPoint[]>> {
    const points = await this.repo.history(keys, since, until, bucket, timeZone);
    const out = new Map<string, HistoryPoint[]>();
    for (const k of keys) out.set(seriesId(k), []);
    for (const p of points) out.get(seriesId(p))?.push(p);
    return out;
  }

  /** Batched: share of time at each in-use count for many series (one query). */
  async histograms(
    keys: readonly SeriesKey[],
    since: Date,
    until: Date,
  ): Promise<Map<string, UtilizationHistogramData>> {
    const { bins, issued } = await this.repo.histogram(keys, since, until);
    const out = new Map<string, UtilizationHistogramData>();
    for (const k of keys)
      out.set(seriesId(k), {
        serverId: k.serverId,
        feature: k.feature,
        since,
        until,
        knownSeconds: 0,
        issued: issued.get(`${k.serverId}\u0000${k.feature}`) ?? null,
        bins: [],
      });
    for (const b of bins) {
      const h = out.get(seriesId(b));
      if (!h) continue;
      h.bins.push({ inUse: b.inUse, seconds: b.seconds, share: 0 });
      h.knownSeconds += b.seconds;
    }
    for (const h of out.values()) for (const b of h.bins) b.share = h.knownSeconds > 0 ? b.seconds / h.knownSeconds : 0;
    return out;
  }
}

export function seriesId(k: { serverId: string; feature: string }): string {
  return `${k.serverId}\u0000${k.feature}`;
}
