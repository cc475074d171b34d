/**
 * GET /metrics: Prometheus text format from a prom-client Registry of this app's own (never the global one, so
 * several apps in one process, as in tests, do not mix).
 *
 * License gauges use flexlm_exporter's names and labels (mjtrangoni/flexlm_exporter, collector/lmstat.go and
 * lmstat_feature_exp.go), so existing Grafana dashboards work unchanged; `app` is the licensegraph server id
 * (flexlm_exporter's license `name`). RLM and every other source appear under the same names.
 *   flexlm_server_status{app,fqdn,master,port,version}            1 UP, 0 otherwise (0 while the server cannot be read)
 *   flexlm_vendor_status{app,name,version}                        1 UP, 0 otherwise
 *   flexlm_feature_issued{app,name} / flexlm_feature_used{app,name}  counted features (summed over daemons serving one name)
 *   flexlm_feature_used_users{app,name,user,since}                licenses held per user and start time (unix seconds)
 *   flexlm_feature_reserved_groups{app,name,group}                GROUP reservations
 *   flexlm_feature_reserved_host{app,name,host}                   HOST reservations
 *   flexlm_feature_expiration_seconds{app,name,index,licenses,vendor,version}  per pool; +Inf when permanent
 *   flexlm_feature_aggregate_expiration_seconds{app,index,licenses,features}
 *   flexlm_scrape_error{collector="lmstat",name}                  1 when the server is DOWN, stale or unread
 * They are computed at scrape time from the SnapshotService's states: a scrape reads each server through the
 * usual max-age cache (single-flight), so it never causes more license-server traffic than any other reader.
 *
 * licensegraph's own: licensegraph_http_requests_total / _http_request_duration_seconds (route, status),
 * licensegraph_graphql_operations_total / _graphql_operation_duration_seconds / _graphql_errors_total,
 * licensegraph_polls_total / _poll_failures_total / _poll_duration_seconds (per server),
 * licensegraph_server_up, licensegraph_snapshot_age_seconds, licensegraph_websocket_connections,
 * licensegraph_subscriptions_active, licensegraph_live_events_total, and prom-client's default process metrics.
 *
 * Access: see registerMetricsRoute().
 */
import { timingSafeEqual } from 'crypto';
import type { ApolloServerPlugin } from '@apollo/server';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AppConfig } from '../config/types';
import type { Snapshot } from '../domain/snapshot';
import type { AuthService } from '../services/auth.service';
import type { EventsService } from '../services/events';
import type { ServerState, SnapshotService } from '../services/snapshot.service';
import type { LicenseSource } from '../sources/source';

type G<L extends string> = Gauge<L>;

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_OPERATION_NAMES = 200;

function pairs(address: string | undefined): Array<{ host: string; port: string }> {
  if (!address) return [];
  return address
    .split(/[,:;]/)
    .map((a) => a.trim())
    .filter(Boolean)
    .map((a) => {
      const at = a.indexOf('@');
      return at > 0 ? { port: a.slice(0, at), host: a.slice(at + 1) } : { port: '', host: a };
    });
}

function unixSeconds(iso: string | null | undefined): string {
  if (!iso) return '0';
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? String(Math.floor(ms / 1000)) : '0';
}

export class AppMetrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route'>;
  private readonly gqlOps: Counter<'type' | 'name' | 'outcome'>;
  private readonly gqlDuration: Histogram<'type'>;
  private readonly gqlErrors: Counter<'code'>;
  private readonly polls: Counter<'server' | 'outcome'>;
  private readonly pollFailures: Counter<'server'>;
  private readonly pollDuration: Histogram<'server'>;
  private readonly wsOps: Counter<'outcome'>;
  private readonly liveEvents: Counter<'kind'>;
  private readonly serverUp: G<'server'>;
  private readonly snapshotAge: G<'server'>;
  private readonly wsConnections: G<never>;
  private readonly subscriptions: G<never>;
  // flexlm_exporter-compatible
  private readonly serverStatus: G<'app' | 'fqdn' | 'master' | 'port' | 'version'>;
  private readonly vendorStatus: G<'app' | 'name' | 'version'>;
  private readonly featureIssued: G<'app' | 'name'>;
  private readonly featureUsed: G<'app' | 'name'>;
  private readonly featureUsedUsers: G<'app' | 'name' | 'user' | 'since'>;
  private readonly reservedGroups: G<'app' | 'name' | 'group'>;
  private readonly reservedHost: G<'app' | 'name' | 'host'>;
  private readonly expiration: G<'app' | 'name' | 'index' | 'licenses' | 'vendor' | 'version'>;
  private readonly aggregateExpiration: G<'app' | 'index' | 'licenses' | 'features'>;
  private readonly scrapeError: G<'collector' | 'name'>;

  private readonly operationNames = new Set<string>();
  private snapshots: SnapshotService | null = null;
  private events: EventsService | null = null;
  private wsConnectionCount: () => number = () => 0;
  private lastEventStats = { usage: 0, checkouts: 0, alerts: 0 };
  private scrapeChain: Promise<unknown> = Promise.resolve();

  constructor() {
    const r = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({
      name: 'licensegraph_http_requests_total',
      help: 'HTTP requests by method, route pattern and status.',
      labelNames: ['method', 'route', 'status'],
      registers: r,
    });
    this.httpDuration = new Histogram({
      name: 'licensegraph_http_request_duration_seconds',
      help: 'HTTP request duration by method and route pattern.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.gqlOps = new Counter({
      name: 'licensegraph_graphql_operations_total',
      help: 'GraphQL operations over HTTP by type, operation name and outcome (ok | error).',
      labelNames: ['type', 'name', 'outcome'],
      registers: r,
    });
    this.gqlDuration = new Histogram({
      name: 'licensegraph_graphql_operation_duration_seconds',
      help: 'GraphQL operation duration over HTTP, by type.',
      labelNames: ['type'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.gqlErrors = new Counter({
      name: 'licensegraph_graphql_errors_total',
      help: 'GraphQL errors returned, by code.',
      labelNames: ['code'],
      registers: r,
    });
    this.polls = new Counter({
      name: 'licensegraph_polls_total',
      help: 'License-server reads by server and outcome (ok | down | error).',
      labelNames: ['server', 'outcome'],
      registers: r,
    });
    this.pollFailures = new Counter({
      name: 'licensegraph_poll_failures_total',
      help: 'License-server reads that failed (error or timeout), by server.',
      labelNames: ['server'],
      registers: r,
    });
    this.pollDuration = new Histogram({
      name: 'licensegraph_poll_duration_seconds',
      help: 'License-server read duration, by server.',
      labelNames: ['server'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: r,
    });
    this.wsOps = new Counter({
      name: 'licensegraph_websocket_operations_total',
      help: 'Subscribe messages over WebSocket by outcome (ok | error).',
      labelNames: ['outcome'],
      registers: r,
    });
    this.liveEvents = new Counter({
      name: 'licensegraph_live_events_total',
      help: "Live events produced from this replica's readings, by kind (usage | checkout | alert).",
      labelNames: ['kind'],
      registers: r,
    });
    this.serverUp = new Gauge({
      name: 'licensegraph_server_up',
      help: '1 when the last read of the server answered UP and was not stale.',
      labelNames: ['server'],
      registers: r,
    });
    this.snapshotAge = new Gauge({
      name: 'licensegraph_snapshot_age_seconds',
      help: 'Age of the data shown for the server.',
      labelNames: ['server'],
      registers: r,
    });
    this.wsConnections = new Gauge({
      name: 'licensegraph_websocket_connections',
      help: 'Open GraphQL WebSocket connections.',
      registers: r,
    });
    this.subscriptions = new Gauge({
      name: 'licensegraph_subscriptions_active',
      help: 'Active GraphQL subscriptions on this replica.',
      registers: r,
    });

    this.serverStatus = new Gauge({
      name: 'flexlm_server_status',
      help: 'License server status labeled by app, fqdn, master, port and version of the license.',
      labelNames: ['app', 'fqdn', 'master', 'port', 'version'],
      registers: r,
    });
    this.vendorStatus = new Gauge({
      name: 'flexlm_vendor_status',
      help: 'License vendor status labeled by app, name and version of the license.',
      labelNames: ['app', 'name', 'version'],
      registers: r,
    });
    this.featureIssued = new Gauge({
      name: 'flexlm_feature_issued',
      help: 'License feature issued labeled by app and feature name of the license.',
      labelNames: ['app', 'name'],
      registers: r,
    });
    this.featureUsed = new Gauge({
      name: 'flexlm_feature_used',
      help: 'License feature used labeled by app and feature name of the license.',
      labelNames: ['app', 'name'],
      registers: r,
    });
    this.featureUsedUsers = new Gauge({
      name: 'flexlm_feature_used_users',
      help: 'License feature used by user labeled by app, feature name and username of the license.',
      labelNames: ['app', 'name', 'user', 'since'],
      registers: r,
    });
    this.reservedGroups = new Gauge({
      name: 'flexlm_feature_reserved_groups',
      help: 'License feature reserved by group labeled by app, feature name and group name of the license.',
      labelNames: ['app', 'name', 'group'],
      registers: r,
    });
    this.reservedHost = new Gauge({
      name: 'flexlm_feature_reserved_host',
      help: 'License feature reserved by host labeled by app, feature name and host name of the license.',
      labelNames: ['app', 'name', 'host'],
      registers: r,
    });
    this.expiration = new Gauge({
      name: 'flexlm_feature_expiration_seconds',
      help: 'License feature expiration date in seconds labeled by app, name, index, licenses, vendor, version.',
      labelNames: ['app', 'name', 'index', 'licenses', 'vendor', 'version'],
      registers: r,
    });
    this.aggregateExpiration = new Gauge({
      name: 'flexlm_feature_aggregate_expiration_seconds',
      help: 'Aggregate by license features expiration day in seconds. Labeled by app, licenses, features.',
      labelNames: ['app', 'index', 'licenses', 'features'],
      registers: r,
    });
    this.scrapeError = new Gauge({
      name: 'flexlm_scrape_error',
      help: 'flexlm_exporter: Whether a license scrape had an error.',
      labelNames: ['collector', 'name'],
      registers: r,
    });
  }

  bind(parts: { snapshots?: SnapshotService; events?: EventsService; wsConnections?: () => number }): void {
    if (parts.snapshots) this.snapshots = parts.snapshots;
    if (parts.events) this.events = parts.events;
    if (parts.wsConnections) this.wsConnectionCount = parts.wsConnections;
  }

  /** Wraps a source so each fetch is timed and counted (the source is otherwise untouched: same object underneath). */
  instrumentSource<S extends LicenseSource>(serverId: string, source: S): S {
    const { pollDuration, polls, pollFailures } = this;
    const fetch = async (signal: AbortSignal): Promise<Snapshot> => {
      const end = pollDuration.startTimer({ server: serverId });
      try {
        const s = await source.fetch(signal);
        polls.inc({ server: serverId, outcome: s.status === 'DOWN' ? 'down' : 'ok' });
        return s;
      } catch (err) {
        polls.inc({ server: serverId, outcome: 'error' });
        pollFailures.inc({ server: serverId });
        throw err;
      } finally {
        end();
      }
    };
    return new Proxy(source, {
      get(target, prop) {
        if (prop === 'fetch') return fetch;
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }

  observeWsOperation(outcome: 'ok' | 'error'): void {
    this.wsOps.inc({ outcome });
  }

  /** Counts GraphQL operations over HTTP (Apollo plugin). */
  apolloPlugin(): ApolloServerPlugin {
    const { operationNames, gqlErrors, gqlOps, gqlDuration } = this;
    return {
      async requestDidStart() {
        const started = process.hrtime.bigint();
        let type = 'unknown';
        let name = 'anonymous';
        return {
          async didResolveOperation({ operation, operationName }) {
            type = operation?.operation ?? 'unknown';
            if (operationName && OPERATION_NAME.test(operationName)) {
              if (operationNames.has(operationName) || operationNames.size < MAX_OPERATION_NAMES) {
                operationNames.add(operationName);
                name = operationName;
              } else {
                name = 'other';
              }
            }
          },
          async willSendResponse({ response }) {
            const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
            for (const e of errors ?? [])
              gqlErrors.inc({ code: String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR').slice(0, 64) });
            gqlOps.inc({ type, name, outcome: errors?.length ? 'error' : 'ok' });
            gqlDuration.observe({ type }, Number(process.hrtime.bigint() - started) / 1e9);
          },
        };
      },
    };
  }

  /** HTTP request counters (route = the route pattern, "unmatched" for 404s, so label values stay bounded). */
  registerHttpHooks(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions?.url ?? 'unmatched';
      const method = req.method;
      this.httpRequests.inc({ method, route, status: String(reply.statusCode) });
      this.httpDuration.observe({ method, route }, reply.elapsedTime / 1000);
    });
  }

  /** Reads every server (max-age cache) and renders the registry. Scrapes are serialised. */
  async render(): Promise<string> {
    const run = this.scrapeChain.then(async () => {
      await this.updateLicenseGauges();
      this.updateOwnGauges();
      return this.registry.metrics();
    });
    this.scrapeChain = run.catch(() => undefined);
    return run;
  }

  private updateOwnGauges(): void {
    this.wsConnections.set(this.wsConnectionCount());
    const ev = this.events;
    if (ev) {
      this.subscriptions.set(ev.bus.subscriberCount);
      const s = ev.stats;
      const last = this.lastEventStats;
      if (s.usage > last.usage) this.liveEvents.inc({ kind: 'usage' }, s.usage - last.usage);
      if (s.checkouts > last.checkouts) this.liveEvents.inc({ kind: 'checkout' }, s.checkouts - last.checkouts);
      if (s.alerts > last.alerts) this.liveEvents.inc({ kind: 'alert' }, s.alerts - last.alerts);
      this.lastEventStats = { ...s };
    }
  }

  private async updateLicenseGauges(): Promise<void> {
    const snapshots = this.snapshots;
    if (!snapshots) return;
    const ids = snapshots.serverIds();
    const states = await Promise.all(ids.map((id) => snapshots.get(id).catch(() => snapshots.peek(id))));
    for (const g of [
      this.serverStatus,
      this.vendorStatus,
      this.featureIssued,
      this.featureUsed,
      this.featureUsedUsers,
      this.reservedGroups,
      this.reservedHost,
      this.expiration,
      this.aggregateExpiration,
      this.scrapeError,
      this.serverUp,
      this.snapshotAge,
    ] as Gauge<string>[]) {
      g.reset();
    }
    const now = Date.now();
    for (let i = 0; i < ids.length; i++) this.setServer(ids[i], states[i], snapshots, now);
  }

  private setServer(app: string, state: ServerState | null, snapshots: SnapshotService, now: number): void {
    const config = snapshots.configs().find((c) => c.id === app);
    if (!state) {
      this.scrapeError.set({ collector: 'lmstat', name: app }, 1);
      this.serverUp.set({ server: app }, 0);
      for (const p of pairs(config?.address))
        this.serverStatus.set({ app, fqdn: p.host, master: 'false', port: p.port, version: '' }, 0);
      return;
    }
    const s = state.snapshot;
    const fresh = !state.stale && s.status === 'UP';
    this.scrapeError.set({ collector: 'lmstat', name: app }, fresh ? 0 : 1);
    this.serverUp.set({ server: app }, fresh ? 1 : 0);
    const at = Date.parse(s.fetchedAt);
    if (Number.isFinite(at)) this.snapshotAge.set({ server: app }, Math.max(0, (now - at) / 1000));

    if (s.hosts.length > 0) {
      for (const h of s.hosts) {
        this.serverStatus.set(
          {
            app,
            fqdn: h.host,
            master: String(!!h.master),
            port: h.port === null || h.port === undefined ? '' : String(h.port),
            version: h.version ?? s.version ?? '',
          },
          !state.stale && h.status === 'UP' ? 1 : 0,
        );
      }
    } else {
      for (const p of pairs(config?.address))
        this.serverStatus.set(
          { app, fqdn: p.host, master: 'false', port: p.port, version: s.version ?? '' },
          s.status === 'UP' && !state.stale ? 1 : 0,
        );
    }
    for (const d of s.vendorDaemons)
      this.vendorStatus.set({ app, name: d.name, version: d.version ?? '' }, !state.stale && d.status === 'UP' ? 1 : 0);

    const issued = new Map<string, number>();
    const used = new Map<string, number>();
    const users = new Map<string, { name: string; user: string; since: string; n: number }>();
    const groups = new Map<string, { name: string; group: string; n: number }>();
    const hosts = new Map<string, { name: string; host: string; n: number }>();
    const aggregate = new Map<number, { licenses: number; features: number }>();
    let index = 0;
    for (const f of s.features) {
      if (f.error) continue;
      const name = f.name;
      if (!f.uncounted && typeof f.issued === 'number') issued.set(name, (issued.get(name) ?? 0) + f.issued);
      if (!f.uncounted && typeof f.used === 'number') used.set(name, (used.get(name) ?? 0) + f.used);
      for (const c of f.checkouts) {
        const since = unixSeconds(c.startedAt);
        const k = `${name}\u0000${c.username}\u0000${since}`;
        const u = users.get(k);
        if (u) u.n += c.count;
        else users.set(k, { name, user: c.username, since, n: c.count });
      }
      for (const r of f.reservations) {
        if (r.kind === 'GROUP') {
          const k = `${name}\u0000${r.target}`;
          const g = groups.get(k);
          if (g) g.n += r.count;
          else groups.set(k, { name, group: r.target, n: r.count });
        } else if (r.kind === 'HOST') {
          const k = `${name}\u0000${r.target}`;
          const h = hosts.get(k);
          if (h) h.n += r.count;
          else hosts.set(k, { name, host: r.target, n: r.count });
        }
      }
      for (const p of f.pools) {
        index++;
        const exp = p.expiry && !p.permanent ? Date.parse(`${p.expiry}T00:00:00Z`) / 1000 : Infinity;
        const seconds = Number.isFinite(exp) ? exp : Infinity;
        const licenses = typeof p.issued === 'number' ? p.issued : 0;
        this.expiration.set(
          {
            app,
            name: p.name ?? name,
            index: String(index),
            licenses: typeof p.issued === 'number' ? String(p.issued) : p.type === 'uncounted' ? 'uncounted' : '',
            vendor: p.vendor ?? f.vendor ?? '',
            version: p.version ?? '',
          },
          seconds,
        );
        const a = aggregate.get(seconds);
        if (a) {
          a.licenses += licenses;
          a.features++;
        } else aggregate.set(seconds, { licenses, features: 1 });
      }
    }
    for (const [name, v] of issued) this.featureIssued.set({ app, name }, v);
    for (const [name, v] of used) this.featureUsed.set({ app, name }, v);
    for (const u of users.values()) this.featureUsedUsers.set({ app, name: u.name, user: u.user, since: u.since }, u.n);
    for (const g of groups.values()) this.reservedGroups.set({ app, name: g.name, group: g.group }, g.n);
    for (const h of hosts.values()) this.reservedHost.set({ app, name: h.name, host: h.host }, h.n);
    [...aggregate.keys()]
      .sort((a, b) => a - b)
      .forEach((seconds, i) => {
        const a = aggregate.get(seconds)!;
        this.aggregateExpiration.set(
          { app, index: String(i), licenses: String(a.licenses), features: String(a.features) },
          seconds,
        );
      });
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * GET /metrics. Access (decided for licensegraph): the per-user gauge names who holds which license on which
 * host, which the Kong-style deployment report restricts to authenticated users, so a token is required by default: any valid access
 * token (e.g. a VIEWER "prometheus" user) or the static LICENSEGRAPH_METRICS_TOKEN, sent as
 * "Authorization: Bearer <token>" (Prometheus: `authorization: { credentials_file: ... }`).
 * LICENSEGRAPH_METRICS_PUBLIC=true serves it without a token, for scrapers on a trusted network.
 */
export function registerMetricsRoute(
  fastify: FastifyInstance,
  metrics: AppMetrics,
  opts: { config: AppConfig; auth: AuthService },
): void {
  const { config, auth } = opts;
  const allowed = async (req: FastifyRequest): Promise<boolean> => {
    if (config.metricsPublic) return true;
    const h = req.headers.authorization;
    if (typeof h !== 'string') return false;
    if (config.metricsToken) {
      const m = /^bearer +(\S+)$/i.exec(h.trim());
      if (m && sameSecret(m[1], config.metricsToken)) return true;
    }
    return (await auth.authenticate(h)) !== null;
  };
  fastify.get('/metrics', async (req: FastifyRequest, reply: FastifyReply) => {
    if (!(await allowed(req))) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="licensegraph"')
        .send({
          error: {
            code: 'UNAUTHENTICATED',
            message:
              'Authentication required: send "Authorization: Bearer <token>" (an access token or LICENSEGRAPH_METRICS_TOKEN)',
            requestId: req.id,
          },
        });
    }
    const body = await metrics.render();
    return reply
      .code(200)
      .header('content-type', metrics.registry.contentType)
      .header('cache-control', 'no-store')
      .send(body);
  });
}
