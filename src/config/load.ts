/**
 * Configuration: environment variables (PORT, HOST, DATABASE_URL, LICENSEGRAPH_DATA_DIR, LICENSEGRAPH_CONFIG,
 * LOG_LEVEL, LICENSEGRAPH_INTROSPECTION, LICENSEGRAPH_GRAPHIQL) and an optional YAML file listing license servers.
 * Without a file the built-in simulator is the one server. Invalid configuration fails start-up with a message
 * naming the key.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { isValidTimeZone } from '../domain/time';
import type { SourceType } from '../domain/snapshot';
import type { AppConfig, ServerConfig } from './types';

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
const SERVER_KEYS = new Set(['id', 'label', 'type', 'address', 'binary', 'path', 'url', 'token', 'seed', 'timeZone', 'pollIntervalSeconds', 'timeoutSeconds', 'maxAgeSeconds', 'maxOutputBytes']);
/** Keys only some types take (the rest are common to all). */
const TYPE_KEYS: Record<SourceType, string[]> = {
  flexlm: ['address', 'binary'],
  rlm: ['address', 'binary'],
  'flexlm-file': ['path'],
  'rlm-file': ['path'],
  json: ['url', 'token'],
  simulator: ['seed'],
  ingest: ['token'],
};
const TYPE_SPECIFIC = new Set(Object.values(TYPE_KEYS).flat());

export const DEFAULT_SIMULATOR: ServerConfig = {
  id: 'simulator',
  label: 'Built-in simulator',
  type: 'simulator',
  seed: 20240120,
  pollIntervalSeconds: 5,
  timeoutSeconds: 10,
  maxAgeSeconds: 5,
  maxOutputBytes: 64 * 1024 * 1024,
};

function num(v: unknown, key: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ConfigError(key, `must be a number from ${min} to ${max}`);
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

export function parseServers(doc: unknown, baseDir: string): ServerConfig[] {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigError('servers', 'the file must be a YAML mapping with a "servers" list');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== 'servers') throw new ConfigError(k, 'unknown top-level key (expected "servers")');
  if (!Array.isArray(d.servers) || d.servers.length === 0) throw new ConfigError('servers', 'must be a non-empty list');
  const seen = new Set<string>();
  return d.servers.map((raw, i) => {
    const at = `servers[${i}]`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(at, 'must be a mapping');
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!SERVER_KEYS.has(k)) throw new ConfigError(`${at}.${k}`, 'unknown key');
    const id = str(r.id, `${at}.id`);
    if (!/^[a-z0-9-]+$/.test(id) || id.length > 64) throw new ConfigError(`${at}.id`, 'must match [a-z0-9-]+ (at most 64 characters)');
    if (seen.has(id)) throw new ConfigError(`${at}.id`, `duplicate id "${id}"`);
    seen.add(id);
    const type = str(r.type, `${at}.type`) as SourceType;
    if (!TYPES.includes(type)) throw new ConfigError(`${at}.type`, `must be one of ${TYPES.join(', ')}`);
    for (const k of Object.keys(r)) {
      if (TYPE_SPECIFIC.has(k) && !TYPE_KEYS[type].includes(k)) {
        const takes = TYPE_KEYS[type].length ? `type ${type} takes ${TYPE_KEYS[type].join(', ')}` : `type ${type} takes none of the type-specific keys`;
        throw new ConfigError(`${at}.${k}`, `not used by type ${type} (${takes})`);
      }
    }
    const s: ServerConfig = {
      id,
      label: r.label === undefined ? id : str(r.label, `${at}.label`),
      type,
      pollIntervalSeconds: r.pollIntervalSeconds === undefined ? (type === 'simulator' ? 5 : 60) : num(r.pollIntervalSeconds, `${at}.pollIntervalSeconds`, 1, 86400),
      timeoutSeconds: r.timeoutSeconds === undefined ? 10 : num(r.timeoutSeconds, `${at}.timeoutSeconds`, 0.1, 600),
      maxAgeSeconds: r.maxAgeSeconds === undefined ? 5 : num(r.maxAgeSeconds, `${at}.maxAgeSeconds`, 0, 86400),
      maxOutputBytes: r.maxOutputBytes === undefined ? 64 * 1024 * 1024 : num(r.maxOutputBytes, `${at}.maxOutputBytes`, 1024, 1024 * 1024 * 1024),
    };
    if (r.timeZone !== undefined) {
      s.timeZone = str(r.timeZone, `${at}.timeZone`);
      if (!isValidTimeZone(s.timeZone)) throw new ConfigError(`${at}.timeZone`, `unknown IANA time zone "${s.timeZone}"`);
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
      if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname) throw new ConfigError(`${at}.url`, 'must be an absolute http(s) URL with a host');
      if (r.token !== undefined) s.token = str(r.token, `${at}.token`);
    }
    if (type === 'simulator') s.seed = r.seed === undefined ? 20240120 : num(r.seed, `${at}.seed`, 0, 2 ** 32 - 1);
    return s;
  });
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const port = env.PORT === undefined || env.PORT === '' ? 4000 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('PORT', 'must be an integer from 0 to 65535');
  let servers: ServerConfig[] = [{ ...DEFAULT_SIMULATOR }];
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
  };
}
