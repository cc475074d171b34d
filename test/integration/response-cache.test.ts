/**
 * The live-report response cache and compiled execution: repeated queries on an unchanged snapshot are served
 * from the cache; a new snapshot, another role, other variables, errors and database-backed fields are not.
 */
import { FeatureDocument, LicenseReportDocument, SmallDashboardDocument } from '../generated/graphql';
import { serverConfig, startTestApp, type TestApp } from '../helpers/app';
import { ManualClock } from '../helpers/clock';
import { checkout, feature, ScriptedSource, snapshot } from '../helpers/snapshots';

describe('response cache', () => {
  let t: TestApp;
  let src: ScriptedSource;
  let used = 1;
  beforeAll(async () => {
    src = new ScriptedSource('s1', () =>
      snapshot('s1', [
        feature(
          'F',
          10,
          used,
          Array.from({ length: used }, (_, i) => checkout(`u${i}`, 'h', { handle: String(i) })),
        ),
      ]),
    );
    t = await startTestApp({
      servers: [serverConfig('s1', { type: 'flexlm', maxAgeSeconds: 3600 })],
      sources: { s1: src },
    });
  });
  afterAll(() => t.close());

  const post = async (query: string, token = t.adminToken, variables?: unknown) => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return { cache: res.headers.get('x-cache'), body: (await res.json()) as any, status: res.status };
  };
  const DASH = '{ licenseReport { summaryByFeature { info { name issued used } } } }';

  test('a repeated query on an unchanged snapshot is a hit with the same bytes; a new snapshot is a miss', async () => {
    const first = await post(DASH); // no snapshot yet: executes (and fetches), nothing to key a cache entry on
    expect(first.cache).toBeNull();
    const a = await post(DASH);
    const b = await post(DASH);
    expect(a.cache).toBeNull();
    expect(b.cache).toBe('HIT');
    expect(b.body).toEqual(a.body);
    expect(b.body.data.licenseReport.summaryByFeature[0].info.used).toBe(1);
    used = 2;
    await t.app.services.snapshots.refresh('s1');
    const c = await post(DASH);
    expect(c.cache).toBeNull();
    expect(c.body.data.licenseReport.summaryByFeature[0].info.used).toBe(2);
    expect((await post(DASH)).cache).toBe('HIT');
  });

  test('roles and variables are part of the key', async () => {
    const viewer = await t.tokenFor('VIEWER');
    await post(DASH);
    expect((await post(DASH, viewer)).cache).toBeNull();
    expect((await post(DASH, viewer)).cache).toBe('HIT');
    const q = 'query($n: String!) { feature(name: $n) { info { name used } } }';
    expect((await post(q, t.adminToken, { n: 'F' })).body.data.feature.info.name).toBe('F');
    const other = await post(q, t.adminToken, { n: 'G' });
    expect(other.cache).toBeNull();
    expect(other.body.data.feature).toBeNull();
  });

  test('errors, mutations, user data and unauthenticated requests are never served from the cache', async () => {
    const bad = '{ licenseReport(filter: { servers: ["nope"] }) { valid } }';
    await post(bad);
    const again = await post(bad);
    expect(again.cache).toBeNull();
    expect(again.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    await post('{ me { username } }');
    expect((await post('{ me { username } }')).cache).toBeNull();
    await post(DASH);
    const anon = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: DASH }),
    });
    expect(anon.status).toBe(401);
    expect(t.app.responseCache.cacheable('mutation { revokeAccessToken(id: "x") { id } }')).toBe(false);
    expect(
      t.app.responseCache.cacheable('{ licenseReport { summaryByFeature { info { name } history { used } } } }'),
    ).toBe(false);
    expect(t.app.responseCache.cacheable('{ __schema { types { name } } }')).toBe(false);
    expect(t.app.responseCache.cacheable(DASH)).toBe(true);
  });

  test('typed documents go through compiled execution with the same results', async () => {
    const r = await t.gql(LicenseReportDocument, { checkouts: { usernames: ['u1'] } });
    expect(r.data!.licenseReport.summaryByFeature[0].checkouts.map((c) => c.username)).toEqual(['u1']);
    const bad = await t.gql(LicenseReportDocument, { checkouts: { usernames: [''] } });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['filter.usernames'] });
    expect((await t.gql(SmallDashboardDocument)).data!.licenseReport.summaryByFeature[0].info).toEqual({
      name: 'F',
      issued: 10,
      used: 2,
    });
    expect((await t.gql(FeatureDocument, { name: 'F' })).data!.feature!.info.free).toBe(8);
  });
});

test('exactly one source fetch per max-age window under 200 concurrent clients', async () => {
  const src = new ScriptedSource('s1', async () => {
    await new Promise((r) => setTimeout(r, 100));
    return snapshot('s1', [feature('F', 10, 0)]);
  });
  // The max-age window is measured on the app's clock, which moves only when the test says: bursts that take
  // longer than the window on a loaded machine stay inside it.
  const clock = new ManualClock();
  const t = await startTestApp({
    servers: [serverConfig('s1', { type: 'flexlm', maxAgeSeconds: 2 })],
    sources: { s1: src },
    build: { now: clock.now },
  });
  try {
    const burst = () => Promise.all(Array.from({ length: 200 }, () => t.gql(SmallDashboardDocument)));
    const first = await burst();
    expect(first.every((r) => r.status === 200 && r.data!.licenseReport.summaryByFeature.length === 1)).toBe(true);
    expect(src.calls).toBe(1);
    await burst(); // still inside the window
    expect(src.calls).toBe(1);
    clock.advance(1999); // the window is 2 s: not over yet
    expect((await t.gql(SmallDashboardDocument)).status).toBe(200);
    expect(src.calls).toBe(1);
    clock.advance(1); // the window passes
    await burst();
    expect(src.calls).toBe(2);
  } finally {
    await t.close();
  }
}, 90_000); // 600 requests: slow on a loaded machine, and no assertion here depends on how slow

test('compiled execution applies variable defaults and reports invalid variables like graphql-js', async () => {
  const t = await startTestApp({
    servers: [serverConfig('s1', { type: 'flexlm' })],
    sources: { s1: ScriptedSource.constant('s1', snapshot('s1', [feature('F', 10, 0)])) },
  });
  try {
    const withDefault =
      'query($inUse: Boolean! = false) { licenseReport(filter: { inUse: $inUse }) { summaryByFeature { info { name } } } }';
    const r = await t.raw(withDefault, {});
    expect(r.errors).toBeUndefined();
    expect(r.data.licenseReport.summaryByFeature).toEqual([{ info: { name: 'F' } }]);
    expect((await t.raw(withDefault, { inUse: true })).data.licenseReport.summaryByFeature).toEqual([]);
    const bad = await t.raw(withDefault, { inUse: 'yes' });
    expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].message).toContain('$inUse');
  } finally {
    await t.close();
  }
});
