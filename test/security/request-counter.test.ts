/**
 * Security point 9: rejected requests inflated the deployment report's request counter (401 and 429 were counted),
 * so anyone without a token could make an installation look busier to its vendor. The report counts requests the
 * installation served; rejected ones are not.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClock } from '../helpers/history';
import { storeDrivers } from '../helpers/store';

describe.each(storeDrivers())('the deployment report counts served requests only, on %s', (driver) => {
  let t: TestApp;
  const clock = new TestClock(Date.UTC(2026, 2, 10, 12, 0));

  beforeAll(async () => {
    t = await startTestApp({
      driver,
      config: { httpLimits: { rateLimitMax: 5, rateLimitWindowSeconds: 60 } },
      build: { now: clock.now },
    });
  });
  afterAll(() => t?.close());

  /** requestCount of March 2026 as the report says (the report request itself is counted after it is answered). */
  const counted = async (): Promise<number> => {
    await t.app.services.requests!.flush();
    const rows = await t.app.services.store.counters.listBuckets({ from: '2026-03', to: '2026-03' });
    return rows[0]?.requestCount ?? 0;
  };
  const gql = (token: string | null) =>
    fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: '{"query":"{ me { username } }"}',
    });

  test('N rejected requests (401 unauthenticated, 403 forbidden, 429 rate limited) leave the counter unchanged; served ones count', async () => {
    expect(await counted()).toBe(0);
    const uploader = await t.tokenFor('UPLOADER');
    const viewer = await t.tokenFor('VIEWER');
    // One served request (the token's first one counts against this IP's budget of 5, like every unknown token).
    expect((await gql(uploader)).status).toBe(200);
    expect(await counted()).toBe(1);

    // Rejected: 403 (a VIEWER asking for the deployment report), then 401 without a valid token (GraphQL and REST)
    // until this IP's budget is spent, then 429.
    const rejected: number[] = [(await t.get('/license/report', viewer)).status];
    for (let i = 0; i < 3; i++) rejected.push((await gql(null)).status);
    rejected.push((await gql('lg_' + 'x'.repeat(43))).status);
    rejected.push((await t.get('/api/licenses/report', null)).status);
    rejected.push((await t.get('/license/report', 'nope')).status);
    expect(rejected).toEqual([403, 401, 401, 401, 429, 429, 429]);
    expect(await counted()).toBe(1);

    // The accepted token has a budget of its own: served until it is spent, then 429s, which do not count.
    const more: number[] = [];
    for (let i = 0; i < 8; i++) more.push((await gql(uploader)).status);
    const served = more.filter((s) => s === 200).length;
    expect(more).toEqual([...Array(served).fill(200), ...Array(8 - served).fill(429)]);
    expect(served).toBeGreaterThanOrEqual(4);
    expect(await counted()).toBe(1 + served);

    // The report says the same (generated in-process: this IP's budget is spent).
    const report = await t.app.services.deploymentReports!.generate();
    expect(report.counters).toEqual({
      buckets: [{ bucket: '2026-03', requestCount: 1 + served }],
      totalRequests: 1 + served,
    });
  });
});
