/**
 * HTTP-side limits: body size, per-token rate limit, timeouts, the pre-parse document check, and one error shape
 * for everything Fastify itself rejects.
 *
 *   setting                    env variable                               default
 *   body size                  LICENSEGRAPH_BODY_LIMIT_BYTES              1048576 (1 MiB)   -> 413 PAYLOAD_TOO_LARGE
 *   rate limit                 LICENSEGRAPH_RATE_LIMIT_MAX                600 (0 = off)     -> 429 RATE_LIMITED + Retry-After
 *                              LICENSEGRAPH_RATE_LIMIT_WINDOW_SECONDS     60
 *   idle connection timeout    LICENSEGRAPH_CONNECTION_TIMEOUT_SECONDS    120 (0 = none)
 *   request receive timeout    LICENSEGRAPH_REQUEST_TIMEOUT_SECONDS       30 (0 = none)    -> 408 (Node closes slow senders)
 *   keep-alive timeout         LICENSEGRAPH_KEEP_ALIVE_TIMEOUT_SECONDS    72
 *   shutdown grace             LICENSEGRAPH_SHUTDOWN_TIMEOUT_SECONDS      30 (src/main.ts)
 *
 * The rate limit counts requests per bearer token (a SHA-256 of it: tokens are never kept) or, without one, per
 * client IP, over GraphQL and REST alike; /healthz, /readyz, /metrics and the portal's static pages and files
 * (/, /graphiql, /assets/...) are exempt. A token gets a budget of its own once it has been accepted (a response
 * other than 401); until then its requests count against the client IP, so inventing a new token per request
 * buys no extra budget. Counters live in memory, so
 * with several replicas each enforces its own share. The idle timeout must outlast the slowest license-server
 * read a request may wait for (servers[].timeoutSeconds, default 10).
 *
 * Error bodies: on /graphql `{"errors":[{"message","extensions":{"code","requestId",...}}]}`, elsewhere
 * `{"error":{"code","message","requestId"}}`. Unexpected errors are logged with the request id and answered
 * 500 INTERNAL_SERVER_ERROR with no detail.
 */
import { createHash } from 'crypto';
import rateLimit from '@fastify/rate-limit';
import { LRUCache } from 'lru-cache';
import type { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULT_HTTP_LIMITS, type GraphQLLimitsConfig, type HttpLimitsConfig } from '../config/types';
import { restError } from '../errors';
import { checkDocumentSize, checkVariablesDepth } from '../graphql/limits';

export type { HttpLimitsConfig };

export function resolveHttpLimits(partial: Partial<HttpLimitsConfig> | undefined): HttpLimitsConfig {
  return { ...DEFAULT_HTTP_LIMITS, ...(partial ?? {}) };
}

/** The Fastify constructor options these limits set. */
export function fastifyLimitOptions(
  limits: HttpLimitsConfig,
): Pick<
  FastifyServerOptions,
  | 'bodyLimit'
  | 'connectionTimeout'
  | 'requestTimeout'
  | 'keepAliveTimeout'
  | 'return503OnClosing'
  | 'forceCloseConnections'
> {
  return {
    bodyLimit: limits.bodyLimitBytes,
    connectionTimeout: limits.connectionTimeoutSeconds * 1000,
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    keepAliveTimeout: limits.keepAliveTimeoutSeconds * 1000,
    // while closing: new requests on kept-alive connections get 503, idle connections are closed at once
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  };
}

/** Routes the rate limit never counts: health, and the portal's static pages and files. (/metrics counts: it authenticates.) */
export const RATE_LIMIT_EXEMPT = new Set(['/healthz', '/readyz', '/', '/graphiql']);
const RATE_LIMIT_EXEMPT_PREFIX = '/assets/';

function exempt(req: FastifyRequest): boolean {
  const p = pathOf(req);
  return RATE_LIMIT_EXEMPT.has(p) || p.startsWith(RATE_LIMIT_EXEMPT_PREFIX);
}

const GRAPHQL_PATH = '/graphql';

/** An HTTP-level rejection carrying its status and stable code (thrown by hooks, rendered by the error handler). */
export class HttpLimitError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpLimitError';
  }
}

function pathOf(req: FastifyRequest): string {
  return req.routeOptions?.url ?? req.url.split('?')[0];
}

/** Answer with an error in the shape the route's clients read (GraphQL or REST). */
export function sendHttpError(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): FastifyReply {
  reply.code(status).header('content-type', 'application/json; charset=utf-8');
  if (pathOf(req) === GRAPHQL_PATH)
    return reply.send({ errors: [{ message, extensions: { code, ...extra, requestId: req.id } }] });
  const body = restError(code, message, req.id);
  return reply.send({ error: { ...body.error, ...extra } });
}

/** A hash of the request's bearer token (never the token itself), or null without one. */
export function bearerHash(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S{1,512})\s*$/i.exec(h);
  return m ? createHash('sha256').update(m[1]).digest('base64url').slice(0, 32) : null;
}

/**
 * The rate limit's key: the bearer token's hash once that token has been accepted, else the client IP.
 * `known` holds hashes of tokens that got a response other than 401.
 */
export function rateLimitKey(req: FastifyRequest, known: { has(hash: string): boolean }): string {
  const hash = bearerHash(req);
  return hash && known.has(hash) ? `token:${hash}` : `ip:${req.ip}`;
}

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
  431: 'REQUEST_HEADER_FIELDS_TOO_LARGE',
  503: 'SERVICE_UNAVAILABLE',
};

/** Consumes one operation of a WebSocket client's rate-limit budget (the same budget as its HTTP requests). */
export type WsRateLimit = (
  authorization: string | undefined,
  ip: string,
) => Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }>;

/** Failed authentications one client address may make per rate-limit window before it gets 429 without a check. */
export const AUTH_FAILURES_PER_WINDOW = 30;

export interface HttpLimitsOptions {
  http: HttpLimitsConfig;
  graphql: Pick<GraphQLLimitsConfig, 'maxCharacters' | 'maxTokens'>;
  logger: Logger;
}

/**
 * Install the error handler, the rate limit, the pre-parse document check on /graphql and the request id on
 * every GraphQL error body. Await it before declaring routes: the rate limit attaches to routes declared after.
 */
export async function registerHttpLimits(
  fastify: FastifyInstance,
  opts: HttpLimitsOptions,
): Promise<{ wsRateLimit: WsRateLimit; authFailures: AuthFailures }> {
  const { http, graphql, logger } = opts;

  fastify.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    if (err instanceof HttpLimitError)
      return sendHttpError(req, reply, err.statusCode, err.code, err.message, err.extra);
    const status =
      typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) {
      logger.error({ err, requestId: req.id, method: req.method, url: req.url }, 'unexpected error');
      return sendHttpError(req, reply, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
    }
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      message = `Request body is larger than the limit of ${req.routeOptions?.bodyLimit ?? http.bodyLimitBytes} bytes`;
    // JSON.parse messages quote the body: never echo it
    else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
      message = 'Request body is not valid JSON';
    return sendHttpError(req, reply, status, STATUS_CODES[status] ?? 'BAD_REQUEST', message);
  });

  const known = new LRUCache<string, true>({ max: 10_000 });
  let wsRateLimit: WsRateLimit = async () => ({ ok: true });
  // Failed authentications cost a client address more than its requests: past the limit, 401s become 429s
  // without a token lookup, on every route (/metrics included); accepted tokens are not affected.
  const authFailures = new AuthFailures(
    http.rateLimitMax > 0 ? AUTH_FAILURES_PER_WINDOW : 0,
    http.rateLimitWindowSeconds,
  );
  fastify.addHook('onRequest', async (req) => {
    if (req.url === '/healthz' || req.url === '/readyz' || !req.headers.authorization) return;
    const hash = bearerHash(req);
    if (hash && known.has(hash)) return;
    const wait = authFailures.blocked(req.ip);
    if (wait > 0)
      throw new HttpLimitError(
        429,
        'RATE_LIMITED',
        `Too many failed authentications from this address; retry in ${wait} s`,
        { retryAfterSeconds: wait },
      );
  });
  fastify.addHook('onResponse', async (req, reply) => {
    if (reply.statusCode === 401) authFailures.record(req.ip);
  });
  if (http.rateLimitMax > 0) {
    const window = http.rateLimitWindowSeconds;
    fastify.addHook('onResponse', async (req, reply) => {
      if (reply.statusCode === 401 || reply.statusCode === 429 || exempt(req)) return;
      const hash = bearerHash(req);
      if (hash && !known.has(hash)) known.set(hash, true);
    });
    await fastify.register(rateLimit, {
      global: true,
      hook: 'onRequest',
      max: http.rateLimitMax,
      timeWindow: window * 1000,
      keyGenerator: (req) => rateLimitKey(req, known),
      allowList: exempt,
      cache: 10_000,
      errorResponseBuilder: (_req, ctx) =>
        new HttpLimitError(
          429,
          'RATE_LIMITED',
          `Rate limit of ${ctx.max} requests per ${window} s exceeded; retry in ${ctx.after}`,
          {
            retryAfterSeconds: Math.max(1, Math.ceil(ctx.ttl / 1000)),
          },
        ),
    });
    // WebSocket operations draw on the same per-token budget (a token WebSocket authenticated is an accepted one).
    // One check at a time: the store hands every caller the same counter object, so concurrent checks would all
    // read the count after the last increment (a burst of 15 on a budget of 12 would refuse all 15).
    const check = fastify.createRateLimit();
    let queue: Promise<unknown> = Promise.resolve();
    wsRateLimit = (authorization, ip) => {
      const run = async (): Promise<{ ok: true } | { ok: false; retryAfterSeconds: number }> => {
        const headers = { authorization };
        const hash = bearerHash({ headers } as FastifyRequest);
        if (hash && !known.has(hash)) known.set(hash, true);
        const fake = {
          headers,
          ip,
          url: GRAPHQL_PATH,
          routeOptions: { url: GRAPHQL_PATH, config: {} },
        } as unknown as FastifyRequest;
        const r = await check(fake);
        if (r.isAllowed || !r.isExceeded) return { ok: true };
        return { ok: false, retryAfterSeconds: Math.max(1, r.ttlInSeconds) };
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    };
  }

  // Characters and tokens of a GraphQL document, before anything parses it (Apollo, the response cache).
  fastify.addHook('preValidation', async (req, reply) => {
    if (pathOf(req) !== GRAPHQL_PATH) return;
    let source: unknown;
    if (req.method === 'GET') source = (req.query as Record<string, unknown> | undefined)?.query;
    else if (req.body && typeof req.body === 'object' && !Array.isArray(req.body))
      source = (req.body as Record<string, unknown>).query;
    if (req.method === 'POST' && req.body && typeof req.body === 'object' && !Array.isArray(req.body)) {
      const deep = checkVariablesDepth((req.body as Record<string, unknown>).variables);
      if (deep) {
        sendHttpError(req, reply, 400, 'BAD_USER_INPUT', deep.message);
        return reply;
      }
    }
    if (typeof source !== 'string') return;
    const err = checkDocumentSize(source, graphql);
    if (!err) return;
    const { http: _h, code, ...ext } = err.extensions as Record<string, unknown>;
    sendHttpError(req, reply, 400, String(code), err.message, ext);
    return reply;
  });

  // Shutting down: responses to requests still in flight close their connection, so that server.close() (which
  // reaps only connections idle when it starts) is not held open by keep-alive until keepAliveTimeout.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  // Errors Apollo answers outside its request pipeline (CSRF, batching, bad request shape, context failures)
  // carry no request id: add it, so every GraphQL error body has one.
  fastify.addHook('onSend', async (req, reply, payload) => {
    if (
      reply.statusCode < 400 ||
      typeof payload !== 'string' ||
      pathOf(req) !== GRAPHQL_PATH ||
      !payload.startsWith('{"errors"')
    )
      return payload;
    try {
      const body = JSON.parse(payload) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
      if (!Array.isArray(body.errors) || body.errors.every((e) => e?.extensions?.requestId)) return payload;
      for (const e of body.errors)
        if (e && typeof e === 'object')
          e.extensions = { ...(e.extensions ?? {}), requestId: e.extensions?.requestId ?? req.id };
      return JSON.stringify(body);
    } catch {
      return payload;
    }
  });
  return { wsRateLimit, authFailures };
}

/** Failed authentications per client address in fixed windows (0 = no limit). */
export class AuthFailures {
  private readonly counts = new LRUCache<string, { n: number; since: number }>({ max: 10_000 });

  constructor(
    private readonly max: number,
    private readonly windowSeconds: number,
  ) {}

  record(ip: string, now = Date.now()): void {
    if (this.max === 0) return;
    const c = this.counts.get(ip);
    if (!c || now - c.since >= this.windowSeconds * 1000) this.counts.set(ip, { n: 1, since: now });
    else c.n++;
  }

  /** Seconds until this address may try again, or 0 when it may now. */
  blocked(ip: string, now = Date.now()): number {
    if (this.max === 0) return 0;
    const c = this.counts.get(ip);
    if (!c || c.n < this.max) return 0;
    const left = c.since + this.windowSeconds * 1000 - now;
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }
}
