/**
 * Usage history at the service level, on PGlite and PostgreSQL: a scripted server driven through a known sequence
 * of polls with an injected clock gives exact sessions (both end bounds), samples, usage rows (rollup and raw paths
 * agree), and survives replays, a DOWN poll, a reappearing checkout and a rollup rebuild.
 */
import { HistoryService, pollRecordOf } from '../../src/services/history.service';
import { Poller } from '../../src/services/poller';
import { SnapshotService } from '../../src/services/snapshot.service';
import { UsageService } from '../../src/services/usage.service';
import { createTestStore, storeDrivers, type TestStore } from '../helpers/store';
import {
  at,
  ClockedSource,
  co,
  historyServer,
  isoAt,
  MIN,
  scenarioAnswer,
  SCENARIO_POLLS,
  T0,
  TestClock,
} from '../helpers/history';
import { feature, snapshot } from '../helpers/snapshots';

const d = (minute: number) => at(minute).toISOString();

describe.each(storeDrivers())('usage history on %s', (driver) => {
  let t: TestStore;
  let clock: TestClock;
  let source: ClockedSource;
  let snapshots: SnapshotService;
  let history: HistoryService;
  let usage: UsageService;
  let poller: Poller;

  beforeAll(async () => {
    t = await createTestStore(driver);
    clock = new TestClock(T0);
    source = new ClockedSource('eda', clock, scenarioAnswer('eda'));
    snapshots = new SnapshotService([{ config: historyServer('eda'), source }], { now: clock.now });
    history = new HistoryService(t.store, snapshots, { sampleEvery: 3, now: clock.now });
    usage = new UsageService(t.store, clock.now);
    poller = new Poller(snapshots, history, t.store);
    for (const m of SCENARIO_POLLS) {
      clock.set(at(m));
      const o = await poller.pollOnce('eda');
      expect(o.polled).toBe(true);
    }
  });
  afterAll(async () => {
    await poller?.stop();
    await t?.cleanup();
  });

  test('sessions: opened when first seen, closed at the midpoint with both bounds; a DOWN poll closes nothing', async () => {
    const rows = await t.store.usage.sessions('eda');
    expect(
      rows.map((r) => ({
        ...r,
        startedAt: r.startedAt.toISOString(),
        reportedStart: r.reportedStart?.toISOString() ?? null,
        observedSince: r.observedSince.toISOString(),
        firstSeen: r.firstSeen.toISOString(),
        lastSeen: r.lastSeen.toISOString(),
        goneAt: r.goneAt?.toISOString() ?? null,
        endedAt: r.endedAt?.toISOString() ?? null,
      })),
    ).toEqual([
      {
        serverId: 'eda',
        feature: 'FEAT_A',
        version: 'v2.0',
        username: 'alice',
        hostname: 'ws1',
        display: 'ws1:0',
        handle: '101',
        startKey: d(-5),
        startedAt: d(-5),
        reportedStart: d(-5),
        observedSince: d(0),
        count: 1,
        firstSeen: d(0),
        lastSeen: d(20),
        goneAt: d(30),
        endedAt: d(25),
      },
      {
        serverId: 'eda',
        feature: 'FEAT_A',
        version: 'v2.0',
        username: 'bob',
        hostname: 'ws2',
        display: 'ws2:0',
        handle: '102',
        startKey: d(12),
        startedAt: d(12),
        reportedStart: d(12),
        observedSince: d(20),
        count: 2,
        firstSeen: d(20),
        lastSeen: d(60),
        goneAt: null,
        endedAt: null,
      },
      {
        serverId: 'eda',
        feature: 'FEAT_B',
        version: 'v3.1',
        username: 'alice',
        hostname: 'ws3',
        display: 'ws3:0',
        handle: '201',
        startKey: d(31),
        startedAt: d(31),
        reportedStart: d(31),
        observedSince: d(40),
        count: 1,
        firstSeen: d(40),
        lastSeen: d(40),
        goneAt: d(60),
        endedAt: d(50),
      },
    ]);
  });

  test('samples: on change and every 3rd UP poll; the cursor records the DOWN poll without counting it', async () => {
    const rows = await t.store.usage.samples('eda');
    const fmt = rows.map((r) => [r.feature, (r.at.getTime() - T0) / MIN, r.issued, r.used, r.reserved, r.queued]);
    expect(fmt).toEqual([
      ['FEAT_A', 0, 4, 1, 0, 0],
      ['FEAT_B', 0, 2, 0, 0, 0],
      ['FEAT_A', 20, 4, 3, 0, 0],
      ['FEAT_B', 20, 2, 0, 0, 0],
      ['FEAT_A', 30, 4, 2, 0, 0],
      ['FEAT_B', 40, 2, 1, 0, 0],
      ['FEAT_A', 60, 4, 2, 0, 0],
      ['FEAT_B', 60, 2, 0, 0, 0],
    ]);
    expect(await t.store.history.cursors()).toEqual([
      { serverId: 'eda', pollSeq: 6, lastPollAt: at(60), lastUpAt: at(60), lastStatus: 'UP' },
    ]);
  });

  test('usage by feature over the window: sessions, licenseSeconds, peaks, averages, users, first/last seen', async () => {
    const rows = await usage.usage({ groupBy: ['FEATURE'], filter: { earliestTime: at(-60), latestTime: at(60) } });
    expect(rows).toHaveLength(2);
    const [a, b] = rows;
    expect(a).toMatchObject({
      feature: 'FEAT_A',
      server: null,
      sessions: 2,
      licenseSeconds: 1800 + 5760,
      distinctUsers: 2,
      peakInUse: 3,
      firstSeen: at(-5),
      lastSeen: at(60),
    });
    expect(a.averageInUse).toBeCloseTo((1 * 20 + 3 * 10 + 2 * 30) / 60, 10);
    expect(b).toMatchObject({
      feature: 'FEAT_B',
      sessions: 1,
      licenseSeconds: 1140,
      distinctUsers: 1,
      peakInUse: 1,
      firstSeen: at(31),
      lastSeen: at(50),
    });
    expect(b.averageInUse).toBeCloseTo(20 / 60, 10);
  });

  test('usage by feature and UTC day: rollup and raw paths give the same exact rows', async () => {
    const input = {
      groupBy: ['FEATURE', 'TIME'] as const,
      bucket: 'DAY' as const,
      filter: { earliestTime: new Date(Date.UTC(2026, 0, 4)), latestTime: new Date(Date.UTC(2026, 0, 6)) },
    };
    const rollup = await usage.usage({ ...input, groupBy: [...input.groupBy] });
    const raw = await usage.usage({ ...input, groupBy: [...input.groupBy], forceRaw: true });
    const jan4 = new Date(Date.UTC(2026, 0, 4));
    const jan5 = new Date(Date.UTC(2026, 0, 5));
    const expected = [
      {
        bucketStart: jan4,
        feature: 'FEAT_A',
        sessions: 1,
        licenseSeconds: 300,
        distinctUsers: 1,
        firstSeen: at(-5),
        lastSeen: at(0),
        peakInUse: null,
        averageInUse: null,
      },
      {
        bucketStart: jan5,
        feature: 'FEAT_A',
        sessions: 2,
        licenseSeconds: 1500 + 5760,
        distinctUsers: 2,
        firstSeen: at(0),
        lastSeen: at(60),
        peakInUse: 3,
      },
      {
        bucketStart: jan5,
        feature: 'FEAT_B',
        sessions: 1,
        licenseSeconds: 1140,
        distinctUsers: 1,
        firstSeen: at(31),
        lastSeen: at(50),
        peakInUse: 1,
      },
    ];
    for (const rows of [rollup, raw]) {
      expect(rows).toHaveLength(3);
      rows.forEach((r, i) => expect(r).toMatchObject(expected[i]));
      expect(rows[1].averageInUse).toBeCloseTo(110 / 60, 10);
      expect(rows[2].averageInUse).toBeCloseTo(20 / 60, 10);
    }
  });

  test('windows that cut sessions: partial days at both ends, hours, another zone, users and hosts', async () => {
    // Jan 4 23:58 .. Jan 6 00:45: a partial first day, one rollup day, a partial last day.
    const E = new Date(T0 - 2 * MIN);
    const L = new Date(T0 + 24 * 60 * MIN + 45 * MIN);
    for (const forceRaw of [false, true]) {
      const byDay = await usage.usage({
        groupBy: ['FEATURE', 'TIME'],
        bucket: 'DAY',
        filter: { earliestTime: E, latestTime: L },
        forceRaw,
      });
      expect(
        byDay.map((r) => [
          r.bucketStart!.toISOString(),
          r.feature,
          r.sessions,
          r.licenseSeconds,
          r.distinctUsers,
          r.firstSeen!.toISOString(),
        ]),
      ).toEqual([
        ['2026-01-04T00:00:00.000Z', 'FEAT_A', 1, 120, 1, E.toISOString()],
        ['2026-01-05T00:00:00.000Z', 'FEAT_A', 2, 1500 + 5760, 2, d(0)],
        ['2026-01-05T00:00:00.000Z', 'FEAT_B', 1, 1140, 1, d(31)],
      ]);
      // alice is both in the partial first day (from the sessions) and in the rollup day: counted once
      const total = await usage.usage({ groupBy: ['FEATURE'], filter: { earliestTime: E, latestTime: L }, forceRaw });
      expect(total.map((r) => [r.feature, r.sessions, r.licenseSeconds, r.distinctUsers])).toEqual([
        ['FEAT_A', 2, 1620 + 5760, 2],
        ['FEAT_B', 1, 1140, 1],
      ]);
      const all = await usage.usage({ groupBy: [], filter: { earliestTime: E, latestTime: L }, forceRaw });
      expect(all.map((r) => [r.sessions, r.licenseSeconds, r.distinctUsers, r.peakInUse])).toEqual([
        [3, 1620 + 5760 + 1140, 2, 3],
      ]);
      expect(
        await usage.usage({ groupBy: [], filter: { earliestTime: at(-3000), latestTime: at(-2000) }, forceRaw }),
      ).toEqual([]);
    }
    // Within one day: Jan 4 23:58 .. Jan 5 00:45 (raw only).
    const short = await usage.usage({ groupBy: ['FEATURE'], filter: { earliestTime: E, latestTime: at(45) } });
    expect(short.map((r) => [r.feature, r.sessions, r.licenseSeconds, r.lastSeen!.toISOString()])).toEqual([
      ['FEAT_A', 2, 27 * 60 + 33 * 60 * 2, d(45)],
      ['FEAT_B', 1, 14 * 60, d(45)],
    ]);
    const hours = await usage.usage({
      groupBy: ['TIME'],
      bucket: 'HOUR',
      filter: { features: ['FEAT_A'], earliestTime: at(-60), latestTime: at(60) },
    });
    expect(hours.map((r) => [r.bucketStart!.toISOString(), r.sessions, r.licenseSeconds])).toEqual([
      ['2026-01-04T23:00:00.000Z', 1, 300],
      ['2026-01-05T00:00:00.000Z', 2, 1500 + 5760],
    ]);
    // Europe/Berlin is UTC+1 in January: its Jan 5 starts at Jan 4 23:00 UTC and holds all of c1.
    const berlin = await usage.usage({
      groupBy: ['FEATURE', 'TIME'],
      bucket: 'DAY',
      timeZone: 'Europe/Berlin',
      filter: { features: ['FEAT_*'], earliestTime: at(-24 * 60) },
    });
    expect(berlin.map((r) => [r.bucketStart!.toISOString(), r.feature, r.sessions, r.licenseSeconds])).toEqual([
      ['2026-01-04T23:00:00.000Z', 'FEAT_A', 2, 1800 + 5760],
      ['2026-01-04T23:00:00.000Z', 'FEAT_B', 1, 1140],
    ]);
    const users = await usage.usage({ groupBy: ['USER'], filter: { earliestTime: at(-60), latestTime: at(60) } });
    expect(
      users.map((r) => [r.user, r.sessions, r.licenseSeconds, r.distinctUsers, r.peakInUse, r.averageInUse]),
    ).toEqual([
      ['alice', 2, 1800 + 1140, 1, null, null],
      ['bob', 1, 5760, 1, null, null],
    ]);
    const hosts = await usage.usage({
      groupBy: ['HOST', 'VERSION'],
      filter: { hosts: ['ws?'], users: ['al*'], earliestTime: at(-60), latestTime: at(60) },
    });
    expect(hosts.map((r) => [r.host, r.version, r.sessions, r.licenseSeconds])).toEqual([
      ['ws1', 'v2.0', 1, 1800],
      ['ws3', 'v3.1', 1, 1140],
    ]);
  });

  test('Feature history and utilization histogram come from the samples', async () => {
    const h = await usage.history(
      [
        { serverId: 'eda', feature: 'FEAT_A' },
        { serverId: 'eda', feature: 'FEAT_B' },
      ],
      at(-60),
      at(60),
      'HOUR',
    );
    const a = h.get('eda\u0000FEAT_A')!;
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ bucketStart: at(0), issued: 4, peak: 3, knownSeconds: 3600 });
    expect(a[0].used).toBeCloseTo(110 / 60, 10);
    const hist = await usage.histograms([{ serverId: 'eda', feature: 'FEAT_A' }], at(0), at(60));
    expect(hist.get('eda\u0000FEAT_A')).toEqual({
      serverId: 'eda',
      feature: 'FEAT_A',
      since: at(0),
      until: at(60),
      knownSeconds: 3600,
      issued: 4,
      bins: [
        { inUse: 1, seconds: 1200, share: 1 / 3 },
        { inUse: 2, seconds: 1800, share: 0.5 },
        { inUse: 3, seconds: 600, share: 1 / 6 },
      ],
    });
  });

  test('a replayed poll is skipped and changes nothing; the rollup rebuild gives the same answers', async () => {
    const before = await usage.usage({
      groupBy: ['FEATURE', 'USER', 'TIME'],
      bucket: 'DAY',
      filter: { earliestTime: at(-24 * 60) },
    });
    const state = snapshots.peek('eda')!;
    const again = await history.record(state);
    expect(again.skipped).toBe(true);
    const older = await history.record({ ...state, checkedAt: isoAt(30) });
    expect(older.skipped).toBe(true);
    expect(
      await usage.usage({
        groupBy: ['FEATURE', 'USER', 'TIME'],
        bucket: 'DAY',
        filter: { earliestTime: at(-24 * 60) },
      }),
    ).toEqual(before);
    await t.store.history.rebuildRollups();
    expect(
      await usage.usage({
        groupBy: ['FEATURE', 'USER', 'TIME'],
        bucket: 'DAY',
        filter: { earliestTime: at(-24 * 60) },
      }),
    ).toEqual(before);
  });

  test('validation names the field', async () => {
    await expect(usage.usage({ groupBy: ['FEATURE', 'FEATURE'] })).rejects.toMatchObject({ field: 'groupBy' });
    await expect(usage.usage({ groupBy: ['TIME'], timeZone: 'Mars/Olympus' })).rejects.toMatchObject({
      field: 'timeZone',
    });
    await expect(
      usage.usage({ groupBy: [], filter: { earliestTime: at(10), latestTime: at(0) } }),
    ).rejects.toMatchObject({ field: 'filter.latestTime' });
    await expect(usage.usage({ groupBy: ['FEATURE'], bucket: 'DAY' })).rejects.toMatchObject({ field: 'bucket' });
  });
});

describe.each(storeDrivers())('history edge cases on %s', (driver) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore(driver);
  });
  afterAll(() => t?.cleanup());

  const record = (
    serverId: string,
    minute: number,
    features: ReturnType<typeof feature>[],
    extra: Parameters<typeof snapshot>[2] = {},
  ) => t.store.history.recordPoll(pollRecordOf(snapshot(serverId, features, extra), false, at(minute), 100));

  test('a checkout missing from one poll and back in the next: its session is reopened, the rollup taken back', async () => {
    const c = co('carol', 'h1', '7', 0);
    await record('reo', 0, [feature('F', 2, 1, [c])]);
    expect((await record('reo', 10, [feature('F', 2, 0, [])])).closed).toBe(1);
    const back = await record('reo', 20, [feature('F', 2, 1, [c])]);
    expect(back).toMatchObject({ reopened: 1, opened: 0 });
    await record('reo', 30, [feature('F', 2, 0, [])]);
    const rows = await t.store.usage.sessions('reo');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ lastSeen: at(20), goneAt: at(30), endedAt: at(25) });
    const u = new UsageService(t.store, () => at(60));
    for (const forceRaw of [false, true]) {
      const r = await u.usage({
        groupBy: ['SERVER', 'TIME'],
        bucket: 'DAY',
        filter: {
          servers: ['reo'],
          earliestTime: new Date(Date.UTC(2026, 0, 5)),
          latestTime: new Date(Date.UTC(2026, 0, 6)),
        },
        forceRaw,
      });
      expect(r.map((x) => [x.server, x.sessions, x.licenseSeconds])).toEqual([['reo', 1, 25 * 60]]);
    }
  });

  test('features the server could not report, or whose lines were unreadable, keep their sessions open', async () => {
    const c1 = co('dan', 'h1', '1', 0);
    const c2 = co('eve', 'h2', '2', 0);
    const c3 = co('fay', 'h3', '3', 0);
    await record('doubt', 0, [feature('ERR', 5, 1, [c1]), feature('WARN', 5, 1, [c2]), feature('GONE', 5, 1, [c3])]);
    const r = await record(
      'doubt',
      10,
      [
        feature('ERR', null, null, [], { error: { code: 'CANNOT_GET_USERS', message: 'Cannot get users of ERR' } }),
        feature('WARN', 5, 1, []),
      ],
      {
        warnings: [{ code: 'UNPARSED_LINE', message: 'x', affectsCounts: true, feature: 'WARN' }],
        vendorDaemons: [{ name: 'vend', status: 'DOWN' }],
      },
    );
    expect(r.closed).toBe(0);
    // A complete answer (every daemon UP) closes the session of the feature that disappeared.
    const r2 = await record('doubt', 20, [feature('ERR', 5, 1, [c1]), feature('WARN', 5, 1, [c2])]);
    expect(r2.closed).toBe(1);
    const open = (await t.store.usage.sessions('doubt')).filter((s) => s.endedAt === null).map((s) => s.username);
    expect(open).toEqual(['dan', 'eve']);
    // GONE's series got an all-null sample: the feature is no longer reported.
    const last = (await t.store.usage.samples('doubt')).filter((s) => s.feature === 'GONE').at(-1)!;
    expect(last).toMatchObject({ at: at(20), issued: null, used: null });
  });

  test('one feature on two servers: the peak of the sum, not the largest or the sum of the peaks', async () => {
    // s1: 2 on [0,10), 1 on [10,30), 0 after; s2: 0 on [0,20), 3 on [20,40), 0 after. Sum: 2, 1, 4, 3, 0.
    const used1 = [2, 1, 1, 0, 0];
    const used2 = [0, 0, 3, 3, 0];
    for (let i = 0; i < 5; i++) {
      await record('pk1', i * 10, [feature('SHARED', 5, used1[i])]);
      await record('pk2', i * 10, [feature('SHARED', 5, used2[i])]);
    }
    const u = new UsageService(t.store, () => at(60));
    for (const forceRaw of [false, true]) {
      const rows = await u.usage({
        groupBy: ['FEATURE'],
        filter: { features: ['SHARED'], earliestTime: at(0), latestTime: at(40) },
        forceRaw,
      });
      expect(rows).toHaveLength(1);
      expect(rows[0].peakInUse).toBe(4);
      expect(rows[0].averageInUse).toBeCloseTo((2 * 10 + 1 * 20) / 40 + (3 * 20) / 40, 10);
      const perServer = await u.usage({
        groupBy: ['SERVER', 'FEATURE'],
        filter: { features: ['SHARED'], earliestTime: at(0), latestTime: at(40) },
        forceRaw,
      });
      expect(perServer.map((r) => [r.server, r.peakInUse])).toEqual([
        ['pk1', 2],
        ['pk2', 3],
      ]);
    }
  });
});
