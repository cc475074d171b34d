/**
 * License alerts: rules (from the config file's `alerts:` list, and made through the API and kept in the store)
 * evaluated against every new server state. An alert FIRES when its condition becomes true for a target (a
 * server, a server's vendor daemon, or a server's feature) and is RESOLVED when it stops being true; nothing is
 * sent while the condition stays the same, however often the server is polled.
 *
 * Kinds (threshold meaning):
 *   FREE_BELOW N            free licenses of a feature < N
 *   FREE_PERCENT_BELOW P    free / issued * 100 < P (features with issued > 0)
 *   EXPIRES_WITHIN_DAYS D   the feature's earliest pool expiry is at most D days away (or past)
 *   SERVER_DOWN             the server answers DOWN, or cannot be read (the data shown is stale)
 *   DAEMON_DOWN             a vendor daemon is DOWN; `feature` selects daemons by name (glob), not features
 *   QUEUE_NONEMPTY [N]      more than N (default 0) licenses of a feature are queued
 * `feature` is a name or glob (null: every feature) and `server` a server id (null: every server).
 *
 * Feature and daemon conditions are judged only on a fresh answer from a server that is UP: while a server is
 * DOWN or stale they keep their state (SERVER_DOWN says what is going on), so an outage does not resolve and
 * re-fire every alert. A target that is no longer reported while the server is UP resolves. A deleted rule
 * resolves its firing alerts.
 */
import { daysToExpiry, earliestExpiry } from '../domain/expiry';
import { randomUUID } from 'crypto';
import { nameMatcher, type NameMatcher } from '../domain/glob';
import type { Snapshot } from '../domain/snapshot';
import { comparable, usageOf } from '../domain/diff';
import { checkAlertRule, type AlertKind, type AlertRuleConfig, type AlertStatus } from '../domain/alerts';
import type { AlertRule } from '../store/repositories/alert-rules';
import type { Store } from '../store';
import type { ServerState } from './snapshot.service';

export { ALERT_KINDS, checkAlertRule, type AlertKind, type AlertRuleConfig, type AlertStatus } from '../domain/alerts';

export type AlertRuleSource = 'CONFIG' | 'API';

/** A rule as the API shows it (config rules have ids "config-<n>" and no creator). */
export interface AlertRuleView {
  id: string;
  kind: AlertKind;
  feature: string | null;
  serverId: string | null;
  threshold: number | null;
  source: AlertRuleSource;
  createdBy: string | null;
  createdAt: string | null;
}

export interface AlertEvent {
  /** Unique per event. */
  id: string;
  status: AlertStatus;
  rule: AlertRuleView;
  serverId: string;
  feature: string | null;
  daemon: string | null;
  message: string;
  /** The measured value (free licenses, percent free, days to expiry, queued licenses), when there is one. */
  value: number | null;
  at: string;
}

/** Identifies what an alert is about, for state keeping and duplicate suppression across replicas. */
export function alertKey(e: Pick<AlertEvent, 'serverId' | 'feature' | 'daemon'> & { rule: { id: string } }): string {
  return [e.rule.id, e.serverId, e.feature ?? '', e.daemon ?? ''].join('\u0000');
}

export function configRules(list: readonly AlertRuleConfig[]): AlertRuleView[] {
  return list.map((r, i) => ({
    id: `config-${i + 1}`,
    kind: r.kind,
    feature: r.feature ?? null,
    serverId: r.server ?? null,
    threshold: r.threshold ?? null,
    source: 'CONFIG',
    createdBy: null,
    createdAt: null,
  }));
}

export function apiRule(r: AlertRule): AlertRuleView {
  return {
    id: r.id,
    kind: r.kind,
    feature: r.feature,
    serverId: r.serverId,
    threshold: r.threshold,
    source: 'API',
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
  };
}

// ---- evaluation (pure) ------------------------------------------------------------------------------------

/** A condition that holds now for one target. */
export interface Condition {
  feature: string | null;
  daemon: string | null;
  value: number | null;
  message: string;
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/**
 * The targets for which a rule's condition holds in a snapshot. Returns null when the rule cannot be judged
 * on this reading (feature/daemon kinds while the server is DOWN or stale): the caller keeps the old state.
 */
export function evaluateRule(
  rule: AlertRuleView,
  snapshot: Snapshot,
  stale: boolean,
  matcher: NameMatcher = nameMatcher(rule.feature ? [rule.feature] : null),
): Map<string, Condition> | null {
  const out = new Map<string, Condition>();
  const id = snapshot.serverId;
  if (rule.serverId && rule.serverId !== id) return out;
  if (rule.kind === 'SERVER_DOWN') {
    if (snapshot.status === 'DOWN')
      out.set('', {
        feature: null,
        daemon: null,
        value: null,
        message: `License server ${id} is DOWN${snapshot.error ? `: ${snapshot.error}` : ''}`,
      });
    else if (stale)
      out.set('', {
        feature: null,
        daemon: null,
        value: null,
        message: `License server ${id} cannot be read; showing data from ${snapshot.fetchedAt}`,
      });
    return out;
  }
  if (!comparable(snapshot, stale)) return null;
  if (rule.kind === 'DAEMON_DOWN') {
    for (const d of snapshot.vendorDaemons) {
      if (d.status === 'DOWN' && matcher(d.name)) {
        out.set(`\u0000${d.name}`, {
          feature: null,
          daemon: d.name,
          value: null,
          message: `Vendor daemon ${d.name} on ${id} is DOWN${d.message ? `: ${d.message}` : ''}`,
        });
      }
    }
    return out;
  }
  const t = rule.threshold ?? 0;
  for (const f of snapshot.features) {
    if (f.error || !matcher(f.name)) continue;
    const key = `${f.name}\u0000`;
    if (out.has(key)) continue;
    const u = usageOf(f);
    switch (rule.kind) {
      case 'FREE_BELOW':
        if (u.free !== null && u.free < t)
          out.set(key, {
            feature: f.name,
            daemon: null,
            value: u.free,
            message: `${f.name} on ${id}: ${u.free} free (${u.used}/${u.issued} in use), below ${t}`,
          });
        break;
      case 'FREE_PERCENT_BELOW':
        if (u.free !== null && u.issued !== null && u.issued > 0) {
          const pct = (u.free / u.issued) * 100;
          if (pct < t)
            out.set(key, {
              feature: f.name,
              daemon: null,
              value: round(pct, 2),
              message: `${f.name} on ${id}: ${round(pct)}% free (${u.free} of ${u.issued}), below ${t}%`,
            });
        }
        break;
      case 'EXPIRES_WITHIN_DAYS': {
        const e = earliestExpiry(f.pools);
        const days = e ? daysToExpiry(e, snapshot.fetchedAt) : null;
        if (days !== null && days <= t) {
          out.set(key, {
            feature: f.name,
            daemon: null,
            value: days,
            message:
              days < 0 ? `${f.name} on ${id} expired on ${e}` : `${f.name} on ${id} expires on ${e}, in ${days} day(s)`,
          });
        }
        break;
      }
      case 'QUEUE_NONEMPTY': {
        const queued = f.queued.reduce((n, q) => n + (q.count || 1), 0);
        if (queued > t)
          out.set(key, {
            feature: f.name,
            daemon: null,
            value: queued,
            message: `${f.name} on ${id}: ${queued} license(s) queued`,
          });
        break;
      }
    }
  }
  return out;
}

// ---- the service --------------------------------------------------------------------------------------------

export interface AlertsServiceOptions {
  store: Pick<Store, 'alertRules'>;
  config: readonly AlertRuleConfig[];
  /** Configured server ids, for validation. */
  serverIds: () => readonly string[];
  /** Called with events to publish (set by the EventsService). */
  publish?: (events: AlertEvent[]) => void;
  logger?: { warn(obj: object, msg?: string): void };
  now?: () => Date;
}

interface Active {
  event: AlertEvent;
  /** The rule's kind is judged per server: the active alert belongs to this server. */
  serverId: string;
}

export class AlertRuleInputError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class AlertsService {
  private rules: AlertRuleView[];
  private readonly matchers = new Map<string, NameMatcher>();
  private readonly active = new Map<string, Active>();
  private loaded: Promise<void> | null = null;
  private readonly now: () => Date;
  publish: (events: AlertEvent[]) => void;
  /** Called after this replica changed the stored rules (the EventsService tells the other replicas). */
  onRulesChanged: () => void = () => undefined;

  constructor(private readonly opts: AlertsServiceOptions) {
    this.rules = configRules(opts.config);
    this.now = opts.now ?? (() => new Date());
    this.publish = opts.publish ?? (() => undefined);
  }

  /** Loads the stored rules (config rules are known from the start). */
  load(): Promise<void> {
    if (!this.loaded) this.loaded = this.reload();
    return this.loaded;
  }

  /** Re-reads the stored rules (after a change here or on another replica). Deleted rules resolve their alerts. */
  async reload(): Promise<void> {
    let stored: AlertRule[];
    try {
      stored = await this.opts.store.alertRules.list();
    } catch (err) {
      this.opts.logger?.warn({ err: (err as Error).message }, 'alerts: cannot read alert rules');
      return;
    }
    const next = [...configRules(this.opts.config), ...stored.map(apiRule)];
    const ids = new Set(next.map((r) => r.id));
    const resolved: AlertEvent[] = [];
    for (const [key, a] of this.active) {
      if (ids.has(a.event.rule.id)) continue;
      this.active.delete(key);
      resolved.push({
        ...a.event,
        id: randomUUID(),
        status: 'RESOLVED',
        message: `Rule ${a.event.rule.id} was deleted: ${a.event.message}`,
        at: this.now().toISOString(),
      });
    }
    this.rules = next;
    this.matchers.clear();
    if (resolved.length) this.publish(resolved);
  }

  list(): AlertRuleView[] {
    return this.rules.slice();
  }

  /** Alerts firing now (as this replica sees them), oldest first. */
  activeAlerts(): AlertEvent[] {
    return [...this.active.values()].map((a) => a.event).sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  /** An alert transition announced on the bus (possibly by another replica): keep activeAlerts in step. */
  apply(event: AlertEvent): void {
    const key = alertKey(event);
    if (event.status === 'RESOLVED') this.active.delete(key);
    else if (!this.active.has(key)) this.active.set(key, { event, serverId: event.serverId });
  }

  /** @throws AlertRuleInputError */
  async create(input: AlertRuleConfig, createdBy: string): Promise<AlertRuleView> {
    const bad = checkAlertRule(input, this.opts.serverIds());
    if (bad) throw new AlertRuleInputError(bad[0], bad[1]);
    const rule = await this.opts.store.alertRules.create({
      kind: input.kind,
      feature: input.feature ?? null,
      serverId: input.server ?? null,
      threshold: input.threshold ?? null,
      createdBy,
    });
    await this.reload();
    this.onRulesChanged();
    return apiRule(rule);
  }

  /** Returns the deleted rule, or null when there is no stored rule with that id. Config rules cannot be deleted. */
  async delete(id: string): Promise<AlertRuleView | null> {
    const rule = this.rules.find((r) => r.id === id && r.source === 'API') ?? null;
    if (!(await this.opts.store.alertRules.delete(id))) return null;
    await this.reload();
    this.onRulesChanged();
    return rule;
  }

  private matcher(rule: AlertRuleView): NameMatcher {
    let m = this.matchers.get(rule.id);
    if (!m) {
      m = nameMatcher(rule.feature ? [rule.feature] : null);
      this.matchers.set(rule.id, m);
    }
    return m;
  }

  /** Judges every rule on a new state of one server; returns the FIRING / RESOLVED transitions. */
  evaluate(state: ServerState): AlertEvent[] {
    const out: AlertEvent[] = [];
    const snap = state.snapshot;
    const serverId = state.config.id;
    const at = snap.status === 'UP' && !state.stale ? snap.fetchedAt : state.checkedAt;
    for (const rule of this.rules) {
      const holds = evaluateRule(rule, { ...snap, serverId }, state.stale, this.matcher(rule));
      if (holds === null) continue;
      const seen = new Set<string>();
      for (const c of holds.values()) {
        const base = { rule, serverId, feature: c.feature, daemon: c.daemon };
        const key = alertKey(base);
        seen.add(key);
        const existing = this.active.get(key);
        if (existing) {
          existing.event = { ...existing.event, value: c.value, message: c.message };
          continue;
        }
        const event: AlertEvent = {
          ...base,
          id: randomUUID(),
          status: 'FIRING',
          message: c.message,
          value: c.value,
          at,
        };
        this.active.set(key, { event, serverId });
        out.push(event);
      }
      for (const [key, a] of this.active) {
        if (a.serverId !== serverId || a.event.rule.id !== rule.id || seen.has(key)) continue;
        this.active.delete(key);
        out.push({
          ...a.event,
          id: randomUUID(),
          status: 'RESOLVED',
          message: resolvedMessage(a.event, snap),
          value: null,
          at,
        });
      }
    }
    return out;
  }
}

function resolvedMessage(e: AlertEvent, snap: Snapshot): string {
  const id = e.serverId;
  switch (e.rule.kind) {
    case 'SERVER_DOWN':
      return `License server ${id} is ${snap.status} again`;
    case 'DAEMON_DOWN':
      return `Vendor daemon ${e.daemon} on ${id} is no longer DOWN`;
    default: {
      const f = snap.features.find((x) => x.name === e.feature);
      if (!f) return `${e.feature} is no longer reported by ${id}`;
      const u = usageOf(f);
      switch (e.rule.kind) {
        case 'FREE_BELOW':
        case 'FREE_PERCENT_BELOW':
          return `${e.feature} on ${id}: ${u.free} free (${u.used}/${u.issued} in use) again`;
        case 'QUEUE_NONEMPTY':
          return `${e.feature} on ${id}: queue cleared`;
        default:
          return `${e.feature} on ${id} no longer expires within ${e.rule.threshold} day(s)`;
      }
    }
  }
}
