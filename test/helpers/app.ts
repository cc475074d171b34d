/**
 * Start the real app on port 0 over a real store (in-memory PGlite unless told otherwise) and talk to it over
 * HTTP with typed documents from test/generated.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import pino from 'pino';
import { DEFAULT_SIMULATOR } from '../../src/config/load';
import type { AppConfig, ServerConfig } from '../../src/config/types';
import type { Role } from '../../src/domain/auth';
import { buildApp, type App, type BuildOptions } from '../../src/server';
import type { LicenseSource } from '../../src/sources/source';
import { createTestStore, type TestStore, type TestStoreDriver } from './store';

export interface TestApp {
  app: App;
  url: string;
  testStore: TestStore;
  /** An ADMIN token (bootstrap). */
  adminToken: string;
  tokenFor(role: Role, username?: string): Promise<string>;
  gql<R, V>(doc: TypedDocumentNode<R, V>, variables?: V, token?: string | null): Promise<GqlResponse<R>>;
  raw(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GqlResponse<any>>;
  get(path: string, token?: string | null, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export interface GqlResponse<R> {
  status: number;
  data: R | null | undefined;
  errors?: Array<{ message: string; extensions?: Record<string, any>; path?: Array<string | number> }>;
  headers: Headers;
}

export function testConfig(
  servers: ServerConfig[] = [{ ...DEFAULT_SIMULATOR }],
  extra: Partial<AppConfig> = {},
): AppConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    dataDir: ':memory:',
    servers,
    logLevel: process.env.TEST_LOG_LEVEL ?? 'silent',
    introspection: true,
    graphiql: true,
    ...extra,
  };
}

export function serverConfig(id: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  return { ...DEFAULT_SIMULATOR, id, label: id, ...extra };
}

export async function startTestApp(
  opts: {
    servers?: ServerConfig[];
    sources?: Record<string, LicenseSource>;
    config?: Partial<AppConfig>;
    driver?: TestStoreDriver;
    build?: Partial<BuildOptions>;
  } = {},
): Promise<TestApp> {
  const testStore = await createTestStore(opts.driver ?? 'pglite');
  const config = testConfig(opts.servers, opts.config);
  const app = await buildApp({
    config,
    store: testStore.store,
    sources: opts.sources,
    logger: pino({ level: config.logLevel }),
    ...opts.build,
  });
  const boot = await app.services.auth.bootstrapAdmin();
  if (!boot) throw new Error('bootstrap admin failed');
  const address = await app.fastify.listen({ port: 0, host: '127.0.0.1' });
  const url = address;
  let n = 0;
  const post = async (body: unknown, token?: string | null): Promise<GqlResponse<any>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const t = token === undefined ? boot.token : token;
    if (t) headers.authorization = `Bearer ${t}`;
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify(body) });
    const json = (await res.json()) as { data?: unknown; errors?: GqlResponse<unknown>['errors'] };
    return { status: res.status, data: json.data as any, errors: json.errors, headers: res.headers };
  };
  return {
    app,
    url,
    testStore,
    adminToken: boot.token,
    async tokenFor(role, username) {
      const name = username ?? `${role.toLowerCase()}-${++n}-${process.pid}`;
      const user = await app.services.auth.createUser({ username: name, role });
      return (await app.services.auth.issueToken({ userId: user.id })).token;
    },
    gql: (doc, variables, token) => post({ query: print(doc), variables }, token),
    raw: (query, variables, token) => post({ query, variables }, token),
    get: (path, token, headers = {}) => {
      const t = token === undefined ? boot.token : token;
      return fetch(`${url}${path}`, { headers: { ...(t ? { authorization: `Bearer ${t}` } : {}), ...headers } });
    },
    async close() {
      await app.close();
      await testStore.cleanup();
    },
  };
}
