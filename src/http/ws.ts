/**
 * GraphQL subscriptions over WebSocket (the graphql-ws protocol, subprotocol "graphql-transport-ws") on the same
 * HTTP server and path as HTTP GraphQL (/graphql), for browsers (GraphiQL, the dashboard) and the client SDK.
 *
 * - Authentication happens once per connection, in connection_init: the payload carries
 *   { "Authorization": "Bearer <token>" } (as GraphiQL's connectionParams send it) or { "token": "<token>" }.
 *   No credentials: the socket is closed with 4401 Unauthorized; a token that is malformed, unknown, revoked or
 *   expired: 4403 Forbidden. The token is checked again at every subscribe message and once a minute, so a
 *   revoked token does not keep a connection alive (4403).
 * - Each subscribe message gets a Context built the same way as for HTTP (createContext: principal, services,
 *   request id "ws-<uuid>"); the @Authorized checks and argument validation are the schema's own.
 * - Only subscription operations are served here; queries and mutations go to HTTP POST /graphql, where the
 *   query limits, rate limits and response cache apply.
 * - Errors are formatted by the same formatError as HTTP (codes kept, unexpected errors masked).
 * - Ping every 12 s; a peer that does not answer within the next 12 s is dropped.
 */
import { randomUUID } from 'crypto';
import type { IncomingMessage } from 'http';
import type { Duplex } from 'stream';
import type { FastifyInstance } from 'fastify';
import { GraphQLError, getOperationAST, parse, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { armorValidationRules, checkDocumentSize, operationComplexity } from '../graphql/limits';
import { QueryLimitError } from '../errors';
import type { GraphQLLimitsConfig } from '../config/types';
import { makeServer, handleProtocols } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../domain/auth';
import { createContext } from '../graphql/context';
import { formatError, isExpected } from '../graphql/format-error';
import type { Services } from '../services/services';

export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  principal?: Principal;
  authorization?: string;
  recheck?: NodeJS.Timeout;
}

export interface GraphqlWsOptions {
  services: Services;
  schema: GraphQLSchema;
  path?: string;
  /** Ping interval and pong timeout (ms). Default 12,000. */
  keepAliveMs?: number;
  /** How often a connection's token is checked again (ms). Default 60,000. */
  recheckMs?: number;
  /** Largest subscribe document (characters). Default 20,000. */
  maxQueryChars?: number;
  /** The GraphQL query limits (as over HTTP); without them only the character limit applies. */
  limits?: GraphQLLimitsConfig;
  /** Operations one connection may run at once. Default 100. */
  maxOperationsPerConnection?: number;
  /** Observes subscribe attempts (metrics): outcome 'ok' | 'error'. */
  onOperation?: (outcome: 'ok' | 'error') => void;
}

export interface GraphqlWs {
  /** Open connections. */
  connections(): number;
  /** Closes every connection (1001 going away) and the WebSocket server. */
  close(): Promise<void>;
}

/** The Authorization header value a connection_init payload carries, if any. */
export function authorizationFrom(params: unknown): string | undefined {
  if (!params || typeof params !== 'object') return undefined;
  const p = params as Record<string, unknown>;
  const header = p.Authorization ?? p.authorization;
  if (typeof header === 'string' && header.trim()) return header.trim();
  const headers = p.headers;
  if (headers && typeof headers === 'object') {
    const h = (headers as Record<string, unknown>).Authorization ?? (headers as Record<string, unknown>).authorization;
    if (typeof h === 'string' && h.trim()) return h.trim();
  }
  if (typeof p.token === 'string' && p.token.trim()) return `Bearer ${p.token.trim().replace(/^bearer\s+/i, '')}`;
  return undefined;
}

function closeSocket(socket: WebSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    /* already closing */
  }
}

export function attachGraphqlWs(fastify: FastifyInstance, opts: GraphqlWsOptions): GraphqlWs {
  const { services, schema } = opts;
  const path = opts.path ?? '/graphql';
  const keepAlive = opts.keepAliveMs ?? 12_000;
  const recheckMs = opts.recheckMs ?? 60_000;
  const maxChars = opts.maxQueryChars ?? 20_000;
  const maxOps = opts.maxOperationsPerConnection ?? 100;
  const logger = services.logger;
  const auth = services.auth;

  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => handleProtocols(protocols), maxPayload: 256 * 1024 });

  const format = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      if (!isExpected(e)) logger.error({ err: e.originalError ?? e, path: e.path }, 'unexpected GraphQL error (WebSocket)');
      return formatError(e.toJSON(), e);
    });

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    schema,
    connectionInitWaitTimeout: 10_000,
    async onConnect(ctx) {
      const socket = ctx.extra.socket;
      const header = authorizationFrom(ctx.connectionParams);
      if (!header) {
        closeSocket(socket, WS_CLOSE_UNAUTHORIZED, 'Unauthorized: send {"Authorization": "Bearer <token>"} in connection_init');
        return false;
      }
      const principal = await auth.authenticate(header);
      if (!principal) {
        closeSocket(socket, WS_CLOSE_FORBIDDEN, 'Forbidden: the access token is invalid, revoked or expired');
        return false;
      }
      ctx.extra.principal = principal;
      ctx.extra.authorization = header;
      const timer = setInterval(() => {
        if (socket.readyState === socket.CLOSED) {
          clearInterval(timer);
          return;
        }
        void auth.authenticate(header).then((p) => {
          if (!p) closeSocket(socket, WS_CLOSE_FORBIDDEN, 'Forbidden: the access token is no longer valid');
        });
      }, recheckMs);
      timer.unref();
      ctx.extra.recheck = timer;
      return true;
    },
    async onSubscribe(ctx, id, payload) {
      const fail = (message: string, code: string) => {
        opts.onOperation?.('error');
        return [new GraphQLError(message, { extensions: { code } })];
      };
      const header = ctx.extra.authorization;
      const principal = header ? await auth.authenticate(header) : null;
      if (!principal) {
        closeSocket(ctx.extra.socket, WS_CLOSE_FORBIDDEN, 'Forbidden: the access token is no longer valid');
        return fail('The access token is no longer valid', 'UNAUTHENTICATED');
      }
      if (Object.keys(ctx.subscriptions).length > maxOps) return fail(`At most ${maxOps} operations may run on one connection`, 'BAD_REQUEST');
      if (typeof payload.query !== 'string') return fail('The document must be a string', 'BAD_REQUEST');
      if (opts.limits) {
        const tooBig = checkDocumentSize(payload.query, opts.limits);
        if (tooBig) {
          opts.onOperation?.('error');
          return [tooBig];
        }
      } else if (payload.query.length > maxChars) return fail(`The document must be a string of at most ${maxChars} characters`, 'QUERY_LIMIT_EXCEEDED');
      let document: DocumentNode;
      try {
        document = parse(payload.query);
      } catch (e) {
        opts.onOperation?.('error');
        return [e instanceof GraphQLError ? new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }) : new GraphQLError('Cannot parse the document', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
      }
      // The same limits as over HTTP: graphql-js's rules plus depth, aliases, directives, cost; then list-aware cost.
      const errors = validate(schema, document, opts.limits ? [...specifiedRules, ...armorValidationRules(opts.limits)] : specifiedRules);
      if (errors.length === 0 && opts.limits) {
        const variables = (payload.variables ?? undefined) as Record<string, unknown> | undefined;
        let complexity = 0;
        try {
          complexity = operationComplexity(schema, document, variables, payload.operationName ?? undefined);
        } catch {
          complexity = 0; // invalid variables are reported by execution with their own message
        }
        if (complexity > opts.limits.maxComplexity) {
          opts.onOperation?.('error');
          return [new QueryLimitError('maxComplexity', `The operation's cost ${complexity} exceeds the limit of ${opts.limits.maxComplexity} (maxComplexity)`, opts.limits.maxComplexity, complexity)];
        }
      }
      if (errors.length > 0) {
        opts.onOperation?.('error');
        // Keep a limit's own code (QUERY_LIMIT_EXCEEDED, with limit/max/actual); everything else is a validation failure.
        return errors.map((e) =>
          new GraphQLError(e.message, { nodes: e.nodes, source: e.source, positions: e.positions, extensions: e.extensions?.code ? e.extensions : { code: 'GRAPHQL_VALIDATION_FAILED' } }),
        );
      }
      const op = getOperationAST(document, payload.operationName);
      if (!op) return fail('Unable to identify the operation (give operationName)', 'BAD_REQUEST');
      if (op.operation !== 'subscription') return fail('Only subscriptions are served over WebSocket: send queries and mutations with HTTP POST /graphql', 'BAD_REQUEST');
      opts.onOperation?.('ok');
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue: createContext(services, `ws-${randomUUID()}`, principal),
      };
    },
    onNext(_ctx, _id, _payload, _args, result) {
      if (!result.errors?.length) return undefined;
      return { ...(result.data !== undefined ? { data: result.data } : {}), errors: format(result.errors) };
    },
    onError(_ctx, _id, _payload, errors) {
      return format(errors);
    },
    onClose(ctx) {
      if (ctx.extra.recheck) clearInterval(ctx.extra.recheck);
    },
  });

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.once('error', (err) => {
      logger.warn({ err: err.message }, 'WebSocket error');
      closeSocket(socket, 1011, 'Internal error');
    });
    let alive = true;
    socket.on('pong', () => {
      alive = true;
    });
    const ping =
      keepAlive > 0
        ? setInterval(() => {
            if (socket.readyState !== socket.OPEN) return;
            if (!alive) {
              socket.terminate();
              return;
            }
            alive = false;
            socket.ping();
          }, keepAlive)
        : null;
    ping?.unref();
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => (err ? reject(err) : resolve()));
          }),
        close: (code, reason) => closeSocket(socket, code ?? 1000, reason ?? ''),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (err) {
              logger.error({ err }, 'graphql-ws: error handling a message');
              closeSocket(socket, 4500, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      if (ping) clearInterval(ping);
      void closed(code, String(reason));
    });
  });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    let pathname = '';
    try {
      pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    } catch {
      pathname = '';
    }
    if (pathname !== path) {
      // Leave other paths to other upgrade handlers, if any; otherwise refuse.
      if (fastify.server.listenerCount('upgrade') <= 1) {
        socket.write('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        socket.destroy();
      }
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };
  fastify.server.on('upgrade', onUpgrade);

  let closing: Promise<void> | null = null;
  return {
    connections: () => wss.clients.size,
    close() {
      if (!closing) {
        closing = (async () => {
          fastify.server.off('upgrade', onUpgrade);
          for (const c of wss.clients) closeSocket(c, 1001, 'Server shutting down');
          // Give clients a moment to complete the closing handshake, then cut the rest.
          const deadline = Date.now() + 1000;
          while (wss.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
          for (const c of wss.clients) c.terminate();
          await new Promise<void>((resolve) => wss.close(() => resolve()));
        })();
      }
      return closing;
    },
  };
}
