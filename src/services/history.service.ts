/**
 * HistoryService: turns what a poll (or a push) saw into history rows, through HistoryRepository.recordPoll (one
 * transaction per poll, idempotent; see src/store/repositories/history.ts).
 *
 * What a snapshot may close: a DOWN server, a failed fetch (stale state) or a server whose answer is in doubt says
 * nothing about checkins. Unknown is not "checked in", so such polls never close a session. Within an UP answer,
 * a feature the server could not report ("Cannot get users of X") or whose lines could not all be read keeps its
 * sessions open too, and sessions of features missing from the answer are closed only when the answer is complete
 * (every vendor daemon UP, no unattributed unreadable line).
 *
 * Push mode: ingest() takes pushes for type "ingest" servers only, from tokens whose scope includes the server. It
 * parses the pushed text (lmstat, rlmstat, LicenseSummary JSON) on a worker thread within the push limits, rejects
 * what the store could not hold, records it exactly like a poll and only then hands the snapshot to the
 * SnapshotService (it becomes the server's current state, as if polled): a push is either recorded and live, or
 * neither. Pushes to one server are applied one at a time, in arrival order.
 */
import { DEFAULT_INGEST_LIMITS, type IngestLimitsConfig } from '../config/types';
import type { Principal } from '../domain/auth';
import { hasUntrustedStart } from '../domain/capture-time';
import type { Snapshot } from '../domain/snapshot';
import { IngestSource, type IngestFormat } from '../sources/ingest';
import { IngestParser } from '../sources/ingest/parse-worker';
import type { Database } from '../store/db';
import {
  HistoryRepository,
  type PollRecord,
  type PollResult,
  type SessionObservation,
  type SampleObservation,
} from '../store/repositories/history';
import type { Store } from '../store/store';
import type { ServerState, SnapshotService } from './snapshot.service';

export const DEFAULT_SAMPLE_EVERY = 10;

export interface HistoryServiceOptions {
  /** Write a sample every Nth UP poll even when nothing changed (default 10). */
  sampleEvery?: number;
  /** Clock for pushed snapshots: start-time inference and the instant a push is recorded and published at. */
  now?: () => Date;
  /** What one push may hold (default DEFAULT_INGEST_LIMITS). */
  ingestLimits?: Partial<IngestLimitsConfig>;
  /** Parses pushes (default: on a worker thread). */
  parser?: IngestParser;
  logger?: { warn(obj: object, msg?: string): void };
}

/** How a server's sessions are counted (from its config): see PollRecord.allowanceMs / countReportedStart. */
export interface CountingOptions {
  allowanceMs?: number;
  countReportedStart?: boolean;
}

/** The history path for one state: pure. `at` is the poll instant. */
export function pollRecordOf(
  snapshot: Snapshot,
  stale: boolean,
  at: Date,
  sampleEvery: number = DEFAULT_SAMPLE_EVERY,
  counting: CountingOptions = {},
): PollRecord {
  const base: PollRecord = {
    serverId: snapshot.serverId,
    at,
    status: stale ? 'STALE' : snapshot.status,
    sessions: [],
    closableFeatures: [],
    presentFeatures: [],
    closeAbsent: false,
    samples: [],
    sampleEvery,
    allowanceMs: counting.allowanceMs ?? 0,
    countReportedStart: counting.countReportedStart === true,
  };
  if (stale || snapshot.status !== 'UP') return base;
  const doubtful = new Set<string>();
  let unattributed = false;
  for (const w of snapshot.warnings) {
    if (!w.affectsCounts) continue;
    if (w.feature) doubtful.add(w.feature);
    else unattributed = true;
  }
  const sessions: SessionObservation[] = [];
  const samples: SampleObservation[] = [];
  const present = new Set<string>();
  const closable = new Set<string>();
  for (const f of snapshot.features) {
    present.add(f.name);
    for (const c of f.checkouts) {
      const startedMs = c.startedAt ? Date.parse(c.startedAt) : NaN;
      const startedAt = Number.isFinite(startedMs) ? new Date(startedMs).toISOString() : null;
      sessions.push({
        feature: f.name,
        version: c.version ?? '',
        username: c.username,
        hostname: c.hostname,
        display: c.display ?? '',
        handle: c.handle ?? '',
        startKey: startedAt ?? `raw:${c.startTime}`,
        startedAt,
        trustedStart: !hasUntrustedStart(c),
        count: Number.isFinite(c.count) && c.count >= 1 ? Math.floor(c.count) : 1,
      });
    }
    if (f.error || doubtful.has(f.name)) continue;
    closable.add(f.name);
    samples.push({
      feature: f.name,
      issued: f.uncounted ? null : f.issued,
      used: f.used,
      reserved: f.reservations.reduce((n, r) => n + (Number.isFinite(r.count) ? r.count : 0), 0),
      queued: f.queued.reduce((n, q) => n + (Number.isFinite(q.count) ? q.count : 0), 0),
    });
  }
  // A feature that is doubtful in one block of a listing stays doubtful (feature42 appears twice in real output).
  for (const name of doubtful) closable.delete(name);
  return {
    ...base,
    sessions,
    samples: samples.filter((s) => !doubtful.has(s.feature)),
    presentFeatures: [...present],
    closableFeatures: [...closable],
    closeAbsent: !unattributed && snapshot.vendorDaemons.every((d) => d.status === 'UP'),
  };
}

/**
 * The instant a pushed capture stands for in history: the time it states (a capture that sat in a queue, a backfill),
 * never later than its arrival; the arrival when it states none.
 */
export function pushInstant(capturedAt: string | null | undefined, received: Date): Date {
  const ms = capturedAt ? Date.parse(capturedAt) : NaN;
  return Number.isFinite(ms) && ms < received.getTime() ? new Date(ms) : received;
}

export class IngestInputError extends Error {
  constructor(
    /** 'server', 'format', 'text', or a path into the pushed status ("features[0].checkouts[1].username"). */
    readonly field: string,
    readonly rule: string,
    readonly notFound = false,
  ) {
    super(`Invalid argument ${field}: ${rule}`);
    this.name = 'IngestInputError';
  }
}

/** The server does not take pushes (not of type ingest), or the token is scoped to other servers: 403. */
export class IngestForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestForbiddenError';
  }
}

/** Over one of the push limits (IngestLimitsConfig): 413; `limit` names its environment variable. */
export class IngestTooLargeError extends Error {
  constructor(
    readonly limit: string,
    readonly max: number,
    readonly actual: number,
    message: string,
  ) {
    super(message);
    this.name = 'IngestTooLargeError';
  }
}

export interface IngestResult {
  server: string;
  format: IngestFormat;
  fetchedAt: string;
  status: string;
  features: number;
  checkouts: number;
  warnings: number;
  valid: boolean;
  sessionsOpened: number;
  sessionsClosed: number;
  samples: number;
  /** True when history already had this instant (a replay). */
  skipped: boolean;
}

export class HistoryService {
  readonly repo: HistoryRepository;
  readonly sampleEvery: number;
  readonly ingestLimits: IngestLimitsConfig;
  private readonly parser: IngestParser;
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly snapshots: SnapshotService,
    private readonly opts: HistoryServiceOptions = {},
  ) {
    this.repo = store.history;
    this.sampleEvery = Math.max(1, Math.floor(opts.sampleEvery ?? DEFAULT_SAMPLE_EVERY));
    this.ingestLimits = { ...DEFAULT_INGEST_LIMITS, ...(opts.ingestLimits ?? {}) };
    this.parser = opts.parser ?? new IngestParser();
  }

  /**
   * Records a server state (what a poll produced). `db`: the poller's lease connection on PostgreSQL. `at`: the
   * instant it stands for (default: when it was read; a push: the capture's own time, see ingest()).
   */
  record(state: ServerState, db?: Database, at: Date = new Date(state.checkedAt)): Promise<PollResult> {
    const counting = {
      allowanceMs: state.config.pollIntervalSeconds * 1000,
      countReportedStart: state.config.countReportedStart === true,
    };
    return this.repo.recordPoll(pollRecordOf(state.snapshot, state.stale, at, this.sampleEvery, counting), db);
  }

  /** Push mode (see the header). Role checks are the caller's (UPLOADER, ADMIN); server type and token scope are here. */
  async ingest(
    serverId: string,
    format: IngestFormat | 'auto' | undefined,
    text: string,
    principal?: Principal,
  ): Promise<IngestResult> {
    const config = this.snapshots.configs().find((c) => c.id === serverId);
    if (!config) throw new IngestInputError('server', `unknown license server "${serverId}"`, true);
    if (config.type !== 'ingest') {
      throw new IngestForbiddenError(
        `License server "${serverId}" is of type ${config.type}: it is read by licensegraph itself, and only servers of type ingest accept pushed status`,
      );
    }
    if (principal?.servers && !principal.servers.includes(serverId)) {
      throw new IngestForbiddenError(
        `This token may push to ${principal.servers.map((s) => `"${s}"`).join(', ')} only, not to license server "${serverId}"`,
      );
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.ingestLimits.maxBytes) {
      throw new IngestTooLargeError(
        'LICENSEGRAPH_INGEST_MAX_BYTES',
        this.ingestLimits.maxBytes,
        bytes,
        `the pushed text is ${bytes} bytes; one push may hold at most ${this.ingestLimits.maxBytes} (LICENSEGRAPH_INGEST_MAX_BYTES)`,
      );
    }
    const now = this.opts.now?.() ?? new Date();
    const checked = await this.parser.parse({
      text,
      format,
      serverId,
      nowMs: now.getTime(),
      timeZone: config.timeZone,
      limits: this.ingestLimits,
    });
    if (!checked.ok) {
      if (checked.kind === 'limit')
        throw new IngestTooLargeError(checked.limit, checked.max, checked.actual, checked.message);
      throw new IngestInputError(checked.field, checked.message);
    }
    return this.serially(serverId, () => this.recordThenPublish(serverId, checked.format, checked.snapshot));
  }

  /** History first; the live state changes only once the history transaction has committed. */
  private async recordThenPublish(serverId: string, format: IngestFormat, snapshot: Snapshot): Promise<IngestResult> {
    const config = this.snapshots.configs().find((c) => c.id === serverId)!;
    const received = this.opts.now?.() ?? new Date();
    const counting = {
      allowanceMs: config.pollIntervalSeconds * 1000,
      countReportedStart: config.countReportedStart === true,
    };
    // the instant the capture stands for: its own time (a queued push, a backfill), never later than its arrival
    const at = pushInstant(snapshot.capturedAt, received);
    const result = await this.repo.recordPoll(pollRecordOf(snapshot, false, at, this.sampleEvery, counting));
    const source = this.snapshots.source(serverId);
    if (source instanceof IngestSource) source.push(snapshot);
    const state = this.snapshots.accept(serverId, snapshot);
    return {
      server: serverId,
      format,
      fetchedAt: snapshot.fetchedAt,
      status: snapshot.status,
      features: snapshot.features.length,
      checkouts: snapshot.features.reduce((n, f) => n + f.checkouts.length, 0),
      warnings: snapshot.warnings.length,
      valid: state.verdict.valid,
      sessionsOpened: result.opened,
      sessionsClosed: result.closed,
      samples: result.samples,
      skipped: result.skipped,
    };
  }

  /** Runs fn after every earlier push to the same server has settled. */
  private serially<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(serverId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(serverId, tail);
    void tail.then(() => {
      if (this.queues.get(serverId) === tail) this.queues.delete(serverId);
    });
    return run;
  }

  close(): Promise<void> {
    return this.parser.close();
  }
}
