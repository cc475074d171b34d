/**
 * Abuse suite: each abusive request against the real app (port 0, real store) is rejected with its specific
 * status and code, carries the request id, and leaks nothing; legitimate large documents still pass.
 * Limits and codes: src/graphql/limits.ts, src/http/limits.ts.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Writable } from 'stream';
import pino from 'pino';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  parse,
  specifiedRules,
  typeFromAST,
  validate,
  type GraphQLInputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { loadLimits } from '../../src/config/load';
import { DEFAULT_GRAPHQL_LIMITS, DEFAULT_HTTP_LIMITS, DEFAULT_INGEST_LIMITS } from '../../src/config/types';
import { armorValidationRules, checkDocumentSize, operationComplexity } from '../../src/graphql/limits';
import { getSchema } from '../../src/graphql/schema';
import { LICENSE_SUMMARY_DOCUMENT } from '../../src/http/report.routes';
import { startTestApp, type TestApp } from '../helpers/app';

const REPORT_DOC = fs.readFileSync(path.join(__dirname, '../operations/report.graphql'), 'utf8');
/** The LicenseReport operation alone (the largest document the project sends). */
const FULL_REPORT = REPORT_DOC.slice(REPORT_DOC.indexOf('query LicenseReport'), REPORT_DOC.indexOf('query Feature('));
/** The body of the full report's selection, for aliasing it. */
const FULL_SELECTION = FULL_REPORT.slice(
  FULL_REPORT.indexOf('licenseReport(filter: $filter)') + 'licenseReport(filter: $filter)'.length,
)
  .trim()
  .replace(/\}$/, '');

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

async function http(t: TestApp, pathname: string, init: RequestInit & { token?: string | null } = {}): Promise<Res> {
  const headers = new Headers(init.headers);
  const token = init.token === undefined ? t.adminToken : init.token;
  if (token) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(`${t.url}${pathname}`, { ...init, headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, headers: res.headers, body };
}

const gql = (t: TestApp, query: string, variables?: Record<string, unknown>, token?: string | null) =>
  http(t, '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
    token,
  });

/** Rejected with this status and code; the request id is in the header and in every error; nothing internal leaks. */
function expectRejected(
  res: Res,
  status: number,
  code: string,
  limit?: string,
): { message: string; extensions: Record<string, any> } {
  expect({ status: res.status, code: res.body?.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  const e = res.body.errors[0];
  if (limit) expect(e.extensions.limit).toBe(limit);
  const id = res.headers.get('x-request-id');
  expect(id).toBeTruthy();
  for (const err of res.body.errors) expect(err.extensions.requestId).toBe(id);
  expect(JSON.stringify(res.body)).not.toMatch(/stacktrace|node_modules|\bat .*\.(js|ts):\d+/);
  expect(res.body.data ?? null).toBeNull();
  return e;
}

function capture() {
  const lines: any[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

test('limits come from LICENSEGRAPH_* variables, with defaults, and a bad value names its variable', () => {
  expect(loadLimits({})).toEqual({
    graphqlLimits: DEFAULT_GRAPHQL_LIMITS,
    httpLimits: DEFAULT_HTTP_LIMITS,
    ingestLimits: DEFAULT_INGEST_LIMITS,
  });
  const l = loadLimits({
    LICENSEGRAPH_MAX_DEPTH: '8',
    LICENSEGRAPH_RATE_LIMIT_MAX: '0',
    LICENSEGRAPH_BODY_LIMIT_BYTES: '',
  });
  expect(l.graphqlLimits.maxDepth).toBe(8);
  expect(l.httpLimits.rateLimitMax).toBe(0);
  expect(l.httpLimits.bodyLimitBytes).toBe(1024 * 1024);
  expect(() => loadLimits({ LICENSEGRAPH_MAX_DEPTH: 'deep' })).toThrow(
    'Invalid configuration LICENSEGRAPH_MAX_DEPTH: must be a whole number from 2 to 100',
  );
  expect(() => loadLimits({ LICENSEGRAPH_RATE_LIMIT_WINDOW_SECONDS: '0' })).toThrow(
    'Invalid configuration LICENSEGRAPH_RATE_LIMIT_WINDOW_SECONDS: must be a whole number from 1 to 86400',
  );
  expect(() => loadLimits({ LICENSEGRAPH_MAX_TOKENS: '1.5' })).toThrow(/LICENSEGRAPH_MAX_TOKENS/);
});

/** A value for a required input type (required fields filled in, optional ones left out). */
function sample(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return sample(type.ofType);
  if (isListType(type)) return [sample(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0].value;
  if (isInputObjectType(type)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(type.getFields())) if (isNonNullType(f.type)) out[f.name] = sample(f.type);
    return out;
  }
  const byName: Record<string, unknown> = {
    String: 'x',
    ID: '00000000-0000-0000-0000-000000000000',
    Int: 1,
    Float: 1,
    Boolean: true,
    DateTime: '2026-01-20T10:30:00Z',
  };
  return byName[getNamedType(type).name] ?? 'x';
}

function sampleVariables(schema: GraphQLSchema, op: OperationDefinitionNode): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const v of op.variableDefinitions ?? []) {
    const type = typeFromAST(schema, v.type as never) as GraphQLInputType | undefined;
    if (type && isNonNullType(type) && !v.defaultValue) out[v.variable.name.value] = sample(type);
  }
  return out;
}

test('every document the project sends passes every limit (test/operations, REST)', async () => {
  const schema = await getSchema();
  const dir = path.join(__dirname, '../operations');
  const docs: Array<[string, string]> = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]);
  docs.push(['REST LicenseSummary', LICENSE_SUMMARY_DOCUMENT]);
  const limits = DEFAULT_GRAPHQL_LIMITS;
  let checked = 0;
  const costs: string[] = [];
  for (const [name, text] of docs) {
    expect([name, checkDocumentSize(text, limits)]).toEqual([name, null]);
    const doc = parse(text);
    const fragments = doc.definitions.filter((d) => d.kind === 'FragmentDefinition');
    for (const op of doc.definitions) {
      if (op.kind !== 'OperationDefinition') continue;
      const single = { ...doc, definitions: [op, ...fragments] };
      const errors = validate(schema, single, [...specifiedRules, ...armorValidationRules(limits)]);
      expect([name, op.name?.value, errors.map((e) => e.message)]).toEqual([name, op.name?.value, []]);
      const cost = operationComplexity(schema, single, sampleVariables(schema, op));
      expect([name, op.name?.value, cost <= limits.maxComplexity]).toEqual([name, op.name?.value, true]);
      costs.push(`${op.name?.value}=${cost}`);
      checked++;
    }
  }
  expect(checked).toBeGreaterThanOrEqual(10);
  if (process.env.SHOW_COSTS) console.log(costs.join(' '));
});

describe('query limits (defaults)', () => {
  let t: TestApp;
  const log = capture();
  beforeAll(async () => {
    t = await startTestApp({ build: { logger: log.logger } });
  });
  afterAll(() => t.close());

  test('legitimate large documents pass: the full report, three aliased full reports, the REST report, introspection', async () => {
    const full = await gql(t, FULL_REPORT);
    expect(full.status).toBe(200);
    expect(full.body.errors).toBeUndefined();
    expect(full.body.data.licenseReport.summaryByFeature.length).toBeGreaterThanOrEqual(20);
    const three = await gql(
      t,
      `query Three($filter: ReportFilter, $checkouts: CheckoutFilter) { a: licenseReport(filter: $filter) ${FULL_SELECTION} b: licenseReport(filter: $filter) ${FULL_SELECTION} c: licenseReport(filter: $filter) ${FULL_SELECTION} }`,
    );
    expect(three.status).toBe(200);
    expect(three.body.errors).toBeUndefined();
    const rest = await http(t, '/api/licenses/report');
    expect(rest.status).toBe(200);
    expect(rest.body.summaryByFeature.length).toBeGreaterThanOrEqual(20);
    const { getIntrospectionQuery } = await import('graphql');
    const intro = await gql(
      t,
      getIntrospectionQuery({
        descriptions: true,
        specifiedByUrl: true,
        directiveIsRepeatable: true,
        schemaDescription: true,
        inputValueDeprecation: true,
      }),
    );
    expect(intro.status).toBe(200);
    expect(intro.body.data.__schema.queryType.name).toBe('Query');
    expect(LICENSE_SUMMARY_DOCUMENT).toContain('licenseReport');
  });

  test('deep: nesting past maxDepth (6) is QUERY_LIMIT_EXCEEDED / maxDepth', async () => {
    const deep = '{ __type(name: "Report") { fields { type { ofType { ofType { ofType { ofType { name } } } } } } } }';
    const e = expectRejected(await gql(t, deep), 400, 'QUERY_LIMIT_EXCEEDED', 'maxDepth');
    expect(e.message).toBe('Query depth limit of 6 exceeded, found 8.');
    expect(e.extensions).toMatchObject({ max: 6, actual: 8 });
  });

  test('wide: a huge selection under a list is QUERY_LIMIT_EXCEEDED / maxComplexity', async () => {
    const fields = Array.from(
      { length: 30 },
      () => 'username hostname display version serverInfo handle count startTime startedAt linger',
    ).join(' ');
    const e = expectRejected(
      await gql(t, `{ licenseReport { summaryByFeature { checkouts { ${fields} } } } }`),
      400,
      'QUERY_LIMIT_EXCEEDED',
      'maxComplexity',
    );
    expect(e.extensions.max).toBe(50000);
    expect(e.extensions.actual).toBeGreaterThan(50000);
    expect(e.message).toMatch(/^Query cost \d+ exceeds the limit of 50000/);
  });

  test('list cost: four aliased full reports are over maxComplexity; the cost follows the variables', async () => {
    const four = ['a', 'b', 'c', 'd'].map((a) => `${a}: licenseReport(filter: $filter) ${FULL_SELECTION}`).join(' ');
    const e = expectRejected(
      await gql(t, `query Four($filter: ReportFilter, $checkouts: CheckoutFilter) { ${four} }`),
      400,
      'QUERY_LIMIT_EXCEEDED',
      'maxComplexity',
    );
    expect(e.extensions.actual).toBeGreaterThan(4 * 14000);
    // the same document costs less when a variable skips the checkouts
    const selection =
      '{ summaryByFeature { info { name issued used free } checkouts @include(if: $withCheckouts) { username hostname display version serverInfo handle count startTime startedAt linger pid } } }';
    const doc = `query Q($withCheckouts: Boolean!) { ${['a', 'b', 'c', 'd', 'e', 'f'].map((a) => `${a}: licenseReport ${selection}`).join(' ')} }`;
    expectRejected(await gql(t, doc, { withCheckouts: true }), 400, 'QUERY_LIMIT_EXCEEDED', 'maxComplexity');
    const cheap = await gql(t, doc, { withCheckouts: false });
    expect(cheap.status).toBe(200);
    expect(cheap.body.errors).toBeUndefined();
  });

  test('aliased: 16 aliases is QUERY_LIMIT_EXCEEDED / maxAliases', async () => {
    const q = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: licenseReport { valid }`).join(' ')} }`;
    const e = expectRejected(await gql(t, q), 400, 'QUERY_LIMIT_EXCEEDED', 'maxAliases');
    expect(e.message).toBe('Aliases limit of 15 exceeded, found 16.');
    const ok = await gql(t, `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: licenseReport { valid }`).join(' ')} }`);
    expect(ok.status).toBe(200);
  });

  test('directive flood: 51 directives is QUERY_LIMIT_EXCEEDED / maxDirectives', async () => {
    const q = `{ licenseReport { ${Array.from({ length: 51 }, () => 'valid @skip(if: false)').join(' ')} } }`;
    const e = expectRejected(await gql(t, q), 400, 'QUERY_LIMIT_EXCEEDED', 'maxDirectives');
    expect(e.message).toBe('Directives limit of 50 exceeded, found 51.');
  });

  test('fragment bomb: fragments that double at each level are QUERY_LIMIT_EXCEEDED / maxCost', async () => {
    const levels = ['fragment F0 on Report { valid stale fetchedAt }'];
    for (let i = 1; i <= 10; i++) levels.push(`fragment F${i} on Report { ...F${i - 1} ...F${i - 1} }`);
    const q = `{ licenseReport { ...F10 } } ${levels.join(' ')}`;
    const e = expectRejected(await gql(t, q), 400, 'QUERY_LIMIT_EXCEEDED', 'maxCost');
    expect(e.message).toMatch(/^Query Cost limit of 5000 exceeded, found \d+/);
  });

  test('fragment cycle: GRAPHQL_VALIDATION_FAILED from graphql-js, and the server stays up', async () => {
    const q = '{ licenseReport { ...A } } fragment A on Report { valid ...B } fragment B on Report { stale ...A }';
    const e = expectRejected(await gql(t, q), 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(e.message).toMatch(/Cannot spread fragment "[AB]" within itself/);
    expect((await gql(t, '{ licenseReport { valid } }')).status).toBe(200);
  });

  test('huge document: over maxCharacters (20000) is rejected before parsing, by POST and by GET', async () => {
    const big = `# ${'x'.repeat(25_000)}\n{ licenseReport { valid } }`;
    const e = expectRejected(await gql(t, big), 400, 'QUERY_LIMIT_EXCEEDED', 'maxCharacters');
    expect(e.extensions).toMatchObject({ max: 20000, actual: big.length });
    // by GET, Node's header size limit (16 KiB) refuses such a URL first
    const get = await http(t, `/graphql?query=${encodeURIComponent(`# ${'y'.repeat(21_000)}\n{ __typename }`)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(431);
  });

  test('huge document: over maxTokens (1000) is rejected before parsing', async () => {
    const q = `{ licenseReport { ${Array.from({ length: 1100 }, () => 'valid').join(' ')} } }`;
    expect(q.length).toBeLessThan(20000);
    const e = expectRejected(await gql(t, q), 400, 'QUERY_LIMIT_EXCEEDED', 'maxTokens');
    expect(e.message).toBe('Token limit of 1000 exceeded');
  });

  test('batched HTTP request: BAD_REQUEST (batching is off)', async () => {
    const res = await http(t, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]),
    });
    const e = expectRejected(res, 400, 'BAD_REQUEST');
    expect(e.message).toMatch(/batching/i);
  });

  test('CSRF: a simple POST (text/plain) or a GET without a preflight header is BAD_REQUEST; with one it runs', async () => {
    const post = await http(t, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(expectRejected(post, 400, 'BAD_REQUEST').message).toMatch(/Cross-Site Request Forgery/);
    const form = await http(t, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'query=%7B__typename%7D',
    });
    expect([400, 415]).toContain(form.status);
    const get = await http(t, `/graphql?query=${encodeURIComponent('{ licenseReport { valid } }')}`);
    expect(expectRejected(get, 400, 'BAD_REQUEST').message).toMatch(/Cross-Site Request Forgery/);
    const ok = await http(t, `/graphql?query=${encodeURIComponent('{ licenseReport { valid } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.data.licenseReport.valid).toBe(true);
  });

  test('oversize body: 413 PAYLOAD_TOO_LARGE as JSON, on GraphQL and REST paths', async () => {
    const body = JSON.stringify({ query: '{ __typename }', variables: { pad: 'z'.repeat(1_100_000) } });
    const e = expectRejected(
      await http(t, '/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
      413,
      'PAYLOAD_TOO_LARGE',
    );
    expect(e.message).toBe('Request body is larger than the limit of 1048576 bytes');
    const rest = await http(t, '/api/licenses/report', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect([404, 413]).toContain(rest.status);
  });

  test('malformed JSON: 400 BAD_REQUEST without echoing the body', async () => {
    const res = await http(t, '/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": "s3cr3t-token-in-body',
    });
    const e = expectRejected(res, 400, 'BAD_REQUEST');
    expect(e.message).toBe('Request body is not valid JSON');
    expect(JSON.stringify(res.body)).not.toContain('s3cr3t');
  });

  test('validation errors name the argument and the rule, never the value', async () => {
    const q =
      'query Q($c: CheckoutFilter, $f: ReportFilter) { licenseReport(filter: $f) { summaryByFeature { checkouts(filter: $c) { username } } } }';
    const date = await gql(t, q, { c: { startedAfter: 's3cr3t-value' } });
    expectRejected(date, 400, 'BAD_USER_INPUT');
    expect(date.body.errors[0].message).toBe(
      'Variable "$c" got an invalid value at "c.startedAfter"; DateTime must be an ISO-8601 date-time with a zone, e.g. 2026-01-20T10:30:00Z',
    );
    const str = await gql(t, q, { f: { servers: [{ s3cr3t: 1 }] } });
    expectRejected(str, 400, 'BAD_USER_INPUT');
    expect(str.body.errors[0].message).toBe(
      'Variable "$f" got an invalid value at "f.servers[0]"; String cannot represent a non string value.',
    );
    const missing = await gql(t, 'query Q($n: String!) { feature(name: $n) { valid } }', {});
    expect(expectRejected(missing, 400, 'BAD_USER_INPUT').message).toBe(
      'Variable "$n" of required type "String!" was not provided.',
    );
    const rule = await gql(t, q, { f: { servers: ['Not A Server s3cr3t'] } });
    expect(rule.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['filter.servers'] });
    expect(rule.body.errors[0].message).not.toContain('s3cr3t');
    const lit = await gql(
      t,
      '{ licenseReport { summaryByFeature { checkouts(filter: { startedAfter: "s3cr3t" }) { username } } } }',
    );
    expect(lit.body.errors[0].message).toContain('DateTime');
    expect(lit.body.errors[0].message).not.toContain('s3cr3t');
  });

  test('suggestions are shown while introspection is on', async () => {
    const res = await gql(t, '{ licenseReport { vaild } }');
    expect(res.body.errors[0].message).toContain('Did you mean "valid"?');
  });

  test('unexpected errors: INTERNAL_SERVER_ERROR with the request id, no internals; the original is logged with the id', async () => {
    const snapshots = t.app.services.snapshots;
    const original = snapshots.get.bind(snapshots);
    snapshots.get = async () => {
      throw new Error('ECONNRESET at /opt/secret/path (internal detail)');
    };
    try {
      // a document of its own: a response cached earlier would answer without reading the servers
      const res = await gql(t, '{ licenseReport { fetchedAt stale valid } }');
      expect(res.status).toBe(200);
      const e = res.body.errors[0];
      expect(e).toMatchObject({
        message: 'Internal server error',
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: res.headers.get('x-request-id') },
      });
      expect(JSON.stringify(res.body)).not.toContain('secret');
      const logged = log.lines.find((l) => l.requestId === e.extensions.requestId);
      expect(logged).toBeDefined();
      expect(JSON.stringify(logged)).toContain('ECONNRESET at /opt/secret/path');
    } finally {
      snapshots.get = original;
    }
  });

  test('unexpected errors during authentication (context): masked with the request id on GraphQL and REST, logged', async () => {
    const auth = t.app.services.auth;
    const original = auth.authenticate.bind(auth);
    auth.authenticate = async () => {
      throw new Error('store unreachable: password=hunter2');
    };
    try {
      const res = await gql(t, '{ licenseReport { valid } }', undefined, 'lg_whatever');
      const e = expectRejected(res, 500, 'INTERNAL_SERVER_ERROR');
      expect(e.message).toBe('Internal server error');
      expect(JSON.stringify(res.body)).not.toContain('hunter2');
      expect(JSON.stringify(log.lines.find((l) => l.requestId === e.extensions.requestId))).toContain('hunter2');
      const rest = await http(t, '/api/licenses/report', {
        token: 'lg_whatever',
        headers: { 'x-request-id': 'trace-abc-123' },
      });
      expect(rest.status).toBe(500);
      expect(rest.headers.get('x-request-id')).toBe('trace-abc-123');
      expect(rest.body).toEqual({
        error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error', requestId: 'trace-abc-123' },
      });
      expect(JSON.stringify(log.lines.find((l) => l.requestId === 'trace-abc-123'))).toContain('hunter2');
    } finally {
      auth.authenticate = original;
    }
  });

  test('an unauthenticated request carries the request id too', async () => {
    expectRejected(await gql(t, '{ licenseReport { valid } }', undefined, null), 401, 'UNAUTHENTICATED');
  });

  test('timeouts are set on the HTTP server', () => {
    const server = t.app.fastify.server;
    expect(server.requestTimeout).toBe(30_000);
    expect(server.keepAliveTimeout).toBe(72_000);
    expect(server.timeout).toBe(120_000);
  });
});

describe('introspection off', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: { introspection: false } });
  });
  afterAll(() => t.close());

  test('__schema and __type are GRAPHQL_VALIDATION_FAILED', async () => {
    const e = expectRejected(await gql(t, '{ __schema { types { name } } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(e.message).toMatch(/introspection is not allowed/i);
    expectRejected(await gql(t, '{ __type(name: "Report") { name } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
  });

  test('field suggestions are hidden (validation and variables)', async () => {
    const e = expectRejected(await gql(t, '{ licenseReport { vaild } }'), 400, 'GRAPHQL_VALIDATION_FAILED');
    expect(e.message).toBe('Cannot query field "vaild" on type "Report".');
    const arg = await gql(t, '{ licenseReport(filtr: {}) { valid } }');
    expect(arg.body.errors[0].message).not.toMatch(/Did you mean/);
    const v = await gql(t, 'query Q($f: ReportFilter) { licenseReport(filter: $f) { valid } }', {
      f: { serverz: ['a'] },
    });
    expect(v.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(v.body.errors[0].message).toContain('serverz');
    expect(v.body.errors[0].message).not.toMatch(/Did you mean/);
  });

  test('ordinary queries still run', async () => {
    const res = await gql(t, '{ licenseReport { valid } }');
    expect(res.status).toBe(200);
    expect(res.body.data.licenseReport.valid).toBe(true);
  });
});

describe('rate limit and connection timeout', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      config: { httpLimits: { rateLimitMax: 3, rateLimitWindowSeconds: 60, connectionTimeoutSeconds: 1 } },
    });
  });
  afterAll(() => t.close());

  // The budget is 3 per window. A token's first request counts against the client IP (1 of 3); once accepted, the
  // token has a budget of its own.
  test('per token: past its budget a token gets 429 RATE_LIMITED with Retry-After, on GraphQL and REST', async () => {
    for (let i = 0; i < 4; i++) expect((await gql(t, '{ licenseReport { valid } }')).status).toBe(200);
    const res = await gql(t, '{ licenseReport { valid } }');
    const e = expectRejected(res, 429, 'RATE_LIMITED');
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(60);
    expect(e.extensions.retryAfterSeconds).toBe(retry);
    expect(e.message).toMatch(/^Rate limit of 3 requests per 60 s exceeded/);
    const rest = await http(t, '/api/licenses/report');
    expect(rest.status).toBe(429);
    expect(rest.headers.get('retry-after')).toBeTruthy();
    expect(rest.body.error).toMatchObject({ code: 'RATE_LIMITED', requestId: rest.headers.get('x-request-id') });
  });

  test('another token has its own budget; health endpoints and static files are exempt', async () => {
    const other = await t.tokenFor('VIEWER');
    // first request: the IP's 2nd of 3; then the token's own
    for (let i = 0; i < 3; i++)
      expect((await gql(t, '{ licenseReport { valid } }', undefined, other)).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await http(t, '/healthz')).status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await http(t, '/readyz')).status).not.toBe(429);
  });

  test('without a token, or with tokens never accepted, the client IP is the key: invented tokens buy no budget', async () => {
    const codes: number[] = [];
    for (const token of ['lg_invented_1', 'lg_invented_2', null, 'lg_invented_3'])
      codes.push((await gql(t, '{ __typename }', undefined, token)).status);
    expect(codes).toEqual([401, 429, 429, 429]);
  });

  test('an idle connection is closed after connectionTimeout', async () => {
    const socket = net.connect(Number(new URL(t.url).port), '127.0.0.1');
    const started = Date.now();
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // not before the timeout; that it is closed at all (rather than never) is bounded by the test's timeout, not
    // by a stopwatch that a busy machine's late timers would break
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });
});
