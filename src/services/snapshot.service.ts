/**
 * SnapshotService: the one way to read a license server.
 *
 * - A snapshot no older than the server's max age is served from memory.
 * - Concurrent callers for one server share a single in-flight fetch (single-flight), so a license server sees
 *   the same load whether one or a thousand people watch.
 * - Every fetch has a timeout; a fetch that fails or times out serves the last good snapshot marked stale with
 *   a SOURCE_UNAVAILABLE issue, or, when there is none, a DOWN server carrying the error.
 * - Each new snapshot gets a version number (used by response caches) and is validated once.
 * - Faults (see test/integration/faults.test.ts): a fetch that outlives its timeout and ignores the abort is never
 *   started again until it settles, so a hung source cannot pile up fetches; after consecutive timeouts, get()
 *   serves the failure state without retrying for a backoff (timeout x 2^(n-1), at most max(timeout, poll
 *   interval)), so a hung server costs waiting requests one timeout per backoff rather than one per max age;
 *   output the parser could not read at all (UNKNOWN with nothing in it) after a good read keeps the last good
 *   snapshot, marked stale with the reason, instead of replacing it.
 */
import { EventEmitter } from 'events';
import type { ServerConfig } from '../config/types';
import { clockSkewSeconds, CLOCK_SKEW_ISSUE_SECONDS } from '../domain/capture-time';
import type { Issue, Snapshot } from '../domain/snapshot';
import { validate, type SnapshotVerdict } from '../domain/validate';
import type { LicenseSource } from '../sources/source';

export interface ServerState {
  config: ServerConfig;
  snapshot: Snapshot;
  verdict: SnapshotVerdict;
  /** True when the snapshot is older than the last attempt (the last fetch failed). */
  stale: boolean;
  /** Monotonic per server; changes whenever snapshot or stale changes. */
  version: number;
  /** When the last fetch attempt finished. */
  checkedAt: string;
  /** Why the last fetch failed, when it did. */
  lastError: string | null;
  /**
   * Live sources (flexlm, rlm, json): the capture's own time minus ours when it was fetched, in seconds (lmstat
   * prints minutes, so +-60 s is noise). Null for files, pushes, and captures that state no time.
   */
  clockSkewSeconds?: number | null;
}

const LIVE_TYPES: ReadonlySet<string> = new Set(['flexlm', 'rlm', 'json']);

export interface SnapshotServiceOptions {
  now?: () => Date;
  logger?: { warn(obj: object, msg?: string): void };
}

interface Entry {
  source: LicenseSource;
  config: ServerConfig;
  state: ServerState | null;
  lastGood: Snapshot | null;
  inflight: Promise<ServerState> | null;
  /** When the current state was produced (ms); age is measured from here. */
  producedAt: number;
  /** The source's fetch() while it has not settled, even past its timeout. */
  running: Promise<Snapshot> | null;
  /** Consecutive timed-out fetches, and the wall-clock ms before which get() does not retry after them. */
  timeouts: number;
  retryAt: number;
}

/** Output that said nothing at all about the server (garbage): status UNKNOWN, no hosts, daemons or features. */
function unreadable(s: Snapshot): boolean {
  return s.status === 'UNKNOWN' && s.hosts.length === 0 && s.vendorDaemons.length === 0 && s.features.length === 0;
}

export class UnknownServerError extends Error {
  constructor(readonly serverId: string) {
    super(`Unknown license server "${serverId}"`);
  }
}

export class SnapshotService extends EventEmitter {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => Date;
  private version = 0;
  private fetches = 0;

  constructor(
    sources: Array<{ config: ServerConfig; source: LicenseSource }>,
    private readonly opts: SnapshotServiceOptions = {},
  ) {
    super();
    this.setMaxListeners(0);
    this.now = opts.now ?? (() => new Date());
    for (const { config, source } of sources) {
      this.entries.set(config.id, {
        source,
        config,
        state: null,
        lastGood: null,
        inflight: null,
        producedAt: 0,
        running: null,
        timeouts: 0,
        retryAt: 0,
      });
    }
  }

  serverIds(): string[] {
    return [...this.entries.keys()];
  }

  configs(): ServerConfig[] {
    return [...this.entries.values()].map((e) => e.config);
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  source(id: string): LicenseSource | undefined {
    return this.entries.get(id)?.source;
  }

  /** Total source fetches started (all servers), for tests and metrics. */
  fetchCount(): number {
    return this.fetches;
  }

  /** The current state without fetching (null before the first fetch). */
  peek(id: string): ServerState | null {
    return this.entries.get(id)?.state ?? null;
  }

  /** The current snapshot version when it is younger than the server's max age, else null (no fetch). */
  freshVersion(id: string): number | null {
    const e = this.entries.get(id);
    if (!e || !e.state) return null;
    if (this.now().getTime() - e.producedAt >= e.config.maxAgeSeconds * 1000) return null;
    return e.state.version;
  }

  /** A state no older than maxAgeMs (default: the server's configured max age). */
  async get(id: string, maxAgeMs?: number): Promise<ServerState> {
    const e = this.entries.get(id);
    if (!e) throw new UnknownServerError(id);
    const maxAge = maxAgeMs ?? e.config.maxAgeSeconds * 1000;
    if (e.state && this.now().getTime() - e.producedAt < maxAge) return e.state;
    // backing off a server that keeps timing out: its last state (stale or DOWN, with the reason) is the answer
    if (e.state && !e.inflight && this.now().getTime() < e.retryAt) return e.state;
    return this.refresh(id);
  }

  /** Fetch now (joining an in-flight fetch if there is one). */
  refresh(id: string): Promise<ServerState> {
    const e = this.entries.get(id);
    if (!e) return Promise.reject(new UnknownServerError(id));
    if (e.inflight) return e.inflight;
    const p = this.fetchOnce(e).finally(() => {
      e.inflight = null;
    });
    e.inflight = p;
    return p;
  }

  /**
   * Accept a snapshot from outside (push mode / ingest): it becomes the current state as if polled.
   */
  accept(id: string, snapshot: Snapshot): ServerState {
    const e = this.entries.get(id);
    if (!e) throw new UnknownServerError(id);
    return this.install(e, snapshot, false, null);
  }

  private async fetchOnce(e: Entry): Promise<ServerState> {
    if (e.running && e.state) {
      // The last fetch timed out and has still not settled (its source ignores the abort): starting another
      // would pile them up. Its failure state stands until it settles.
      this.opts.logger?.warn(
        { server: e.config.id },
        'license server fetch still running after its timeout; not starting another',
      );
      return e.state;
    }
    this.fetches++;
    const timeoutMs = e.config.timeoutSeconds * 1000;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        ac.abort();
        reject(new Error(`timed out after ${e.config.timeoutSeconds} s`));
      }, timeoutMs);
      timer.unref?.();
    });
    try {
      const run = e.source.fetch(ac.signal);
      e.running = run;
      run.then(
        () => this.settled(e, run),
        () => this.settled(e, run),
      );
      const snapshot = await Promise.race([run, timeout]);
      e.timeouts = 0;
      e.retryAt = 0;
      if (e.lastGood && unreadable(snapshot)) {
        const why = `unreadable output: ${snapshot.error ?? snapshot.warnings[0]?.message ?? 'no status found'}`;
        this.opts.logger?.warn(
          { server: e.config.id, err: why },
          'license server output unreadable; keeping the last good snapshot',
        );
        return this.install(e, e.lastGood, true, why);
      }
      return this.install(e, snapshot, false, null);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (timedOut || (err as { reason?: unknown } | null)?.reason === 'TIMEOUT') {
        e.timeouts++;
        const capMs = Math.max(e.config.timeoutSeconds, e.config.pollIntervalSeconds) * 1000;
        e.retryAt = this.now().getTime() + Math.min(capMs, timeoutMs * 2 ** (e.timeouts - 1));
      } else {
        e.timeouts = 0;
        e.retryAt = 0;
      }
      this.opts.logger?.warn({ server: e.config.id, err: message }, 'license server fetch failed');
      if (e.lastGood) return this.install(e, e.lastGood, true, message);
      const at = this.now().toISOString();
      const down: Snapshot = {
        serverId: e.config.id,
        sourceType: e.config.type,
        fetchedAt: at,
        status: 'DOWN',
        version: null,
        hosts: [],
        vendorDaemons: [],
        features: [],
        warnings: [],
        error: message,
      };
      return this.install(e, down, false, message);
    } finally {
      clearTimeout(timer);
    }
  }

  private settled(e: Entry, run: Promise<Snapshot>): void {
    if (e.running === run) e.running = null;
  }

  private install(e: Entry, snapshot: Snapshot, stale: boolean, error: string | null): ServerState {
    const previous = e.state;
    // A server that answered is current truth; a DOWN answer is shown as DOWN but is not kept as "last good".
    if (!stale && snapshot.status !== 'DOWN') e.lastGood = snapshot;
    const verdict = validate(snapshot, { stale });
    const skew = LIVE_TYPES.has(e.config.type) ? clockSkewSeconds(snapshot.capturedAt, snapshot.fetchedAt) : null;
    if (skew !== null && Math.abs(skew) > CLOCK_SKEW_ISSUE_SECONDS) {
      // informational: the data is still right (start times are read on the server's own clock), so valid stands
      verdict.issues.push({
        code: 'CLOCK_SKEW',
        message: `License server ${e.config.id}'s clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} ours (or its timeZone is not ${e.config.timeZone ?? 'the process zone'})`,
        expected: 0,
        actual: skew,
      });
    }
    if (stale && error) {
      const src = verdict.issues.find((i) => i.code === 'SOURCE_UNAVAILABLE');
      if (src) src.message += ` (${error})`;
    }
    const state: ServerState = {
      config: e.config,
      snapshot,
      verdict,
      stale,
      version: ++this.version,
      checkedAt: this.now().toISOString(),
      lastError: error,
      clockSkewSeconds: skew,
    };
    e.state = state;
    e.producedAt = this.now().getTime();
    this.emit('state', state, previous);
    return state;
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) await e.source.close?.();
  }
}

export function issueOf(code: string, message: string): Issue {
  return { code, message, expected: null, actual: null };
}
