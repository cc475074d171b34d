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
  /** simulator: the seed that makes it deterministic. */
  seed?: number;
  /** IANA zone the server prints start times in (default: the process zone). */
  timeZone?: string;
  pollIntervalSeconds: number;
  timeoutSeconds: number;
  /** Oldest snapshot a request may be served (default 5 s). */
  maxAgeSeconds: number;
  /** Bytes read from a command or file before giving up (default 64 MiB). */
  maxOutputBytes: number;
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
  graphiql: boolean;
}
