/**
 * Authentication on every face: {no header, wrong scheme, garbage, unknown token, expired, revoked, VIEWER, UPLOADER,
 * ADMIN} x {GraphQL query, GraphQL admin mutation, REST report, WebSocket subscribe}. Every cell asserted; every kind of
 * bad credential gets the same answer, so nothing tells which it was.
 */
import WebSocket from 'ws';
import { startTestApp, type TestApp } from '../helpers/app';

const DAY = 86_400_000;

type Cred = { name: string; header: string | null; valid: 'ADMIN' | 'VIEWER' | 'UPLOADER' | null };

function wsInit(url: string, payload?: Record<string, unknown>): Promise<{ code?: number; type?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/graphql', 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) })));
    ws.on('message', (data) => {
      resolve({ type: (JSON.parse(String(data)) as { type: string }).type });
      ws.close();
    });
    ws.on('close', (code) => resolve({ code }));
    ws.on('error', reject);
  });
}

describe('authentication matrix', () => {
  let t: TestApp;
  let clock = Date.now();
  const creds: Cred[] = [];
  beforeAll(async () => {
    t = await startTestApp({ build: { authOptions: { cacheTtlMs: 0, now: () => clock } } });
    const auth = t.app.services.auth;
    const mk = async (username: string, role: 'ADMIN' | 'VIEWER' | 'UPLOADER', expiresInDays?: number) => {
      const u = await auth.createUser({ username, role });
      return auth.issueToken({ userId: u.id, expiresInDays: expiresInDays ?? null });
    };
    const expiring = await mk('soon-gone', 'VIEWER', 1);
    const revoked = await mk('revoked-user', 'VIEWER');
    await auth.revokeToken(revoked.info.id, { userId: 'x', username: 'admin', role: 'ADMIN', tokenId: 'x' });
    const viewer = await mk('viewer1', 'VIEWER');
    const uploader = await mk('uploader1', 'UPLOADER');
    clock = Date.now() + 2 * DAY; // the 1-day token has expired; the others have no expiry
    creds.push(
      { name: 'no header', header: null, valid: null },
      { name: 'wrong scheme', header: 'Basic YWRtaW46YWRtaW4=', valid: null },
      { name: 'garbage', header: 'Bearer not-a-token', valid: null },
      { name: 'unknown token', header: 'Bearer lg_' + 'A'.repeat(43), valid: null },
      { name: 'expired', header: `Bearer ${expiring.token}`, valid: null },
      { name: 'revoked', header: `Bearer ${revoked.token}`, valid: null },
      { name: 'VIEWER', header: `Bearer ${viewer.token}`, valid: 'VIEWER' },
      { name: 'UPLOADER', header: `Bearer ${uploader.token}`, valid: 'UPLOADER' },
      { name: 'ADMIN', header: `Bearer ${t.adminToken}`, valid: 'ADMIN' },
    );
  });
  afterAll(() => t.close());

  const gql = (header: string | null, query: string) =>
    fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(header ? { authorization: header } : {}) },
      body: JSON.stringify({ query }),
    }).then(async (r) => ({
      status: r.status,
      body: (await r.json()) as {
        data?: any;
        errors?: Array<{ message: string; extensions: Record<string, unknown> }>;
      },
    }));
  let n = 0;

  test('every cell', async () => {
    const refusals = new Set<string>();
    for (const c of creds) {
      // GraphQL query
      const q = await gql(c.header, '{ licenseServers { id } }');
      if (c.valid) {
        expect([c.name, q.status, q.body.data?.licenseServers]).toEqual([c.name, 200, [{ id: 'simulator' }]]);
      } else {
        expect([c.name, q.status, q.body.errors?.[0].extensions.code]).toEqual([c.name, 401, 'UNAUTHENTICATED']);
        refusals.add(`graphql:${q.body.errors![0].message}`);
      }
      // GraphQL admin mutation
      const m = await gql(c.header, `mutation { createUser(username: "made-${++n}", role: VIEWER) { username role } }`);
      if (c.valid === 'ADMIN')
        expect([c.name, m.status, m.body.data?.createUser]).toEqual([
          c.name,
          200,
          { username: `made-${n}`, role: 'VIEWER' },
        ]);
      else if (c.valid)
        expect([c.name, m.status, m.body.errors?.[0].extensions.code]).toEqual([c.name, 200, 'FORBIDDEN']);
      else expect([c.name, m.status, m.body.errors?.[0].extensions.code]).toEqual([c.name, 401, 'UNAUTHENTICATED']);
      // REST report
      const r = await fetch(`${t.url}/api/licenses/report`, { headers: c.header ? { authorization: c.header } : {} });
      const rb = (await r.json()) as any;
      if (c.valid)
        expect([c.name, r.status, typeof rb.valid, Array.isArray(rb.summaryByFeature)]).toEqual([
          c.name,
          200,
          'boolean',
          true,
        ]);
      else {
        expect([c.name, r.status, rb.error.code, r.headers.get('www-authenticate')]).toEqual([
          c.name,
          401,
          'UNAUTHENTICATED',
          'Bearer realm="licensegraph"',
        ]);
        refusals.add(`rest:${rb.error.message}`);
      }
      // WebSocket (connection_init payload)
      const w = await wsInit(t.url, c.header ? { Authorization: c.header } : undefined);
      if (c.valid) expect([c.name, w]).toEqual([c.name, { type: 'connection_ack' }]);
      else expect([c.name, w.code]).toEqual([c.name, c.header ? 4403 : 4401]);
    }
    // the same words for every bad credential (one GraphQL message, one REST message)
    expect([...refusals].filter((s) => s.startsWith('graphql:'))).toHaveLength(1);
    expect([...refusals].filter((s) => s.startsWith('rest:'))).toHaveLength(1);
  });

  test('the database holds no plain token', async () => {
    const { queryRows } = await import('../helpers/store');
    const { sql } = await import('drizzle-orm');
    const rows = await queryRows<Record<string, unknown>>(t.testStore.store, sql`SELECT * FROM access_tokens`);
    const dump = JSON.stringify(rows);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    for (const c of creds) if (c.header?.startsWith('Bearer lg_')) expect(dump).not.toContain(c.header.slice(7));
  });
});
