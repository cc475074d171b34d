/**
 * The poller: for each configured server, a snapshot every pollIntervalSeconds (SnapshotService.refresh, so it
 * shares the single in-flight fetch with any request asking at the same moment), recorded in the history store.
 *
 * Several replicas on one PostgreSQL: exactly one polls a given server. Before each poll a replica takes (or
 * confirms it holds) that server's session-level advisory lock on its dedicated connection (PollLeases); the others
 * try again every interval, so when the holder stops or dies (its connection closes and PostgreSQL releases the
 * lock) another one takes over within an interval. With PGlite, the one process polls every server.
 *
 * Push-mode servers (type "ingest") are not polled: agents push to them.
 *
 * Tests drive polls deterministically with pollOnce(); start() runs the timers (startServer does).
 */
import { EventEmitter } from 'events';
import type { ServerConfig } from '../config/types';
import { PollLeases, type PollResult } from '../store/repositories/history';
import type { Store } from '../store/store';
import { systemTimers, type Timers } from './clock';
import type { HistoryService } from './history.service';
import type { ServerState, SnapshotService } from './snapshot.service';

export interface PollerOptions {
  /** Run the timers (default: false for buildApp, true for startServer). */
  start?: boolean;
  /** Every server's interval in ms, overriding pollIntervalSeconds (tests). */
  intervalMs?: number;
  /** The clock and timers the schedule runs on (default: the system's; tests inject a controllable clock). */
  now?: () => Date;
  timers?: Timers;
}

export type PollOutcome =
  | { polled: true; serverId: string; state: ServerState; result: PollResult }
  | { polled: false; serverId: string; reason: 'not-leader' | 'push-mode' | 'stopped' | 'error'; error?: string };

interface Logger {
  warn(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
}

export class Poller extends EventEmitter {
  readonly leases: PollLeases;
  private readonly timers = new Map<string, unknown>();
  private readonly clock: Timers;
  private readonly now: () => number;
  private readonly inflight = new Map<string, Promise<PollOutcome>>();
  private running = false;
  private stopped = false;
  private counts = { polls: 0, skipped: 0, errors: 0 };

  constructor(
    private readonly snapshots: SnapshotService,
    private readonly history: HistoryService,
    store: Store,
    private readonly opts: PollerOptions = {},
    private readonly logger?: Logger,
  ) {
    super();
    this.setMaxListeners(0);
    this.clock = opts.timers ?? systemTimers;
    const now = opts.now;
    this.now = now ? () => now().getTime() : () => Date.now();
    this.leases = new PollLeases(store.driver, store.db, logger);
  }

  /** Servers this poller is responsible for (all but push-mode ones). */
  pollable(): ServerConfig[] {
    return this.snapshots.configs().filter((c) => c.type !== 'ingest');
  }

  intervalMs(c: ServerConfig): number {
    return this.opts.intervalMs ?? Math.max(1, c.pollIntervalSeconds) * 1000;
  }

  /** True when this replica currently polls the server. */
  owns(serverId: string): boolean {
    return this.leases.holds(serverId);
  }

  stats(): { polls: number; skipped: number; errors: number; owned: string[] } {
    return {
      ...this.counts,
      owned: this.pollable()
        .map((c) => c.id)
        .filter((id) => this.owns(id)),
    };
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    for (const c of this.pollable()) this.schedule(c, 0);
  }

  private schedule(c: ServerConfig, delayMs: number): void {
    if (!this.running) return;
    const t = this.clock.setTimeout(() => {
      const started = this.now();
      void this.pollOnce(c.id).finally(() => this.schedule(c, Math.max(0, started + this.intervalMs(c) - this.now())));
    }, delayMs);
    this.timers.set(c.id, t);
  }

  /** One poll of one server (if this replica may poll it). Joins a poll of the same server already running. */
  pollOnce(serverId: string): Promise<PollOutcome> {
    const running = this.inflight.get(serverId);
    if (running) return running;
    const p = this.doPoll(serverId).finally(() => this.inflight.delete(serverId));
    this.inflight.set(serverId, p);
    return p;
  }

  /** Polls every pollable server once (in parallel). */
  async pollAll(): Promise<PollOutcome[]> {
    return Promise.all(this.pollable().map((c) => this.pollOnce(c.id)));
  }

  private async doPoll(serverId: string): Promise<PollOutcome> {
    if (this.stopped) return { polled: false, serverId, reason: 'stopped' };
    const config = this.snapshots.configs().find((c) => c.id === serverId);
    if (!config) return { polled: false, serverId, reason: 'error', error: `unknown server ${serverId}` };
    if (config.type === 'ingest') return { polled: false, serverId, reason: 'push-mode' };
    if (!(await this.leases.acquire(serverId))) return { polled: false, serverId, reason: 'not-leader' };
    try {
      const state = await this.snapshots.refresh(serverId);
      const result = await this.leases.withDb(serverId, (db) => this.history.record(state, db));
      this.counts.polls++;
      if (result.skipped) this.counts.skipped++;
      const outcome: PollOutcome = { polled: true, serverId, state, result };
      this.emit('poll', outcome);
      return outcome;
    } catch (err) {
      this.counts.errors++;
      const message = err instanceof Error ? err.message : String(err);
      this.logger?.warn({ server: serverId, err: message }, 'poll could not be recorded');
      const outcome: PollOutcome = { polled: false, serverId, reason: 'error', error: message };
      this.emit('poll', outcome);
      return outcome;
    }
  }

  /** Stops the timers, waits for polls in progress, gives up the locks. Idempotent. */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    for (const t of this.timers.values()) this.clock.clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight.values()]);
    await this.leases.close();
  }
}
