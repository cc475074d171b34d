/**
 * Security issue point 6, "absurd times are trusted": pushed starts in 1970 or year 1 used to add ~500,000
 * license-hours each to usage and to the deployment report. A real server on port 0, a push to a server of type
 * ingest: the starts are flagged on the checkout (START_IMPLAUSIBLE, START_AFTER_CAPTURE) and history counts
 * them only from when they were observed.
 */
import { historyServer, TestClock } from '../helpers/history';
import { startTestApp, type TestApp } from '../helpers/app';

const T0 = Date.parse('2026-03-02T12:00:00Z');
const MIN = 60_000;

function summary(capturedAt: string, checkouts: Array<{ username: string; startedAt: string }>): string {
  return JSON.stringify({
    summaryByFeature: [
      {
        info: { name: 'FEAT_X', issued: 10, used: checkouts.length, free: 10 - checkouts.length },
        checkouts: checkouts.map((c, i) => ({
          username: c.username,
          hostname: 'ws',
          startTime: 'x',
          serverInfo: `lic/27000 ${i}`,
          startedAt: c.startedAt,
        })),
        valid: true,
      },
    ],
    valid: true,
    server: { fetchedAt: capturedAt },
  });
}

describe('absurd pushed start times', () => {
  let t: TestApp;
  let clock: TestClock;

  beforeAll(async () => {
    clock = new TestClock(T0);
    t = await startTestApp({
      servers: [historyServer('isolated', { type: 'ingest', address: undefined, pollIntervalSeconds: 60 })],
      build: { now: clock.now },
    });
  });
  afterAll(() => t?.close());

  const push = async (body: string) => {
    const token = await t.tokenFor('UPLOADER');
    const res = await fetch(`${t.url}/api/v1/ingest?server=isolated&format=json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(200);
    return res.json() as Promise<Record<string, unknown>>;
  };

  test('1970, year 1 and future starts are flagged and add no license-hours', async () => {
    const bad = [
      { username: 'epoch', startedAt: '1970-01-01T00:00:00Z' },
      { username: 'year1', startedAt: '0001-01-01T00:00:00Z' },
      { username: 'future', startedAt: '2030-01-01T00:00:00Z' },
      { username: 'honest', startedAt: new Date(T0 - 30_000).toISOString() },
    ];
    expect(await push(summary(new Date(T0).toISOString(), bad))).toMatchObject({ checkouts: 4, sessionsOpened: 4 });

    const live = await t.raw(
      '{ feature(name: "FEAT_X", server: "isolated") { checkouts { username startedAt issues { code } } } }',
    );
    expect(live.errors).toBeUndefined();
    expect(live.data.feature.checkouts).toEqual([
      { username: 'epoch', startedAt: '1970-01-01T00:00:00.000Z', issues: [{ code: 'START_IMPLAUSIBLE' }] },
      { username: 'year1', startedAt: '0001-01-01T00:00:00.000Z', issues: [{ code: 'START_IMPLAUSIBLE' }] },
      { username: 'future', startedAt: '2030-01-01T00:00:00.000Z', issues: [{ code: 'START_AFTER_CAPTURE' }] },
      { username: 'honest', startedAt: new Date(T0 - 30_000).toISOString(), issues: [] },
    ]);

    // ten minutes later every checkout is gone: each was held from its observation (T0) to the midpoint (T0 + 5 min)
    clock.set(T0 + 10 * MIN);
    expect(await push(summary(new Date(T0 + 10 * MIN).toISOString(), []))).toMatchObject({ sessionsClosed: 4 });

    const usage = await t.raw('{ usage(groupBy: [USER], filter: { servers: ["isolated"] }) { user licenseSeconds } }');
    expect(usage.errors).toBeUndefined();
    expect(usage.data.usage).toEqual([
      { user: 'epoch', licenseSeconds: 300 },
      { user: 'future', licenseSeconds: 300 },
      { user: 'honest', licenseSeconds: 330 }, // within one poll interval of the first observation: its own start
      { user: 'year1', licenseSeconds: 300 },
    ]);

    const res = await fetch(`${t.url}/license/report?from=2026-01-01T00:00:00Z&to=2026-04-01T00:00:00Z`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect(res.status).toBe(200);
    const report = (await res.json()) as {
      usage: Array<{ serverId?: string; server?: string; feature: string; licenseHours: number; sessions: number }>;
    };
    const rows = report.usage.filter((u) => u.feature === 'FEAT_X');
    expect(rows.reduce((n, u) => n + u.licenseHours, 0)).toBeCloseTo((3 * 300 + 330) / 3600, 2); // the report rounds hours to 3 decimals (was ~500,000 h each)
  });
});
