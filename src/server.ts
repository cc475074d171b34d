/**
 * buildApp(): the whole HTTP application, ready to listen (it never listens by itself). Tests drive it on port 0.
 */
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import { GraphQLError } from 'graphql';
import pino, { type Logger } from 'pino';
import type { AppConfig } from './config/types';
import type { Principal } from './domain/auth';
import { restError } from './errors';
import { createContext, type Context } from './graphql/context';
import { formatError, isExpected } from './graphql/format-error';
import { apolloLimits, resolveGraphQLLimits } from './graphql/limits';
import { getSchema } from './graphql/schema';
import { JitGateway } from './graphql/jit-gateway';
import { ResponseCache } from './http/response-cache';
import { fastifyLimitOptions, registerHttpLimits, resolveHttpLimits } from './http/limits';
import { registerReportRoutes } from './http/report.routes';
import { registerDeploymentReportRoutes } from './http/deployment-report.routes';
import { DeploymentReportService } from './services/deployment-report.service';
import { monthlyUsageProvider } from './services/monthly-usage';
import { registerPortal } from './http/portal';
import { AppMetrics, registerMetricsRoute } from './http/metrics';
import { attachGraphqlWs } from './http/ws';
import { createLiveServices } from './services/events';
import type { Services } from './services/services';
import { SnapshotService, type ServerState } from './services/snapshot.service';
import type { Timers } from './services/clock';
import { viewOf } from './graphql/views';
import { HistoryService } from './services/history.service';
import { Poller, type PollerOptions } from './services/poller';
import { UsageService } from './services/usage.service';
import { registerUsageRoutes } from './http/usage.routes';
import { registerIngestRoutes } from './http/ingest.routes';
import { IngestSource } from './sources/ingest';
import { RequestCounter } from './services/request-counter';
import { createSource } from './sources/factory';
import type { LicenseSource } from './sources/source';
import { AuthService, type AuthServiceOptions } from './services/auth.service';
import type { Store, StoreLogger } from './store';

export function storeLogger(logger: Logger): StoreLogger {
  return { info: (m) => logger.info(m), warn: (m) => logger.warn(m), error: (m) => logger.error(m) };
}

declare module 'fastify' {
  interface FastifyRequest {
    lgContext?: Context;
    /** Resolved once per GraphQL HTTP request (preHandler), reused by the context function. */
    principal?: Principal | null;
    /** Set when the response may be stored in the response cache under this key. */
    responseCacheKey?: string;
    responseCacheVersions?: string;
  }
}

export interface BuildOptions {
  config: AppConfig;
  logger?: Logger;
  /** Sources by server id, overriding what the config would build (tests, embedding). */
  sources?: Record<string, LicenseSource>;
  /** The opened store (PGlite or PostgreSQL); the caller owns it and closes it after the app. */
  store: Store;
  /** Auth options (token cache), mainly for tests. */
  authOptions?: AuthServiceOptions;
  /** The clock every service decides by (default: the system's); tests pass a controllable one instead of sleeping. */
  now?: () => Date;
  /** The timers the poller and live polling run on (default: the system's); tests pass a controllable clock. */
  timers?: Timers;
  /**
   * The history poller. Not started unless `start` (startServer starts it); tests drive polls with
   * services.poller.pollOnce(). sampleEvery: a sample every Nth poll even when nothing changed (default 10).
   */
  poller?: PollerOptions & { sampleEvery?: number };
}

export interface App {
  fastify: FastifyInstance;
  apollo: ApolloServer<Context>;
  services: Services;
  responseCache: ResponseCache;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export async function buildApp(opts: BuildOptions): Promise<App> {
  const { config } = opts;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  // Per-app Prometheus registry (src/http/metrics.ts); sources are wrapped only to time their fetches.
  const metrics = new AppMetrics();
  const snapshots = new SnapshotService(
    config.servers.map((c) => ({
      config: c,
      source: metrics.instrumentSource(
        c.id,
        opts.sources?.[c.id] ?? (c.type === 'ingest' ? new IngestSource(c) : createSource(c)),
      ),
    })),
    { now: opts.now, logger },
  );
  // Build the GraphQL view of each new snapshot when it arrives (the poll pays), not in the first request after it.
  snapshots.on('state', (state: ServerState) => viewOf(state));
  const auth = new AuthService(opts.store, { ...opts.authOptions, logger: storeLogger(logger) });
  // Live events for subscriptions: snapshot diffs and alerts on an event bus (NOTIFY fan-out on PostgreSQL).
  const live = createLiveServices({ config, store: opts.store, snapshots, logger, now: opts.now, timers: opts.timers });
  // Usage history: the poller records polls, the ingest path records pushes; usage queries read it back.
  const history = new HistoryService(opts.store, snapshots, {
    sampleEvery: opts.poller?.sampleEvery,
    now: opts.now,
    logger,
    ingestLimits: config.ingestLimits,
  });
  const usage = new UsageService(opts.store, opts.now);
  const poller = new Poller(
    snapshots,
    history,
    opts.store,
    { now: opts.now, timers: opts.timers, ...opts.poller },
    logger,
  );
  const services: Services = {
    config,
    logger,
    snapshots,
    store: opts.store,
    auth,
    events: live.events,
    alerts: live.alerts,
    history,
    usage,
    poller,
  };
  await live.events.start();

  // Query and HTTP limits (src/graphql/limits.ts, src/http/limits.ts): body size, timeouts, rate limit, document limits.
  const httpLimits = resolveHttpLimits(config.httpLimits);
  const graphqlLimits = resolveGraphQLLimits(config.graphqlLimits);
  const fastify: FastifyInstance = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    ...fastifyLimitOptions(httpLimits),
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
  });
  fastify.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  // Requests served per month (the deployment report's counters): counted in memory, flushed in batches.
  const requests = new RequestCounter(opts.store, {
    now: opts.now,
    onError: (err) => logger.warn({ err }, 'could not flush request counters'),
  });
  services.requests = requests;
  services.deploymentReports = new DeploymentReportService(services, monthlyUsageProvider(services), opts.now);
  requests.start();
  fastify.addHook('onResponse', async (req, reply) => {
    const url = req.url;
    // Served requests only: a request rejected (401, 403, 413, 429...) or failed (5xx) was not served.
    if (reply.statusCode >= 400) return;
    // API requests only: GraphQL operations (POST, or GET with a query) and REST; not pages, assets or health.
    if (
      (url.startsWith('/graphql') && (req.method === 'POST' || url.includes('query='))) ||
      url.startsWith('/api/') ||
      url.startsWith('/license/')
    )
      requests.count();
  });
  metrics.registerHttpHooks(fastify);
  // Before any route is declared: the rate limit attaches to the routes declared after it.
  const { wsRateLimit, authFailures } = await registerHttpLimits(fastify, {
    http: httpLimits,
    graphql: graphqlLimits,
    logger,
  });

  const requestIdPlugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const e of errors) {
            if (!isExpected(e))
              logger.error(
                { err: e.originalError ?? e, requestId: contextValue.requestId, path: e.path },
                'unexpected GraphQL error',
              );
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind === 'single' && !response.body.singleResult.errors) contextValue.outcome.ok = true;
          if (response.body.kind === 'single' && response.body.singleResult.errors) {
            for (const e of response.body.singleResult.errors) {
              (e as { extensions?: Record<string, unknown> }).extensions = {
                ...(e.extensions ?? {}),
                requestId: contextValue.requestId,
              };
            }
          }
        },
      };
    },
  };

  const schema = await getSchema();
  const limits = apolloLimits<Context>(graphqlLimits, { introspection: config.introspection });
  const apollo = new ApolloServer<Context>({
    // Compiled execution (graphql-jit) behind Apollo's gateway interface; Apollo still validates and runs plugins.
    gateway: new JitGateway(schema),
    formatError,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    // src/main.ts owns SIGTERM/SIGINT (graceful shutdown); Apollo's own handler would re-raise the signal
    stopOnTerminationSignals: false,
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    validationOptions: limits.validationOptions,
    plugins: [
      ...limits.plugins,
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      fastifyApolloDrainPlugin(fastify),
      requestIdPlugin,
      metrics.apolloPlugin(),
    ],
  });
  await apollo.start();

  const authenticate = async (req: FastifyRequest): Promise<Principal | null> => {
    const h = req.headers.authorization;
    return auth.authenticate(typeof h === 'string' ? h : undefined);
  };

  // REST routes: authenticate first, the same 401 for every kind of bad credential.
  const restAuth = async (req: FastifyRequest, reply: FastifyReply) => {
    const principal = await authenticate(req);
    if (!principal) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer realm="licensegraph"')
        .send(
          restError(
            'UNAUTHENTICATED',
            'Authentication required: send "Authorization: Bearer <token>" with a valid, unexpired access token',
            req.id,
          ),
        );
    }
    req.lgContext = createContext(services, req.id, principal);
  };

  fastify.register(async (scope) => {
    scope.addHook('preHandler', restAuth);
    registerReportRoutes(scope, apollo);
    registerDeploymentReportRoutes(scope);
    registerUsageRoutes(scope);
    registerIngestRoutes(scope, services);
  });

  // Portal: dashboard at /, GraphiQL at /graphiql and GET /graphql from a browser (local files only).
  registerPortal(fastify, { graphiql: config.graphiql });

  const responseCache = new ResponseCache(schema, snapshots, { maxBytes: config.responseCacheBytes });

  fastify.route<{ Reply: string }>({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    // Authenticate once, then answer repeated live-report queries on unchanged snapshots from the response cache.
    preHandler: async (req, reply) => {
      if (req.method === 'OPTIONS') return;
      const principal = await authenticate(req);
      req.principal = principal;
      if (
        !principal ||
        req.method !== 'POST' ||
        !String(req.headers['content-type'] ?? '').startsWith('application/json')
      )
        return;
      const body = req.body as { query?: unknown; operationName?: unknown; variables?: unknown } | null;
      if (!body || typeof body !== 'object' || Array.isArray(body) || typeof body.query !== 'string') return;
      if (!responseCache.cacheable(body.query)) return;
      const versions = responseCache.freshVersions();
      if (!versions) return;
      const key = responseCache.key(principal.role, body.query, body.operationName, body.variables, versions);
      const hit = responseCache.get(key);
      if (hit !== undefined) {
        return reply
          .code(200)
          .header('content-type', 'application/json; charset=utf-8')
          .header('x-cache', 'HIT')
          .send(hit as unknown as string);
      }
      req.responseCacheKey = key;
      req.responseCacheVersions = versions;
    },
    onSend: async (req, reply, payload) => {
      if (
        req.responseCacheKey &&
        reply.statusCode === 200 &&
        typeof payload === 'string' &&
        req.lgContext?.outcome.ok
      ) {
        // Store only if no new snapshot arrived while this request executed.
        if (responseCache.freshVersions() === req.responseCacheVersions) {
          // Encode once: the buffer is both sent now and kept (a string would be measured and encoded again).
          const bytes = Buffer.from(payload, 'utf8');
          responseCache.set(req.responseCacheKey, bytes);
          return bytes;
        }
      }
      return payload;
    },
    handler: fastifyApolloHandler(apollo, {
      context: async (req) => {
        let principal: Principal | null;
        try {
          principal = req.principal !== undefined ? req.principal : await authenticate(req);
        } catch (err) {
          logger.error({ err, requestId: req.id }, 'authentication failed unexpectedly');
          throw new GraphQLError('Internal server error', {
            extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: req.id, http: { status: 500 } },
          });
        }
        if (!principal) {
          throw new GraphQLError(
            'Authentication required: send "Authorization: Bearer <token>" with a valid, unexpired access token',
            {
              extensions: {
                code: 'UNAUTHENTICATED',
                requestId: req.id,
                http: { status: 401, headers: new Map([['www-authenticate', 'Bearer realm="licensegraph"']]) },
              },
            },
          );
        }
        const ctx = createContext(services, req.id, principal);
        req.lgContext = ctx;
        return ctx;
      },
    }),
  });

  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (_req, reply) => {
    const servers = snapshots.serverIds().map((id) => ({ id, polled: snapshots.peek(id) !== null }));
    const storeOk = await opts.store.ping(2000);
    const ready = storeOk && servers.every((s) => s.polled);
    return reply
      .code(ready ? 200 : 503)
      .send({ status: ready ? 'ready' : 'not ready', store: storeOk ? 'ok' : 'unreachable', servers });
  });

  // Prometheus metrics (flexlm_exporter-compatible license gauges + our own); token unless LICENSEGRAPH_METRICS_PUBLIC.
  registerMetricsRoute(fastify, metrics, { config, auth });
  // Subscriptions: graphql-ws on the same server and path (/graphql); closed before the HTTP server drains.
  const ws = attachGraphqlWs(fastify, {
    services,
    schema,
    maxQueryChars: graphqlLimits.maxCharacters,
    limits: graphqlLimits,
    maxOperationsPerConnection: httpLimits.wsMaxSubscriptionsPerConnection,
    maxConnectionsPerToken: httpLimits.wsMaxConnectionsPerToken,
    maxConnectionsPerAddress: httpLimits.wsMaxConnectionsPerAddress,
    rateLimit: wsRateLimit,
    authFailures,
    hideSuggestions: !config.introspection,
    onOperation: (o) => metrics.observeWsOperation(o),
  });
  fastify.addHook('preClose', async () => ws.close());
  metrics.bind({ snapshots, events: live.events, wsConnections: ws.connections });

  if (opts.poller?.start) {
    poller.start();
    // The poller reads each server every interval on the replica that owns it: no live polling for subscribers, and
    // only the owner publishes a polled server's changes (other replicas' subscribers receive them through NOTIFY).
    live.events.setExternalPoller(true);
    live.events.setPublisher((id) => poller.owns(id) || !poller.pollable().some((c) => c.id === id));
  }

  let closed = false;
  return {
    fastify,
    apollo,
    services,
    responseCache,
    async close() {
      if (closed) return;
      closed = true;
      // Stop listening and finish in-flight requests (new ones on kept-alive connections get 503; subscriptions
      // close in the 'preClose' hook), while the poller stops: stop() awaits the poll in progress, so its
      // transaction commits before the store closes.
      await Promise.all([fastify.close(), poller.stop()]);
      await apollo.stop().catch(() => undefined);
      await live.events.close();
      await snapshots.close();
      await history.close();
      await requests.close();
      await auth.close();
    },
  };
}
