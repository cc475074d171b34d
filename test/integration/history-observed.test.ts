/**
 * History counts what it observed: the real lmstat_app1 capture (status on Fri 10/20/2017 17:02; starts back to
 * 2010) polled as a flexlm-file source today and pushed to an ingest server records every session with its reported
 * start, but no license-hours before the server's first observation, and no poll adds more than
 * (now - previous poll + one poll interval) x licenses held.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { HistoryService } from '../../src/services/history.service';
import { Poller } from '../../src/services/poller';
import { SnapshotService } from '../../src/services/snapshot.service';
import { UsageService } from '../../src/services/usage.service';
import { FileSource } from '../../src/sources/file';
import { IngestSource } from '../../src/sources/ingest';
import { readFixture } from '../helpers/fixtures';
import { historyServer, TestClock } from '../helpers/history';
import { createTestStore, storeDrivers, type TestStore } from '../helpers/store';

const APP1 = readFixture('lmstat/mjtrangoni__flexlm_exporter__lmstat_app1.txt');
/** app1 with every checkout line gone: the next UP poll closes every session. */
const APP1_EMPTY = APP1.split('\n')
  .filter((l) => !/, start /.test(l))
  .join('\n');
const T0 = Date.parse('2026-12-03T18:00:00Z');
const MIN = 60_000;

describe.each(storeDrivers())('history of app1 on %s', (driver) => {
  let t: TestStore;
  let dir: string;
  let file: string;
  let clock: TestClock;
  let snapshots: SnapshotService;
  let history: HistoryService;
  let poller: Poller;
  let usage: UsageService;

  beforeAll(async () => {
    t = await createTestStore(driver);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-app1-'));
    file = path.join(dir, 'app1.txt');
    fs.writeFileSync(file, APP1);
    clock = new TestClock(T0);
    const polled = historyServer('app1', {
      type: 'flexlm-file',
      path: file,
      address: undefined,
      pollIntervalSeconds: 60,
    });
    const pushed = historyServer('pushed', { type: 'ingest', address: undefined, pollIntervalSeconds: 60 });
    snapshots = new SnapshotService(
      [
        { config: polled, source: new FileSource(polled, { now: clock.now }) },
        { config: pushed, source: new IngestSource(pushed) },
      ],
      { now: clock.now },
    );
    history = new HistoryService(t.store, snapshots, { now: clock.now });
    poller = new Poller(snapshots, history, t.store);
    usage = new UsageService(t.store, clock.now);
  });
  afterAll(async () => {
    await poller?.stop();
    await t?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('polled: reported starts kept (2017 or earlier), counted from the first observation', async () => {
    expect((await poller.pollOnce('app1')).polled).toBe(true);
    clock.set(T0 + 10 * MIN);
    expect((await poller.pollOnce('app1')).polled).toBe(true);
    fs.writeFileSync(file, APP1_EMPTY);
    clock.set(T0 + 20 * MIN);
    expect((await poller.pollOnce('app1')).polled).toBe(true);

    const rows = await t.store.usage.sessions('app1');
    expect(rows.length).toBeGreaterThan(50);
    let held = 0;
    for (const r of rows) {
      expect(r.reportedStart!.toISOString() < '2017-10-20T17:03:00.000Z').toBe(true);
      expect(r.startedAt.toISOString()).toBe(new Date(T0).toISOString()); // counted from the first observation
      expect(r.observedSince.toISOString()).toBe(new Date(T0).toISOString());
      expect(r.endedAt!.toISOString()).toBe(new Date(T0 + 15 * MIN).toISOString());
      held += r.count;
    }
    expect(new Set(rows.map((r) => r.reportedStart!.toISOString().slice(0, 10)))).toEqual(
      new Set([
        '2017-10-20',
        '2017-10-19',
        '2017-10-18',
        '2017-10-16',
        '2013-02-26',
        '2012-05-23',
        '2012-07-04',
        '2012-06-11',
        '2010-07-07',
      ]),
    );
    const [total] = await usage.usage({ groupBy: [], filter: { servers: ['app1'] } });
    // 15 minutes of every license held, nothing before T0, and within (now - first poll) x licenses
    expect(total.licenseSeconds).toBeCloseTo(held * 15 * 60, 3);
    expect(total.licenseSeconds).toBeLessThanOrEqual(held * 20 * 60);
  });

  test('pushed: recorded at the capture time; nothing counted before it', async () => {
    clock.set(T0 + 30 * MIN);
    const first = await history.ingest('pushed', 'lmstat', APP1);
    expect(first.fetchedAt).toBe(new Date(T0 + 30 * MIN).toISOString());
    const capturedAt = snapshots.peek('pushed')!.snapshot.capturedAt!;
    expect(capturedAt).toBe('2017-10-20T17:02:00.000Z'); // the server's zone is UTC here
    clock.set(T0 + 31 * MIN);
    const capture2 = APP1_EMPTY.replace('status on Fri 10/20/2017 17:02', 'status on Fri 10/20/2017 17:12');
    await history.ingest('pushed', 'lmstat', capture2);
    const rows = await t.store.usage.sessions('pushed');
    expect(rows.length).toBeGreaterThan(50);
    const cap = Date.parse(capturedAt);
    let held = 0;
    for (const r of rows) {
      expect(r.reportedStart!.getTime()).toBeLessThanOrEqual(cap);
      expect(r.startedAt.getTime()).toBeGreaterThanOrEqual(r.reportedStart!.getTime());
      // a session that started within one poll interval of the capture keeps its start; older ones count from it
      if (r.reportedStart!.getTime() < cap - 60_000) expect(r.startedAt.getTime()).toBe(cap);
      expect(r.endedAt!.getTime()).toBe(cap + 5 * MIN);
      held += r.count;
    }
    const [total] = await usage.usage({ groupBy: [], filter: { servers: ['pushed'] } });
    expect(total.licenseSeconds).toBeLessThanOrEqual(held * (10 + 1) * 60);
    expect(total.licenseSeconds).toBeGreaterThanOrEqual(held * 5 * 60);
  });
});
