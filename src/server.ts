/**
 * buildApp(): the whole HTTP application, ready to listen (it never listens by itself). Tests drive it on port 0.
 */
import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import pino, { type Logger } from 'pino';
import type { AppConfig } from './config/types';
import type { Principal } from './domain/auth';
import { restError } from './errors';
import { createContext, type Context } from './graphql/context';
import { formatError, isExpected } from './graphql/format-error';
import { getSchema } from './graphql/schema';
import { registerReportRoutes } from './http/report.routes';
import type { Services } from './services/services';
import { SnapshotService } from './services/snapshot.service';
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
  now?: () => Date;
}

export interface App {
  fastify: FastifyInstance;
  apollo: ApolloServer<Context>;
  services: Services;
  close(): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export async function buildApp(opts: BuildOptions): Promise<App> {
  const { config } = opts;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const snapshots = new SnapshotService(
    config.servers.map((c) => ({ config: c, source: opts.sources?.[c.id] ?? createSource(c) })),
    { now: opts.now, logger },
  );
  const auth = new AuthService(opts.store, { ...opts.authOptions, logger: storeLogger(logger) });
  const services: Services = { config, logger, snapshots, store: opts.store, auth };

  const fastify: FastifyInstance = Fastify({
    loggerInstance: logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID.test(h) ? h : randomUUID();
    },
  });
  fastify.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  const requestIdPlugin: ApolloServerPlugin<Context> = {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const e of errors) {
            if (!isExpected(e)) logger.error({ err: e.originalError ?? e, requestId: contextValue.requestId, path: e.path }, 'unexpected GraphQL error');
          }
        },
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind === 'single' && response.body.singleResult.errors) {
            for (const e of response.body.singleResult.errors) {
              (e as { extensions?: Record<string, unknown> }).extensions = { ...(e.extensions ?? {}), requestId: contextValue.requestId };
            }
          }
        },
      };
    },
  };

  const apollo = new ApolloServer<Context>({
    schema: await getSchema(),
    formatError,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    csrfPrevention: true,
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      fastifyApolloDrainPlugin(fastify),
      requestIdPlugin,
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
        .send(restError('UNAUTHENTICATED', 'Authentication required: send "Authorization: Bearer <token>" with a valid, unexpired access token', req.id));
    }
    req.lgContext = createContext(services, req.id, principal);
  };

  fastify.register(async (scope) => {
    scope.addHook('preHandler', restAuth);
    registerReportRoutes(scope, apollo);
  });

  fastify.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler: fastifyApolloHandler(apollo, {
      context: async (req) => {
        const principal = await authenticate(req);
        if (!principal) {
          throw new GraphQLError('Authentication required: send "Authorization: Bearer <token>" with a valid, unexpired access token', {
            extensions: { code: 'UNAUTHENTICATED', requestId: req.id, http: { status: 401, headers: new Map([['www-authenticate', 'Bearer realm="licensegraph"']]) } },
          });
        }
        return createContext(services, req.id, principal);
      },
    }),
  });

  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (_req, reply) => {
    const servers = snapshots.serverIds().map((id) => ({ id, polled: snapshots.peek(id) !== null }));
    const storeOk = await opts.store.ping(2000);
    const ready = storeOk && servers.every((s) => s.polled);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', store: storeOk ? 'ok' : 'unreachable', servers });
  });

  let closed = false;
  return {
    fastify,
    apollo,
    services,
    async close() {
      if (closed) return;
      closed = true;
      await fastify.close();
      await apollo.stop().catch(() => undefined);
      await snapshots.close();
      await auth.close();
    },
  };
}
