/**
 * Security point 5: a failed push still replaced the live report. The snapshot was made the server's state before
 * the history transaction; when PostgreSQL rejected it (a NUL byte in a name, a start in the year -100), the report
 * showed the rejected data as valid.
 *
 * Now: what the store cannot hold is a 400 naming the field, before anything is written; then history is written,
 * then the state is published. When the history write fails anyway, the live report is unchanged and the client
 * gets an error: one outcome for both.
 */
import { sql } from 'drizzle-orm';
import { startTestApp, type TestApp } from '../helpers/app';
import { readFixture } from '../helpers/fixtures';
import { historyServer, TestClock } from '../helpers/history';
import { storeDrivers } from '../helpers/store';

// Without its "status on" line each push stands for the moment it arrives (the test clock), so pushing the same
// capture again is a new observation rather than a replay of the same instant.
const LMSTAT = readFixture('lmstat/mjtrangoni__flexlm_exporter__lmstat_app2.txt').replace(
  /^Flexible License Manager status on .*\r?\n/m,
  '',
);
const LIVE =
  'query { licenseReport(filter: { servers: ["isolated"] }) { summaryByFeature { info { name issued used } checkouts { username hostname startTime } } } }';

describe.each(storeDrivers())('a push is recorded and published, or neither, on %s', (driver) => {
  let t: TestApp;
  let uploader: string;
  let before: unknown;
  const clock = new TestClock(Date.UTC(2017, 9, 20, 17, 5));

  const push = (body: string, format = 'lmstat') =>
    fetch(`${t.url}/api/v1/ingest?server=isolated&format=${format}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader}`, 'content-type': 'text/plain' },
      body,
    });
  const live = async () => (await t.raw(LIVE)).data.licenseReport.summaryByFeature;
  const sessions = async () =>
    (await t.app.services.store.usage.sessions('isolated'))
      .map((s) => `${s.feature}/${s.username}@${s.hostname}`)
      .sort();

  beforeAll(async () => {
    t = await startTestApp({
      driver,
      servers: [historyServer('isolated', { type: 'ingest', address: undefined })],
      build: { now: clock.now },
    });
    uploader = await t.tokenFor('UPLOADER');
    const ok = await push(LMSTAT);
    expect(ok.status).toBe(200);
    before = await live();
    expect((before as Array<{ info: { name: string } }>).map((f) => f.info.name)).toEqual([
      'feature1',
      'feature2',
      'feature3',
      'feature4',
      'feature5',
      'feature6',
      'feature7',
      'feature8',
      'feature9',
      'feature10',
    ]);
    expect(await sessions()).toHaveLength(38);
  });
  afterAll(() => t?.close());

  test('a NUL byte in a user name: 400 naming the field; live report and history unchanged', async () => {
    const sessionsBefore = await sessions();
    clock.set(clock.ms + 60_000);
    const r = await push(LMSTAT.replace('user1 server034', 'us\u0000er1 server034'));
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('BAD_USER_INPUT');
    expect(body.error.message).toBe(
      'Invalid request body: features[1].checkouts[0].username contains a NUL character, which cannot be stored',
    );
    expect(await live()).toEqual(before);
    expect(await sessions()).toEqual(sessionsBefore);

    const gql = await t.raw(
      'mutation($text: String!) { ingestLicenseStatus(server: "isolated", text: $text) { features } }',
      { text: LMSTAT.replace('feature7', 'feat\u0000ure7') },
      uploader,
    );
    expect(gql.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    expect(gql.errors![0].message).toContain('.name contains a NUL character');
    expect(await live()).toEqual(before);
  });

  test('a start in the year -100 or a count past 32 bits: 400 naming the field; unchanged', async () => {
    clock.set(clock.ms + 60_000);
    const checkout = {
      username: 'eve',
      hostname: 'ws1',
      startTime: 'Fri 10/20 10:00',
      startedAt: '-000100-03-01T10:00:00Z',
    };
    const json = (c: object, used = 1) =>
      JSON.stringify({
        summaryByFeature: [{ info: { name: 'FAKE', issued: 5, used, free: 5 - used }, checkouts: [c] }],
      });
    const year = await push(json(checkout), 'json');
    expect(year.status).toBe(400);
    expect(((await year.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid request body: features[0].checkouts[0].startedAt is -000100-03-01T10:00:00.000Z, outside the years 1-9999',
    );
    const big = await push(
      json({ ...checkout, startedAt: '2017-10-20T10:00:00Z', count: 3_000_000_000 }, 3_000_000_000),
      'json',
    );
    expect(big.status).toBe(400);
    expect(((await big.json()) as { error: { message: string } }).error.message).toContain(
      'features[0].used is 3000000000',
    );
    expect(await live()).toEqual(before);
  });

  test('when PostgreSQL rejects the history write anyway, the client gets an error and the live report is unchanged', async () => {
    const sessionsBefore = await sessions();
    // A rule of the real database the pushed data breaks (validation cannot know it): the transaction fails.
    await t.app.services.store.db.execute(
      sql.raw(`ALTER TABLE checkout_sessions ADD CONSTRAINT sec_test_no_mallory CHECK (username <> 'mallory')`),
    );
    const mallory = LMSTAT.replace('user2 server028', 'mallory server028');
    try {
      clock.set(clock.ms + 60_000);
      const r = await push(mallory);
      expect(r.status).toBe(500);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('INTERNAL_SERVER_ERROR');
      expect(await live()).toEqual(before);
      expect(await sessions()).toEqual(sessionsBefore);
    } finally {
      await t.app.services.store.db.execute(
        sql.raw('ALTER TABLE checkout_sessions DROP CONSTRAINT sec_test_no_mallory'),
      );
    }
    // The same push, once the store accepts it: recorded and live.
    clock.set(clock.ms + 60_000);
    expect((await push(mallory)).status).toBe(200);
    const after = (await live()) as Array<{ checkouts: Array<{ username: string }> }>;
    expect(after.flatMap((f) => f.checkouts.map((c) => c.username))).toContain('mallory');
    expect(await sessions()).toContain('feature2/mallory@server028');
  });
});
