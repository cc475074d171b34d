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
 * - Limits (src/config/types.ts HttpLimitsConfig, env LICENSEGRAPH_WS_*): open connections per client address
 *   (refused at the upgrade with HTTP 429) and per token (closed with 4429 after connection_init), subscriptions
 *   per connection (counted in arrival order, before anything is awaited, so a burst cannot slip past; a client
 *   refused as many times again is closed with 4429), and every
 *   connection_init and subscribe draws one request from the token's HTTP rate-limit budget (RATE_LIMITED).
 */
import { randomUUID } from 'crypto';
import type { IncomingMessage } from 'http';
import type { Duplex } from 'stream';
import type { FastifyInstance } from 'fastify';
import {
  GraphQLError,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
} from 'graphql';
import {
  armorValidationRules,
  checkDocumentSize,
  checkVariablesDepth,
  operationComplexity,
  withoutSuggestions,
} from '../graphql/limits';
import { QueryLimitError } from '../errors';
import type { GraphQLLimitsConfig } from '../config/types';
import { makeServer, handleProtocols, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../domain/auth';
import { createContext } from '../graphql/context';
import { formatError, isExpected } from '../graphql/format-error';
import type { Services } from '../services/services';
import { DEFAULT_HTTP_LIMITS } from '../config/types';
import type { AuthFailures, WsRateLimit } from './limits';

export const WS_CLOSE_UNAUTHORIZED = 4401;
export const WS_CLOSE_FORBIDDEN = 4403;
export const WS_CLOSE_TOO_MANY = 4429;

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
  principal?: Principal;
  authorization?: string;
  recheck?: NodeJS.Timeout;
  /** Subscribe ids accepted or being checked on this connection. */
  active: Set<string>;
  /** Subscribes refused for the per-connection cap. */
  refused: number;
  /** The token whose connection count this connection holds, released on close. */
  tokenKey?: string;
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
  /** Operations one connection may run at once. Default 20. */
  maxOperationsPerConnection?: number;
  /** Open connections per access token. Default 10. */
  maxConnectionsPerToken?: number;
  /** Open connections per client address. Default 50. */
  maxConnectionsPerAddress?: number;
  /** Draws one operation from the client's rate-limit budget (connection_init, subscribe). */
  rateLimit?: WsRateLimit;
  /** Failed WebSocket authentications count with the HTTP ones. */
  authFailures?: AuthFailures;
  /** Remove "Did you mean ...?" from error messages (introspection off). */
  hideSuggestions?: boolean;
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
  const maxOps = opts.maxOperationsPerConnection ?? DEFAULT_HTTP_LIMITS.wsMaxSubscriptionsPerConnection;
  const maxPerToken = opts.maxConnectionsPerToken ?? DEFAULT_HTTP_LIMITS.wsMaxConnectionsPerToken;
  const maxPerAddress = opts.maxConnectionsPerAddress ?? DEFAULT_HTTP_LIMITS.wsMaxConnectionsPerAddress;
  const rateLimit = opts.rateLimit ?? (async () => ({ ok: true as const }));
  const perToken = new Map<string, number>();
  const perAddress = new Map<string, number>();
  const addressOf = (req: IncomingMessage) => req.socket.remoteAddress ?? 'unknown';
  const logger = services.logger;
  const auth = services.auth;

  const wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => handleProtocols(protocols),
    maxPayload: 256 * 1024,
  });

  const format = (errors: readonly GraphQLError[]) =>
    errors.map((e) => {
      if (!isExpected(e))
        logger.error({ err: e.originalError ?? e, path: e.path }, 'unexpected GraphQL error (WebSocket)');
      const out = formatError(e.toJSON(), e);
      // Introspection off: no field or type names through "Did you mean ...?" either (as over HTTP).
      return opts.hideSuggestions ? { ...out, message: withoutSuggestions(out.message) } : out;
    });

  const server = makeServer<Record<string, unknown> | undefined, Extra>({
    schema,
    connectionInitWaitTimeout: 10_000,
    async onConnect(ctx) {
      const socket = ctx.extra.socket;
      const header = authorizationFrom(ctx.connectionParams);
      if (!header) {
        closeSocket(
          socket,
          WS_CLOSE_UNAUTHORIZED,
          'Unauthorized: send {"Authorization": "Bearer <token>"} in connection_init',
        );
        return false;
      }
      const ip = addressOf(ctx.extra.request);
      if (opts.authFailures && opts.authFailures.blocked(ip) > 0) {
        closeSocket(socket, WS_CLOSE_TOO_MANY, 'Too many failed authentications from this address');
        return false;
      }
      const allowed = await rateLimit(header, ip);
      if (!allowed.ok) {
        closeSocket(socket, WS_CLOSE_TOO_MANY, `Rate limit exceeded; retry in ${allowed.retryAfterSeconds} s`);
        return false;
      }
      const principal = await auth.authenticate(header);
      if (!principal) {
        opts.authFailures?.record(ip);
        closeSocket(socket, WS_CLOSE_FORBIDDEN, 'Forbidden: the access token is invalid, revoked or expired');
        return false;
      }
      const held = perToken.get(principal.tokenId) ?? 0;
      if (held >= maxPerToken || socket.readyState !== socket.OPEN) {
        closeSocket(socket, WS_CLOSE_TOO_MANY, `Too many connections: at most ${maxPerToken} per access token`);
        return false;
      }
      perToken.set(principal.tokenId, held + 1);
      ctx.extra.tokenKey = principal.tokenId;
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
      const active = ctx.extra.active;
      // Counted in arrival order, before any await: a burst gets exactly maxOps through, whatever its size.
      if (active.size >= maxOps) {
        opts.onOperation?.('error');
        // A client that keeps asking past the cap (as many again) is flooding: drop it rather than answer each one.
        if (++ctx.extra.refused > maxOps)
          closeSocket(ctx.extra.socket, WS_CLOSE_TOO_MANY, `Too many subscriptions: at most ${maxOps} per connection`);
        return [
          new GraphQLError(`At most ${maxOps} operations may run on one connection`, {
            extensions: { code: 'BAD_REQUEST', limit: 'maxSubscriptionsPerConnection', max: maxOps },
          }),
        ];
      }
      active.add(id);
      const result = await checkSubscribe(ctx.extra, payload);
      if (Array.isArray(result)) active.delete(id);
      return result;
    },
    onComplete(ctx, id) {
      ctx.extra.active.delete(id);
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
      releaseToken(ctx.extra);
    },
  });

  function releaseToken(extra: Extra): void {
    const key = extra.tokenKey;
    if (!key) return;
    extra.tokenKey = undefined;
    const n = (perToken.get(key) ?? 1) - 1;
    if (n <= 0) perToken.delete(key);
    else perToken.set(key, n);
  }

  async function checkSubscribe(
    extra: Extra,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const fail = (message: string, code: string, extensions: Record<string, unknown> = {}) => {
      opts.onOperation?.('error');
      return [new GraphQLError(message, { extensions: { code, ...extensions } })];
    };
    const header = extra.authorization;
    const allowed = await rateLimit(header, addressOf(extra.request));
    if (!allowed.ok)
      return fail(`Rate limit exceeded; retry in ${allowed.retryAfterSeconds} s`, 'RATE_LIMITED', {
        retryAfterSeconds: allowed.retryAfterSeconds,
      });
    const principal = header ? await auth.authenticate(header) : null;
    if (!principal) {
      closeSocket(extra.socket, WS_CLOSE_FORBIDDEN, 'Forbidden: the access token is no longer valid');
      return fail('The access token is no longer valid', 'UNAUTHENTICATED');
    }
    if (typeof payload.query !== 'string') return fail('The document must be a string', 'BAD_REQUEST');
    const deep = checkVariablesDepth(payload.variables);
    if (deep) return fail(deep.message, 'BAD_USER_INPUT');
    if (opts.limits) {
      const tooBig = checkDocumentSize(payload.query, opts.limits);
      if (tooBig) {
        opts.onOperation?.('error');
        return [tooBig];
      }
    } else if (payload.query.length > maxChars)
      return fail(`The document must be a string of at most ${maxChars} characters`, 'QUERY_LIMIT_EXCEEDED');
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (e) {
      opts.onOperation?.('error');
      return [
        e instanceof GraphQLError
          ? new GraphQLError(e.message, {
              nodes: e.nodes,
              source: e.source,
              positions: e.positions,
              extensions: { code: 'GRAPHQL_PARSE_FAILED' },
            })
          : new GraphQLError('Cannot parse the document', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
      ];
    }
    // The same limits as over HTTP: graphql-js's rules plus depth, aliases, directives, cost; then list-aware cost.
    const errors = validate(
      schema,
      document,
      opts.limits ? [...specifiedRules, ...armorValidationRules(opts.limits)] : specifiedRules,
    );
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
        return [
          new QueryLimitError(
            'maxComplexity',
            `The operation's cost ${complexity} exceeds the limit of ${opts.limits.maxComplexity} (maxComplexity)`,
            opts.limits.maxComplexity,
            complexity,
          ),
        ];
      }
    }
    if (errors.length > 0) {
      opts.onOperation?.('error');
      // Keep a limit's own code (QUERY_LIMIT_EXCEEDED, with limit/max/actual); everything else is a validation failure.
      return errors.map(
        (e) =>
          new GraphQLError(e.message, {
            nodes: e.nodes,
            source: e.source,
            positions: e.positions,
            extensions: e.extensions?.code ? e.extensions : { code: 'GRAPHQL_VALIDATION_FAILED' },
          }),
      );
    }
    const op = getOperationAST(document, payload.operationName);
    if (!op) return fail('Unable to identify the operation (give operationName)', 'BAD_REQUEST');
    if (op.operation !== 'subscription')
      return fail(
        'Only subscriptions are served over WebSocket: send queries and mutations with HTTP POST /graphql',
        'BAD_REQUEST',
      );
    opts.onOperation?.('ok');
    return {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: createContext(services, `ws-${randomUUID()}`, principal),
    };
  }

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    const extra: Extra = { socket, request, active: new Set(), refused: 0 };
    perAddress.set(addressOf(request), (perAddress.get(addressOf(request)) ?? 0) + 1);
    socket.once('error', (err) => {
      logger.warn({ err: err.message }, 'WebSocket error');
      closeSocket(socket, 1011, 'Internal error');
    });
    let alive = true;
    let gone = false;
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
        // A client that went away (EPIPE, ECONNRESET) is not an error of ours: its subscriptions end with the
        // close, and nothing is logged per subscription.
        send: (data) =>
          new Promise<void>((resolve) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (err) => {
              if (err && !gone) {
                gone = true;
                logger.debug({ err: err.message }, 'WebSocket client went away');
              }
              resolve();
            });
          }),
        close: (code, reason) => closeSocket(socket, code ?? 1000, reason ?? ''),
        onMessage: (cb) =>
          socket.on('message', async (data) => {
            try {
              await cb(String(data));
            } catch (err) {
              if (socket.readyState === socket.OPEN) logger.error({ err }, 'graphql-ws: error handling a message');
              closeSocket(socket, 4500, 'Internal server error');
            }
          }),
      },
      extra,
    );
    socket.once('close', (code, reason) => {
      if (ping) clearInterval(ping);
      releaseToken(extra);
      const ip = addressOf(request);
      const n = (perAddress.get(ip) ?? 1) - 1;
      if (n <= 0) perAddress.delete(ip);
      else perAddress.set(ip, n);
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
    // Per-address cap, before the handshake: refusing costs nothing but these bytes.
    if ((perAddress.get(addressOf(req)) ?? 0) >= maxPerAddress) {
      socket.write(
        `HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nX-Reason: at most ${maxPerAddress} WebSocket connections per address\r\n\r\n`,
      );
      socket.destroy();
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
