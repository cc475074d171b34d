/**
 * The licensegraph client SDK: a small typed client for the GraphQL API, built on the typed documents that
 * `npm run codegen` generates from src/client/operations (src/client/generated.ts).
 *
 *   import { createClient, formatReport } from 'licensegraph';
 *   const client = createClient({ url: 'http://licensegraph:4000', token: process.env.LICENSEGRAPH_TOKEN });
 *   const report = await client.licenses().report({ features: ['FTX_*'] });
 *   for (const line of formatReport(report)) console.log(line);   // "FTX_DEVELOPER: 25/100 in use (75 free)" ...
 *   const stop = client.licenses().subscribe('checkoutEvents', { features: ['FTX_*'] }, { next: (e) => console.log(e) });
 *
 * Queries go over HTTP POST (fetch: the global one, or `fetch` from the options); subscriptions over graphql-ws on
 * the same URL (the global WebSocket in browsers and Node 22+, else the `ws` package), with the token in the
 * connection_init payload. The WebSocket connects lazily, on the first subscription, and closes when the last one
 * ends (graphql-ws `lazy`).
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import type { Client as WsClient } from 'graphql-ws';
import {
  ClientCheckoutEventsDocument,
  ClientFeatureUsageChangedDocument,
  ClientLicenseAlertsDocument,
  ClientLicenseReportDocument,
  ClientUsageDocument,
  type ClientCheckoutEventsSubscription,
  type ClientCheckoutEventsSubscriptionVariables,
  type ClientFeatureUsageChangedSubscription,
  type ClientFeatureUsageChangedSubscriptionVariables,
  type ClientLicenseAlertsSubscription,
  type ClientLicenseAlertsSubscriptionVariables,
  type ClientLicenseReportQuery,
  type ClientUsageQuery,
  type ClientUsageQueryVariables,
  type ReportFilter,
  type TimeBucket,
  type UsageDimension,
  type UsageFilter,
} from './generated';

export type { ReportFilter, TimeBucket, UsageDimension, UsageFilter };

/** The live report as a Foretify Manager LicenseSummary (summaryByFeature[].info/checkouts/valid, valid), with a few extras. */
export type LicenseSummary = ClientLicenseReportQuery['licenseReport'];
export type FeatureSummary = LicenseSummary['summaryByFeature'][number];
export type FeatureUsageChangeEvent = ClientFeatureUsageChangedSubscription['featureUsageChanged'];
export type CheckoutEventPayload = ClientCheckoutEventsSubscription['checkoutEvents'];
export type LicenseAlertEvent = ClientLicenseAlertsSubscription['licenseAlerts'];

export interface ClientOptions {
  /** The licensegraph server, e.g. "http://licensegraph:4000" (a URL ending in /graphql is accepted too). */
  url: string;
  /** An access token, sent as "Authorization: Bearer <token>" (and in connection_init for subscriptions). */
  token?: string;
  /** fetch implementation (default: globalThis.fetch). */
  fetch?: typeof globalThis.fetch;
  /** WebSocket implementation for subscriptions (default: globalThis.WebSocket, else the `ws` package). */
  webSocketImpl?: unknown;
  /** Extra HTTP headers for queries. */
  headers?: Record<string, string>;
  /** Per-request timeout for queries (ms). Default 30,000. */
  timeoutMs?: number;
}

export interface GraphQLErrorPayload {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: Record<string, unknown>;
}

/** A failed request: HTTP status (0 for network errors), the first error's code, and every GraphQL error. */
export class LicensegraphError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly errors: GraphQLErrorPayload[] = [],
  ) {
    super(message);
    this.name = 'LicensegraphError';
  }
}

export interface Sink<T> {
  next(value: T): void;
  error?(error: unknown): void;
  complete?(): void;
}

/** The subscriptions licenses().subscribe() knows, with their variables and event payloads. */
export interface LicenseSubscriptions {
  featureUsageChanged: { variables: ClientFeatureUsageChangedSubscriptionVariables; event: FeatureUsageChangeEvent };
  checkoutEvents: { variables: ClientCheckoutEventsSubscriptionVariables; event: CheckoutEventPayload };
  licenseAlerts: { variables: ClientLicenseAlertsSubscriptionVariables; event: LicenseAlertEvent };
}

/** Arguments of the usage query: groupBy dimensions, filter, TIME bucket and its time zone. */
export type UsageArgs = ClientUsageQueryVariables;
/** One usage row (dimension fields not grouped by are null). */
export type UsageRow = ClientUsageQuery['usage'][number];

export interface LicensesApi {
  /** The live report (the Foretify Manager Python SDK's `client.get().licenses().report()`). */
  report(filter?: ReportFilter): Promise<LicenseSummary>;
  /** Usage history: `usage(groupBy, filter, bucket, timeZone)` (sessions, license hours, peaks per group). */
  usage(args: UsageArgs): Promise<UsageRow[]>;
  /** Subscribes to live events; returns a function that ends the subscription. */
  subscribe<K extends keyof LicenseSubscriptions>(
    kind: K,
    variables: LicenseSubscriptions[K]['variables'],
    sink: Sink<LicenseSubscriptions[K]['event']>,
  ): () => void;
  /** The same as an async iterator (break out of the loop, or call return(), to end it). */
  events<K extends keyof LicenseSubscriptions>(
    kind: K,
    variables?: LicenseSubscriptions[K]['variables'],
  ): AsyncIterableIterator<LicenseSubscriptions[K]['event']>;
}

export interface LicensegraphClient {
  /** Runs any typed query or mutation over HTTP. */
  request<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables?: V,
  ): Promise<R>;
  /** Runs any typed subscription over WebSocket. */
  subscribe<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables: V | undefined,
    sink: Sink<R>,
  ): () => void;
  iterate<R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables?: V,
  ): AsyncIterableIterator<R>;
  licenses(): LicensesApi;
  /** Closes the WebSocket, if one is open. */
  close(): Promise<void>;
}

const SUBSCRIPTIONS = {
  featureUsageChanged: ClientFeatureUsageChangedDocument,
  checkoutEvents: ClientCheckoutEventsDocument,
  licenseAlerts: ClientLicenseAlertsDocument,
} as const;

function endpoints(url: string): { http: string; ws: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LicensegraphError(
      `Invalid url "${url}": give the server's address, e.g. http://localhost:4000`,
      'BAD_URL',
      0,
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new LicensegraphError(`Invalid url "${url}": use http:// or https://`, 'BAD_URL', 0);
  const base = u.pathname.replace(/\/+$/, '');
  u.pathname = base.endsWith('/graphql') ? base : `${base}/graphql`;
  u.search = '';
  u.hash = '';
  const http = u.toString();
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return { http, ws: u.toString() };
}

function text(document: TypedDocumentNode<unknown, unknown> | DocumentNode | string): string {
  return typeof document === 'string' ? document : print(document);
}

function loadWebSocket(explicit: unknown): unknown {
  if (explicit) return explicit;
  const g = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (g) return g;
  // Node 20 has no global WebSocket: the `ws` package (a dependency of licensegraph) provides one.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ws');
}

export function createClient(options: ClientOptions): LicensegraphClient {
  const { http, ws } = endpoints(options.url);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== 'function')
    throw new LicensegraphError('No fetch implementation: pass { fetch } to createClient', 'NO_FETCH', 0);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let wsClient: WsClient | null = null;

  const request = async <R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables?: V,
  ): Promise<R> => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      ...(options.headers ?? {}),
    };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let res: Response;
    try {
      res = await doFetch(http, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: text(document), variables: variables ?? {} }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new LicensegraphError(`Cannot reach ${http}: ${(e as Error).message}`, 'NETWORK_ERROR', 0);
    }
    let body: { data?: R | null; errors?: GraphQLErrorPayload[] } | null = null;
    try {
      body = (await res.json()) as { data?: R | null; errors?: GraphQLErrorPayload[] };
    } catch {
      body = null;
    }
    if (body?.errors?.length) {
      const first = body.errors[0];
      throw new LicensegraphError(
        first.message,
        String(first.extensions?.code ?? 'GRAPHQL_ERROR'),
        res.status,
        body.errors,
      );
    }
    if (!res.ok || !body || body.data === undefined || body.data === null) {
      throw new LicensegraphError(
        `${http} answered HTTP ${res.status}`,
        res.status === 401 ? 'UNAUTHENTICATED' : 'BAD_RESPONSE',
        res.status,
      );
    }
    return body.data;
  };

  const ensureWs = async (): Promise<WsClient> => {
    if (wsClient) return wsClient;
    const { createClient: createWsClient } = await import('graphql-ws');
    if (wsClient) return wsClient;
    wsClient = createWsClient({
      url: ws,
      webSocketImpl: loadWebSocket(options.webSocketImpl),
      lazy: true,
      connectionParams: () => (options.token ? { Authorization: `Bearer ${options.token}` } : {}),
      retryAttempts: 5,
      // 4401 (no token) and 4403 (bad token) will not change by retrying.
      shouldRetry: (e) => {
        const code = (e as { code?: unknown } | null)?.code;
        return typeof code === 'number' && code !== 4401 && code !== 4403;
      },
    });
    return wsClient;
  };

  const toError = (e: unknown): unknown => {
    if (Array.isArray(e) && e.length > 0) {
      const first = e[0] as GraphQLErrorPayload;
      return new LicensegraphError(
        first.message,
        String(first.extensions?.code ?? 'GRAPHQL_ERROR'),
        0,
        e as GraphQLErrorPayload[],
      );
    }
    const close = e as { code?: unknown; reason?: unknown } | null;
    if (close && typeof close.code === 'number') {
      const code =
        close.code === 4401 ? 'UNAUTHENTICATED' : close.code === 4403 ? 'FORBIDDEN' : `WEBSOCKET_CLOSED_${close.code}`;
      return new LicensegraphError(
        `WebSocket closed (${close.code}${close.reason ? `: ${String(close.reason)}` : ''})`,
        code,
        0,
      );
    }
    return e;
  };

  const subscribe = <R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables: V | undefined,
    sink: Sink<R>,
  ): (() => void) => {
    let dispose: (() => void) | null = null;
    let cancelled = false;
    void ensureWs().then(
      (c) => {
        if (cancelled) return;
        dispose = c.subscribe<R>(
          { query: text(document), variables: variables ?? {} },
          {
            next: (result) => {
              if (result.errors?.length) {
                sink.error?.(toError(result.errors));
                return;
              }
              if (result.data) sink.next(result.data as R);
            },
            error: (e) => sink.error?.(toError(e)),
            complete: () => sink.complete?.(),
          },
        );
      },
      (e) => sink.error?.(e),
    );
    return () => {
      cancelled = true;
      dispose?.();
    };
  };

  const iterate = <R, V extends Record<string, unknown>>(
    document: TypedDocumentNode<R, V> | DocumentNode | string,
    variables?: V,
  ): AsyncIterableIterator<R> => {
    const queue: R[] = [];
    let waiting: { resolve: (r: IteratorResult<R>) => void; reject: (e: unknown) => void } | null = null;
    let done = false;
    let failure: unknown = null;
    const stop = subscribe(document, variables, {
      next(v) {
        if (waiting) {
          const w = waiting;
          waiting = null;
          w.resolve({ value: v, done: false });
        } else queue.push(v);
      },
      error(e) {
        done = true;
        if (waiting) {
          const w = waiting;
          waiting = null;
          w.reject(e);
        } else failure = e;
      },
      complete() {
        done = true;
        if (waiting) {
          const w = waiting;
          waiting = null;
          w.resolve({ value: undefined, done: true });
        }
      },
    });
    const it: AsyncIterableIterator<R> = {
      next() {
        if (queue.length) return Promise.resolve({ value: queue.shift() as R, done: false });
        if (failure) {
          const f = failure;
          failure = null;
          return Promise.reject(f);
        }
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve, reject) => {
          waiting = { resolve, reject };
        });
      },
      return() {
        done = true;
        stop();
        if (waiting) {
          const w = waiting;
          waiting = null;
          w.resolve({ value: undefined, done: true });
        }
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return it;
      },
    };
    return it;
  };

  const pick = <K extends keyof LicenseSubscriptions>(kind: K) => {
    const doc = SUBSCRIPTIONS[kind];
    if (!doc)
      throw new LicensegraphError(
        `Unknown subscription "${String(kind)}" (expected ${Object.keys(SUBSCRIPTIONS).join(', ')})`,
        'BAD_USER_INPUT',
        0,
      );
    return doc as unknown as TypedDocumentNode<
      Record<K, LicenseSubscriptions[K]['event']>,
      LicenseSubscriptions[K]['variables']
    >;
  };

  const licenses: LicensesApi = {
    async report(filter) {
      return (await request(ClientLicenseReportDocument, { filter: filter ?? null })).licenseReport;
    },
    async usage(args) {
      return (await request(ClientUsageDocument, args)).usage;
    },
    subscribe(kind, variables, sink) {
      return subscribe(pick(kind), variables, {
        next: (d) => sink.next(d[kind]),
        error: sink.error?.bind(sink),
        complete: sink.complete?.bind(sink),
      });
    },
    events(kind, variables) {
      const inner = iterate(pick(kind), variables);
      const it: AsyncIterableIterator<LicenseSubscriptions[typeof kind]['event']> = {
        async next() {
          const r = await inner.next();
          return r.done ? { value: undefined, done: true } : { value: r.value[kind], done: false };
        },
        async return() {
          await inner.return?.();
          return { value: undefined, done: true };
        },
        [Symbol.asyncIterator]() {
          return it;
        },
      };
      return it;
    },
  };

  return {
    request,
    subscribe,
    iterate,
    licenses: () => licenses,
    async close() {
      const c = wsClient;
      wsClient = null;
      await c?.dispose();
    },
  };
}
