/**
 * Configuration: environment variables (PORT, HOST, DATABASE_URL, LICENSEGRAPH_DATA_DIR, LICENSEGRAPH_CONFIG,
 * LOG_LEVEL, LICENSEGRAPH_INTROSPECTION, LICENSEGRAPH_GRAPHIQL, the LICENSEGRAPH_* limits of loadLimits(),
 * LICENSEGRAPH_METRICS_TOKEN, LICENSEGRAPH_METRICS_PUBLIC, LICENSEGRAPH_RESPONSE_CACHE_MB) and an optional YAML file listing license servers (and,
 * optionally, `alerts:` rules for the licenseAlerts subscription).
 * Without a file the built-in simulator is the one server. Invalid configuration fails start-up with a message
 * naming the key.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { isValidTimeZone } from '../domain/time';
import type { SourceType } from '../domain/snapshot';
import {
  DEFAULT_GRAPHQL_LIMITS,
  DEFAULT_HTTP_LIMITS,
  DEFAULT_INGEST_LIMITS,
  type AppConfig,
  type GraphQLLimitsConfig,
  type HttpLimitsConfig,
  type IngestLimitsConfig,
  type ServerConfig,
} from './types';
import { checkAlertRule, type AlertRuleConfig } from '../domain/alerts';

export class ConfigError extends Error {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`Invalid configuration ${key}: ${message}`);
    this.name = 'ConfigError';
  }
}

const TYPES: SourceType[] = ['flexlm', 'rlm', 'flexlm-file', 'rlm-file', 'json', 'simulator', 'ingest'];
const SERVER_KEYS = new Set([
  'id',
  'label',
  'type',
  'address',
  'binary',
  'path',
  'url',
  'token',
  'randomSeed',
  'timeZone',
  'pollIntervalSeconds',
  'timeoutSeconds',
  'maxAgeSeconds',
  'maxOutputBytes',
  'countReportedStart',
]);
/** Keys only some types take (the rest are common to all). */
const TYPE_KEYS: Record<SourceType, string[]> = {
  flexlm: ['address', 'binary'],
  rlm: ['address', 'binary'],
  'flexlm-file': ['path'],
  'rlm-file': ['path'],
  json: ['url', 'token'],
  simulator: ['randomSeed'],
  ingest: ['token'],
};
const TYPE_SPECIFIC = new Set(Object.values(TYPE_KEYS).flat());

export const DEFAULT_SIMULATOR: ServerConfig = {
  id: 'simulator',
  label: 'Built-in simulator',
  type: 'simulator',
  randomSeed: 20240120,
  pollIntervalSeconds: 5,
  timeoutSeconds: 10,
  maxAgeSeconds: 5,
  maxOutputBytes: 64 * 1024 * 1024,
};

function num(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new ConfigError(key, `must be a number from ${min} to ${max}`);
  return v;
}

function str(v: unknown, key: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new ConfigError(key, 'must be a non-empty string');
  return v;
}

function bool(v: string | undefined, key: string, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new ConfigError(key, 'must be true or false');
}

/** A whole number from an environment variable, within [min, max]; the default when unset or empty. */
function envInt(env: NodeJS.ProcessEnv, key: string, dflt: number, min: number, max: number): number {
  const v = env[key];
  if (v === undefined || v.trim() === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ConfigError(key, `must be a whole number from ${min} to ${max}`);
  return n;
}

/** Query limits (GraphQL) and HTTP limits from LICENSEGRAPH_* variables; see DEFAULT_GRAPHQL_LIMITS / DEFAULT_HTTP_LIMITS. */
export function loadLimits(env: NodeJS.ProcessEnv = process.env): {
  graphqlLimits: GraphQLLimitsConfig;
  httpLimits: HttpLimitsConfig;
  ingestLimits: IngestLimitsConfig;
} {
  const g = DEFAULT_GRAPHQL_LIMITS;
  const h = DEFAULT_HTTP_LIMITS;
  const i = DEFAULT_INGEST_LIMITS;
  return {
    ingestLimits: {
      maxBytes: envInt(env, 'LICENSEGRAPH_INGEST_MAX_BYTES', i.maxBytes, 1024, 1024 * 1024 * 1024),
      maxFeatures: envInt(env, 'LICENSEGRAPH_INGEST_MAX_FEATURES', i.maxFeatures, 1, 1_000_000),
      maxCheckouts: envInt(env, 'LICENSEGRAPH_INGEST_MAX_CHECKOUTS', i.maxCheckouts, 1, 10_000_000),
    },
    graphqlLimits: {
      maxCharacters: envInt(env, 'LICENSEGRAPH_MAX_QUERY_CHARS', g.maxCharacters, 100, 10_000_000),
      maxTokens: envInt(env, 'LICENSEGRAPH_MAX_TOKENS', g.maxTokens, 50, 1_000_000),
      maxDepth: envInt(env, 'LICENSEGRAPH_MAX_DEPTH', g.maxDepth, 2, 100),
      maxAliases: envInt(env, 'LICENSEGRAPH_MAX_ALIASES', g.maxAliases, 0, 10_000),
      maxDirectives: envInt(env, 'LICENSEGRAPH_MAX_DIRECTIVES', g.maxDirectives, 0, 10_000),
      maxCost: envInt(env, 'LICENSEGRAPH_MAX_COST', g.maxCost, 10, 100_000_000),
      maxComplexity: envInt(env, 'LICENSEGRAPH_MAX_COMPLEXITY', g.maxComplexity, 10, 1_000_000_000),
    },
    httpLimits: {
      bodyLimitBytes: envInt(env, 'LICENSEGRAPH_BODY_LIMIT_BYTES', h.bodyLimitBytes, 1024, 1024 * 1024 * 1024),
      rateLimitMax: envInt(env, 'LICENSEGRAPH_RATE_LIMIT_MAX', h.rateLimitMax, 0, 100_000_000),
      rateLimitWindowSeconds: envInt(
        env,
        'LICENSEGRAPH_RATE_LIMIT_WINDOW_SECONDS',
        h.rateLimitWindowSeconds,
        1,
        86_400,
      ),
      connectionTimeoutSeconds: envInt(
        env,
        'LICENSEGRAPH_CONNECTION_TIMEOUT_SECONDS',
        h.connectionTimeoutSeconds,
        0,
        86_400,
      ),
      requestTimeoutSeconds: envInt(env, 'LICENSEGRAPH_REQUEST_TIMEOUT_SECONDS', h.requestTimeoutSeconds, 0, 86_400),
      keepAliveTimeoutSeconds: envInt(
        env,
        'LICENSEGRAPH_KEEP_ALIVE_TIMEOUT_SECONDS',
        h.keepAliveTimeoutSeconds,
        1,
        86_400,
      ),
      shutdownTimeoutSeconds: envInt(env, 'LICENSEGRAPH_SHUTDOWN_TIMEOUT_SECONDS', h.shutdownTimeoutSeconds, 1, 3600),
      wsMaxConnectionsPerToken: envInt(
        env,
        'LICENSEGRAPH_WS_MAX_CONNECTIONS_PER_TOKEN',
        h.wsMaxConnectionsPerToken,
        1,
        100_000,
      ),
      wsMaxConnectionsPerAddress: envInt(
        env,
        'LICENSEGRAPH_WS_MAX_CONNECTIONS_PER_ADDRESS',
        h.wsMaxConnectionsPerAddress,
        1,
        100_000,
      ),
      wsMaxSubscriptionsPerConnection: envInt(
        env,
        'LICENSEGRAPH_WS_MAX_SUBSCRIPTIONS_PER_CONNECTION',
        h.wsMaxSubscriptionsPerConnection,
        1,
        10_000,
      ),
    },
  };
}

export function parseServers(doc: unknown, baseDir: string): ServerConfig[] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new ConfigError('servers', 'the file must be a YAML mapping with a "servers" list');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d))
    if (k !== 'servers' && k !== 'alerts')
      throw new ConfigError(k, 'unknown top-level key (expected "servers" or "alerts")');
  if (!Array.isArray(d.servers) || d.servers.length === 0) throw new ConfigError('servers', 'must be a non-empty list');
  const seen = new Set<string>();
  return d.servers.map((raw, i) => {
    const at = `servers[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(at, 'must be a mapping');
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!SERVER_KEYS.has(k)) throw new ConfigError(`${at}.${k}`, 'unknown key');
    const id = str(r.id, `${at}.id`);
    if (!/^[a-z0-9-]+$/.test(id) || id.length > 64)
      throw new ConfigError(`${at}.id`, 'must match [a-z0-9-]+ (at most 64 characters)');
    if (seen.has(id)) throw new ConfigError(`${at}.id`, `duplicate id "${id}"`);
    seen.add(id);
    const type = str(r.type, `${at}.type`) as SourceType;
    if (!TYPES.includes(type)) throw new ConfigError(`${at}.type`, `must be one of ${TYPES.join(', ')}`);
    for (const k of Object.keys(r)) {
      if (TYPE_SPECIFIC.has(k) && !TYPE_KEYS[type].includes(k)) {
        const takes = TYPE_KEYS[type].length
          ? `type ${type} takes ${TYPE_KEYS[type].join(', ')}`
          : `type ${type} takes none of the type-specific keys`;
        throw new ConfigError(`${at}.${k}`, `not used by type ${type} (${takes})`);
      }
    }
    const s: ServerConfig = {
      id,
      label: r.label === undefined ? id : str(r.label, `${at}.label`),
      type,
      pollIntervalSeconds:
        r.pollIntervalSeconds === undefined
          ? type === 'simulator'
            ? 5
            : 60
          : num(r.pollIntervalSeconds, `${at}.pollIntervalSeconds`, 1, 86400),
      timeoutSeconds: r.timeoutSeconds === undefined ? 10 : num(r.timeoutSeconds, `${at}.timeoutSeconds`, 0.1, 600),
      maxAgeSeconds: r.maxAgeSeconds === undefined ? 5 : num(r.maxAgeSeconds, `${at}.maxAgeSeconds`, 0, 86400),
      maxOutputBytes:
        r.maxOutputBytes === undefined
          ? 64 * 1024 * 1024
          : num(r.maxOutputBytes, `${at}.maxOutputBytes`, 1024, 1024 * 1024 * 1024),
    };
    if (r.countReportedStart !== undefined) {
      if (typeof r.countReportedStart !== 'boolean')
        throw new ConfigError(`${at}.countReportedStart`, 'must be true or false');
      s.countReportedStart = r.countReportedStart;
    }
    if (r.timeZone !== undefined) {
      s.timeZone = str(r.timeZone, `${at}.timeZone`);
      if (!isValidTimeZone(s.timeZone))
        throw new ConfigError(`${at}.timeZone`, `unknown IANA time zone "${s.timeZone}"`);
    }
    if (type === 'flexlm' || type === 'rlm') {
      s.address = str(r.address, `${at}.address`);
      if (!/^[^\s;&|`$<>]+$/.test(s.address) || s.address.startsWith('-')) {
        throw new ConfigError(`${at}.address`, 'must look like port@host (no spaces, shell characters or leading "-")');
      }
      if (r.binary !== undefined) {
        const binary = str(r.binary, `${at}.binary`);
        // a bare name is looked up on PATH at each run; a path is taken relative to the config file
        s.binary = binary.includes('/') || binary.includes(path.sep) ? path.resolve(baseDir, binary) : binary;
      }
    }
    if (type === 'flexlm-file' || type === 'rlm-file') s.path = path.resolve(baseDir, str(r.path, `${at}.path`));
    if (type === 'json') {
      s.url = str(r.url, `${at}.url`);
      let u: URL | null = null;
      try {
        u = new URL(s.url);
      } catch {
        u = null;
      }
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname)
        throw new ConfigError(`${at}.url`, 'must be an absolute http(s) URL with a host');
      if (r.token !== undefined) s.token = str(r.token, `${at}.token`);
    }
    if (type === 'simulator')
      s.randomSeed = r.randomSeed === undefined ? 20240120 : num(r.randomSeed, `${at}.randomSeed`, 0, 2 ** 32 - 1);
    return s;
  });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = env.PORT === undefined || env.PORT === '' ? 4000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError('PORT', 'must be an integer from 0 to 65535');
  let servers: ServerConfig[] = [{ ...DEFAULT_SIMULATOR }];
  let alerts: AlertRuleConfig[] = [];
  const configFile = env.LICENSEGRAPH_CONFIG || undefined;
  if (configFile) {
    let text: string;
    try {
      text = fs.readFileSync(configFile, 'utf8');
    } catch (e) {
      throw new ConfigError('LICENSEGRAPH_CONFIG', `cannot read ${configFile}: ${(e as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = parseYaml(text);
    } catch (e) {
      throw new ConfigError('LICENSEGRAPH_CONFIG', `${configFile} is not valid YAML: ${(e as Error).message}`);
    }
    servers = parseServers(doc, path.dirname(path.resolve(configFile)));
    alerts = parseAlerts(doc, servers);
  }
  return {
    port,
    host: env.HOST || '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(env.LICENSEGRAPH_DATA_DIR || './data'),
    configFile,
    servers,
    logLevel: env.LOG_LEVEL || 'info',
    introspection: bool(env.LICENSEGRAPH_INTROSPECTION, 'LICENSEGRAPH_INTROSPECTION', true),
    graphiql: bool(env.LICENSEGRAPH_GRAPHIQL, 'LICENSEGRAPH_GRAPHIQL', true),
    ...loadLimits(env),
    responseCacheBytes: envInt(env, 'LICENSEGRAPH_RESPONSE_CACHE_MB', 64, 0, 64 * 1024) * 1024 * 1024,
    alerts,
    metricsToken: env.LICENSEGRAPH_METRICS_TOKEN ? metricsToken(env.LICENSEGRAPH_METRICS_TOKEN) : undefined,
    metricsPublic: bool(env.LICENSEGRAPH_METRICS_PUBLIC, 'LICENSEGRAPH_METRICS_PUBLIC', false),
  };
}

function metricsToken(v: string): string {
  if (v.length < 16 || !/^[\x21-\x7e]+$/.test(v))
    throw new ConfigError('LICENSEGRAPH_METRICS_TOKEN', 'must be at least 16 printable characters without spaces');
  return v;
}

const ALERT_KEYS = new Set(['kind', 'feature', 'server', 'threshold']);

/** The optional `alerts:` list: [{ kind, feature?, server?, threshold? }] (see src/services/alerts.service.ts). */
export function parseAlerts(doc: unknown, servers: ServerConfig[]): AlertRuleConfig[] {
  const d = (doc ?? {}) as Record<string, unknown>;
  if (d.alerts === undefined || d.alerts === null) return [];
  if (!Array.isArray(d.alerts))
    throw new ConfigError('alerts', 'must be a list of rules ({ kind, feature, server, threshold })');
  const ids = servers.map((s) => s.id);
  return d.alerts.map((raw, i) => {
    const at = `alerts[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(at, 'must be a mapping');
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r))
      if (!ALERT_KEYS.has(k))
        throw new ConfigError(`${at}.${k}`, 'unknown key (expected kind, feature, server, threshold)');
    const rule: AlertRuleConfig = {
      kind: str(r.kind, `${at}.kind`) as AlertRuleConfig['kind'],
      feature: r.feature === undefined || r.feature === null ? null : str(r.feature, `${at}.feature`),
      server: r.server === undefined || r.server === null ? null : str(r.server, `${at}.server`),
      threshold: r.threshold === undefined || r.threshold === null ? null : (r.threshold as number),
    };
    const bad = checkAlertRule(rule, ids);
    if (bad) throw new ConfigError(`${at}.${bad[0]}`, bad[1]);
    return rule;
  });
}
