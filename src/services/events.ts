/**
 * Live events: every new server state (SnapshotService 'state', from a poll, a request-driven fetch or an
 * ingested snapshot) is compared with that server's baseline (src/domain/diff.ts) and judged by the alert rules;
 * what changed is published on the event bus (src/services/pubsub.ts), in-process and, with PostgreSQL, to the
 * other replicas through NOTIFY.
 *
 * Live polling: subscribers expect news within one poll interval even when nobody else is asking, so while this
 * replica has at least one subscriber it reads a server (SnapshotService.refresh: single-flight) whenever
 * pollIntervalSeconds have passed since that server's latest reading, whoever caused it. When a dedicated poller
 * (or traffic) already reads the server that often, the timer keeps being pushed back and live polling costs the
 * license server nothing. Call `setExternalPoller(true)` to turn it off entirely.
 *
 * Which replica publishes: by default every replica publishes what its own reads show; the bus drops an
 * announcement another replica already made (same state for the same key). A poller that knows which replica
 * owns a server can narrow this with `setPublisher((serverId) => ownsIt)`.
 */
import type { Logger } from 'pino';
import type { AppConfig } from '../config/types';
import {
  checkoutKey,
  comparable,
  diffSnapshots,
  nextBaseline,
  type CheckoutEvent,
  type FeatureUsageChange,
} from '../domain/diff';
import type { Snapshot } from '../domain/snapshot';
import type { Store } from '../store';
import { AlertsService, alertKey, type AlertEvent } from './alerts.service';
import { systemTimers, type Timers } from './clock';
import { EventBus, PgNotifyTransport, type Transport } from './pubsub';
import type { ServerState, SnapshotService } from './snapshot.service';

export type LiveEvent =
  | { kind: 'usage'; data: FeatureUsageChange }
  | { kind: 'checkout'; data: CheckoutEvent }
  | { kind: 'alert'; data: AlertEvent }
  /** The stored alert rules changed: every replica re-reads them. */
  | { kind: 'rules'; at: string };

/** Duplicate suppression across replicas: the state an event announces, per key. */
export function dedupeOf(e: LiveEvent): { key: string; value: string } | null {
  switch (e.kind) {
    case 'usage': {
      const d = e.data;
      const c = d.current;
      return {
        key: `u\u0000${d.serverId}\u0000${d.vendor ?? ''}\u0000${d.feature}`,
        value: c ? `${c.issued}/${c.used}` : 'gone',
      };
    }
    case 'checkout':
      return {
        key: `c\u0000${e.data.serverId}\u0000${e.data.feature}\u0000${checkoutKey(e.data.checkout)}`,
        value: e.data.type,
      };
    case 'alert':
      return { key: `a\u0000${alertKey(e.data)}`, value: e.data.status };
    default:
      return null;
  }
}

export interface EventsServiceOptions {
  snapshots: SnapshotService;
  alerts: AlertsService;
  bus: EventBus<LiveEvent>;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Live polling while there are subscribers (default true). */
  livePolling?: boolean;
  /** The timers live polling runs on (default: the system's; tests inject a controllable clock). */
  timers?: Timers;
}

export class EventsService {
  readonly bus: EventBus<LiveEvent>;
  readonly alerts: AlertsService;
  private readonly snapshots: SnapshotService;
  private readonly baselines = new Map<string, Snapshot>();
  private publisher: (serverId: string) => boolean = () => true;
  private livePolling: boolean;
  private liveActive = false;
  private readonly liveTimers = new Map<string, unknown>();
  private readonly timers: Timers;
  private closed = false;
  private readonly onState = (state: ServerState, previous: ServerState | null) => this.handle(state, previous);
  private readonly onSubscribers = (n: number) => this.updateLivePolling(n);
  private readonly onBusEvent = (e: LiveEvent) => {
    if (e.kind === 'rules') void this.alerts.reload();
    // Alerts another replica announced (live or caught up after a lost LISTEN): every replica's activeAlerts agree.
    else if (e.kind === 'alert') this.alerts.apply(e.data);
  };
  /** Counters for metrics. */
  readonly stats = { usage: 0, checkouts: 0, alerts: 0 };

  constructor(private readonly opts: EventsServiceOptions) {
    this.bus = opts.bus;
    this.alerts = opts.alerts;
    this.snapshots = opts.snapshots;
    this.livePolling = opts.livePolling ?? true;
    this.timers = opts.timers ?? systemTimers;
    this.alerts.publish = (events) => void this.bus.publish(events.map((data) => ({ kind: 'alert' as const, data })));
    this.alerts.onRulesChanged = () => void this.bus.publish([{ kind: 'rules', at: new Date().toISOString() }]);
  }

  /** Starts listening (LISTEN on PostgreSQL), loads the stored alert rules and attaches to the SnapshotService. */
  async start(): Promise<void> {
    this.snapshots.on('state', this.onState);
    this.bus.on('subscribers', this.onSubscribers);
    this.bus.on('event', this.onBusEvent);
    await Promise.all([this.bus.start(), this.alerts.load()]);
  }

  /** A dedicated poller exists: do not poll for subscribers. */
  setExternalPoller(external: boolean): void {
    this.livePolling = !external;
    this.updateLivePolling(this.bus.subscriberCount);
  }

  setPublisher(fn: (serverId: string) => boolean): void {
    this.publisher = fn;
  }

  /** Events for one new state (also used by tests). */
  handle(state: ServerState, _previous: ServerState | null): void {
    if (this.closed) return;
    const id = state.config.id;
    if (this.liveActive) this.armLive(id);
    const out: LiveEvent[] = [];
    if (comparable(state.snapshot, state.stale)) {
      const base = this.baselines.get(id) ?? null;
      if (base !== state.snapshot) {
        const diff = diffSnapshots(base, { ...state.snapshot, serverId: id });
        this.baselines.set(id, nextBaseline(base, state.snapshot));
        for (const d of diff.usage) out.push({ kind: 'usage', data: d });
        for (const d of diff.checkouts) out.push({ kind: 'checkout', data: d });
        this.stats.usage += diff.usage.length;
        this.stats.checkouts += diff.checkouts.length;
      }
    }
    const alerts = this.alerts.evaluate(state);
    this.stats.alerts += alerts.length;
    for (const a of alerts) out.push({ kind: 'alert', data: a });
    if (out.length === 0 || !this.publisher(id)) return;
    void this.bus.publish(out);
  }

  private updateLivePolling(subscribers: number): void {
    const want = this.livePolling && subscribers > 0 && !this.closed;
    if (want && !this.liveActive) {
      this.liveActive = true;
      for (const id of this.snapshots.serverIds()) {
        // First reading now when there is none (the baseline), else one interval after the last reading.
        const last = this.snapshots.peek(id);
        if (!last) this.snapshots.get(id).catch(() => undefined);
        else this.armLive(id);
      }
    } else if (!want && this.liveActive) {
      this.liveActive = false;
      for (const t of this.liveTimers.values()) this.timers.clearTimeout(t);
      this.liveTimers.clear();
    }
  }

  /**
   * Schedules this replica's next live read of a server one poll interval after its latest reading (whoever
   * caused it). Every new state re-arms the timer, so data is never older than one interval while someone
   * listens, and a server that is read often anyway (a poller, busy dashboards) is not read again for us.
   */
  private armLive(id: string): void {
    if (!this.liveActive) return;
    const config = this.snapshots.configs().find((c) => c.id === id);
    if (!config) return;
    const old = this.liveTimers.get(id);
    if (old) this.timers.clearTimeout(old);
    const ms = Math.max(100, config.pollIntervalSeconds * 1000);
    const t = this.timers.setTimeout(() => {
      this.liveTimers.delete(id);
      if (!this.liveActive) return;
      this.snapshots.refresh(id).catch(() => undefined);
    }, ms);
    this.liveTimers.set(id, t);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.snapshots.off('state', this.onState);
    this.bus.off('subscribers', this.onSubscribers);
    this.bus.off('event', this.onBusEvent);
    this.liveActive = false;
    for (const t of this.liveTimers.values()) this.timers.clearTimeout(t);
    this.liveTimers.clear();
    await this.bus.close();
  }
}

/** Builds the bus (with NOTIFY fan-out on PostgreSQL), the alerts and the events services for one app. */
export function createLiveServices(opts: {
  config: AppConfig;
  store: Store;
  snapshots: SnapshotService;
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** The clock alerts are dated by and the timers live polling runs on (tests). */
  now?: () => Date;
  timers?: Timers;
}): { bus: EventBus<LiveEvent>; alerts: AlertsService; events: EventsService } {
  const { store, logger } = opts;
  const transport: Transport | null =
    store.driver.kind === 'postgres'
      ? new PgNotifyTransport({ pool: store.driver.pool, log: store.liveEvents, logger })
      : null;
  const bus = new EventBus<LiveEvent>({ transport, dedupe: dedupeOf, logger });
  const alerts = new AlertsService({
    store,
    config: opts.config.alerts ?? [],
    serverIds: () => opts.snapshots.serverIds(),
    logger,
    now: opts.now,
  });
  const events = new EventsService({ snapshots: opts.snapshots, alerts, bus, logger, timers: opts.timers });
  return { bus, alerts, events };
}
