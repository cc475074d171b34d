/**
 * Security point 8: the deployment report broke past 100,000 usage rows (500, and it stayed broken, since history
 * only grows). Its usage section asked the usage query for one row per month, server and feature under the
 * interactive row cap (100,000: TooManyRowsError), then sent every (server, feature) key back as one list.
 * Now the section is aggregated in SQL over the whole window with no row cap and no key list.
 */
import { sql } from 'drizzle-orm';
import { startTestApp, type TestApp } from '../helpers/app';
import { historyServer, TestClock } from '../helpers/history';
import { storeDrivers } from '../helpers/store';

const FEATURES = 100_001;

describe.each(storeDrivers())('deployment report with more than 100,000 usage rows on %s', (driver) => {
  let t: TestApp;
  const clock = new TestClock(Date.UTC(2026, 1, 1, 2, 0));

  beforeAll(async () => {
    t = await startTestApp({
      driver,
      servers: [historyServer('eda', { type: 'ingest', address: undefined })],
      build: { now: clock.now },
    });
    // One hour of one user on each of 100,001 features on 2026-01-10, written in bulk as the history writer's
    // rollups would hold it (usage_daily per user, usage_daily_totals with the users bitmap).
    const db = t.app.services.store.db;
    await db.execute(sql`INSERT INTO usage_users (username) VALUES ('alice')`);
    await db.execute(sql`
      INSERT INTO usage_daily (day, server_id, feature, version, username, sessions_started, sessions_carried, license_seconds, first_at, last_at)
      SELECT '2026-01-10T00:00:00Z', 'eda', 'F' || lpad(g::text, 6, '0'), '', 'alice', 1, 0, 3600, '2026-01-10T08:00:00Z', '2026-01-10T09:00:00Z'
      FROM generate_series(1, ${FEATURES}::int) g`);
    await db.execute(sql`
      INSERT INTO usage_daily_totals (day, server_id, feature, version, sessions_started, sessions_carried, license_seconds, first_at, last_at, users)
      SELECT day, server_id, feature, version, sessions_started, sessions_carried, license_seconds, first_at, last_at,
             set_bit(repeat('0', (SELECT max(id) + 1 FROM usage_users))::varbit, (SELECT id FROM usage_users WHERE username = 'alice'), 1)
      FROM usage_daily`);
  }, 120_000);
  afterAll(() => t?.close());

  test('GET /license/report answers 200 with every row, twice', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await t.get('/license/report');
      expect(res.status).toBe(200);
      const report = (await res.json()) as { usage: Array<Record<string, unknown>>; period: unknown };
      expect(report.period).toEqual({ from: '2025-03-01T00:00:00.000Z', to: '2026-02-01T02:00:00.000Z' });
      expect(report.usage).toHaveLength(FEATURES);
      expect(report.usage[0]).toEqual({
        month: '2026-01',
        server: 'eda',
        feature: 'F000001',
        sessions: 1,
        licenseHours: 1,
        peakInUse: 0,
        distinctUsers: 1,
        issued: null,
      });
      expect(report.usage[FEATURES - 1]).toEqual({
        month: '2026-01',
        server: 'eda',
        feature: 'F100001',
        sessions: 1,
        licenseHours: 1,
        peakInUse: 0,
        distinctUsers: 1,
        issued: null,
      });
      expect(report.usage.reduce((n, u) => n + (u.licenseHours as number), 0)).toBe(FEATURES);
    }
  }, 180_000);
});
