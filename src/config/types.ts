import type { AlertRuleConfig } from '../domain/alerts';
import type { SourceType } from '../domain/snapshot';

export interface ServerConfig {
  id: string;
  label: string;
  type: SourceType;
  /** flexlm, rlm: what -c takes ("27000@lic1.example.com"). */
  address?: string;
  /** flexlm, rlm: lmutil/rlmutil path (else found on PATH). */
  binary?: string;
  /** flexlm-file, rlm-file: a captured output, re-read at each fetch. */
  path?: string;
  /** json: a LicenseSummary endpoint and its bearer token. */
  url?: string;
  token?: string;
  /** simulator: the pseudo-random generator's start value, which makes it deterministic. */
  randomSeed?: number;
  /** IANA zone the server prints start times in (default: the process zone). */
  timeZone?: string;
  pollIntervalSeconds: number;
  timeoutSeconds: number;
  /** Oldest snapshot a request may be served (default 5 s). */
  maxAgeSeconds: number;
  /** Bytes read from a command or file before giving up (default 64 MiB). */
  maxOutputBytes: number;
  /**
   * History: count license-hours from a session's reported start even when it predates the server's first
   * observation (or the previous poll) by more than one poll interval. Default false: count from the observation.
   */
  countReportedStart?: boolean;
}

export interface AppConfig {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  configFile?: string;
  servers: ServerConfig[];
  logLevel: string;
  introspection: boolean;
  /** Bytes of GraphQL responses the live-report response cache may hold (LICENSEGRAPH_RESPONSE_CACHE_MB, default 64; 0 = off). */
  responseCacheBytes?: number;
  graphiql: boolean;
  /** GraphQL query limits (see DEFAULT_GRAPHQL_LIMITS); unset keys take the defaults. */
  graphqlLimits?: Partial<GraphQLLimitsConfig>;
  /** HTTP limits, timeouts and shutdown (see DEFAULT_HTTP_LIMITS); unset keys take the defaults. */
  httpLimits?: Partial<HttpLimitsConfig>;
  /** What one push (POST /api/v1/ingest, ingestLicenseStatus) may hold (see DEFAULT_INGEST_LIMITS). */
  ingestLimits?: Partial<IngestLimitsConfig>;
  /** Alert rules from the config file's `alerts:` list (rules made through the API live in the store). */
  alerts?: AlertRuleConfig[];
  /**
   * GET /metrics: a static bearer token Prometheus may scrape with (LICENSEGRAPH_METRICS_TOKEN), accepted besides
   * any valid access token. Unset: an access token is needed.
   */
  metricsToken?: string;
  /** GET /metrics without any token (LICENSEGRAPH_METRICS_PUBLIC=true), for scrapers on a trusted network. */
  metricsPublic?: boolean;
}

/** Limits on GraphQL documents (env LICENSEGRAPH_MAX_*; see src/graphql/limits.ts). */
export interface GraphQLLimitsConfig {
  /** Characters of the document, checked before it is parsed (LICENSEGRAPH_MAX_QUERY_CHARS). */
  maxCharacters: number;
  /** Lexical tokens of the document, checked before it is parsed (LICENSEGRAPH_MAX_TOKENS). */
  maxTokens: number;
  /** Field nesting depth (LICENSEGRAPH_MAX_DEPTH). */
  maxDepth: number;
  /** Aliased fields (LICENSEGRAPH_MAX_ALIASES). */
  maxAliases: number;
  /** Directives (LICENSEGRAPH_MAX_DIRECTIVES). */
  maxDirectives: number;
  /** graphql-armor's structural cost (LICENSEGRAPH_MAX_COST). */
  maxCost: number;
  /** List-aware cost: lists cost their expected size times their selection (LICENSEGRAPH_MAX_COMPLEXITY). */
  maxComplexity: number;
}

export const DEFAULT_GRAPHQL_LIMITS: GraphQLLimitsConfig = {
  maxCharacters: 20_000,
  maxTokens: 1000,
  maxDepth: 6,
  maxAliases: 15,
  maxDirectives: 50,
  maxCost: 5000,
  maxComplexity: 50_000,
};

/** HTTP-side limits (env LICENSEGRAPH_*; see src/http/limits.ts). */
export interface HttpLimitsConfig {
  /** Largest request body (LICENSEGRAPH_BODY_LIMIT_BYTES); 413 past it. */
  bodyLimitBytes: number;
  /** Requests per window per bearer token (else per IP); 0 turns the rate limit off (LICENSEGRAPH_RATE_LIMIT_MAX). */
  rateLimitMax: number;
  /** The rate limit's window (LICENSEGRAPH_RATE_LIMIT_WINDOW_SECONDS). */
  rateLimitWindowSeconds: number;
  /** Idle socket timeout (LICENSEGRAPH_CONNECTION_TIMEOUT_SECONDS). */
  connectionTimeoutSeconds: number;
  /** Time to receive a whole request, headers and body (LICENSEGRAPH_REQUEST_TIMEOUT_SECONDS); 408 past it. */
  requestTimeoutSeconds: number;
  /** Idle keep-alive connections are closed after this (LICENSEGRAPH_KEEP_ALIVE_TIMEOUT_SECONDS). */
  keepAliveTimeoutSeconds: number;
  /** On SIGTERM, in-flight work gets this long before the process exits anyway (LICENSEGRAPH_SHUTDOWN_TIMEOUT_SECONDS). */
  shutdownTimeoutSeconds: number;
  /** Open WebSocket connections one access token may hold (LICENSEGRAPH_WS_MAX_CONNECTIONS_PER_TOKEN). */
  wsMaxConnectionsPerToken: number;
  /** Open WebSocket connections one client address may hold (LICENSEGRAPH_WS_MAX_CONNECTIONS_PER_ADDRESS). */
  wsMaxConnectionsPerAddress: number;
  /** Subscriptions one WebSocket connection may run at once (LICENSEGRAPH_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION). */
  wsMaxSubscriptionsPerConnection: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimitsConfig = {
  bodyLimitBytes: 1024 * 1024,
  rateLimitMax: 600,
  rateLimitWindowSeconds: 60,
  connectionTimeoutSeconds: 120,
  requestTimeoutSeconds: 30,
  keepAliveTimeoutSeconds: 72,
  shutdownTimeoutSeconds: 30,
  wsMaxConnectionsPerToken: 10,
  wsMaxConnectionsPerAddress: 50,
  wsMaxSubscriptionsPerConnection: 20,
};

/** What one push may hold (env LICENSEGRAPH_INGEST_MAX_*); over a limit: 413 PAYLOAD_TOO_LARGE naming it. */
export interface IngestLimitsConfig {
  /** Bytes of pushed text (LICENSEGRAPH_INGEST_MAX_BYTES). */
  maxBytes: number;
  /** Features in the parsed status (LICENSEGRAPH_INGEST_MAX_FEATURES). */
  maxFeatures: number;
  /** Checkouts over all features (LICENSEGRAPH_INGEST_MAX_CHECKOUTS). */
  maxCheckouts: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimitsConfig = {
  maxBytes: 16 * 1024 * 1024,
  maxFeatures: 10_000,
  maxCheckouts: 50_000,
};
