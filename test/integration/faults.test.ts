/**
 * Fault suite: license servers that hang, are slow, print garbage, flap, or print without end, read through the
 * SnapshotService and through the real server. Each shows as DOWN or stale with its reason, never piles up
 * fetches or processes, and never holds up another server.
 *
 * Time: the SnapshotService tests run on jest's fake timers (timeouts and backoff move only when the test advances
 * the clock) or wait on deferred promises, so "answers at once" means "settles without the clock moving", never
 * "took < 50 ms". The tests that drive a real stand-in lmutil assert order and outcome with generous timeouts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ServerConfig } from '../../src/config/types';
import { SnapshotService, type ServerState } from '../../src/services/snapshot.service';
import { runningGroups } from '../../src/sources/command/run';
import { FileSource } from '../../src/sources/file/file.source';
import { FlexlmSource } from '../../src/sources/flexlm/flexlm.source';
import type { LicenseSource } from '../../src/sources/source';
import { serverConfig, startTestApp } from '../helpers/app';
import { deferred, flush, ManualClock, settlesAtOnce, track, until } from '../helpers/clock';
import { checkout, feature, hang, ScriptedSource, snapshot } from '../helpers/snapshots';

const STATE = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-faults-'));
process.env.FAKE_LMUTIL_STATE = STATE;
const FAKE = path.resolve(__dirname, '../helpers/fake-lmutil');
const GOOD_LMSTAT = fs.readFileSync(path.resolve(__dirname, '../fixtures/hand-made/flexlm/multi-server.txt'), 'utf8');
const GARBAGE = '<html><body>502 Bad Gateway</body></html>\nSegmentation fault?\n@@@ 17 licenses @@@\n';

afterAll(() => fs.rmSync(STATE, { recursive: true, force: true }));

const good = (id: string, used = 1) =>
  snapshot(id, [
    feature(
      'F',
      10,
      used,
      Array.from({ length: used }, (_, i) => checkout(`u${i}`, 'h')),
    ),
  ]);
/** Never settles, and ignores its abort signal (a source stuck in I/O). */
const stuck = () => new Promise<never>(() => undefined);

function service(entries: Array<[ServerConfig, LicenseSource]>): SnapshotService {
  return new SnapshotService(entries.map(([config, source]) => ({ config, source })));
}

const codes = (s: ServerState) => s.verdict.issues.map((i) => i.code);

afterEach(() => jest.useRealTimers());

describe('hang', () => {
  test('a fetch that ignores its abort: DOWN with the timeout reason, never started again while it runs, other servers unaffected', async () => {
    jest.useFakeTimers();
    const hung = new ScriptedSource('hung', () => stuck());
    const ok = ScriptedSource.constant('ok', good('ok'));
    const svc = service([
      [serverConfig('hung', { type: 'flexlm', timeoutSeconds: 0.2, maxAgeSeconds: 0 }), hung],
      [serverConfig('ok', { type: 'flexlm', maxAgeSeconds: 0 }), ok],
    ]);
    const first = track(svc.get('hung'));
    // while it hangs, the other server answers at once (without the clock moving)
    const okP = svc.get('ok');
    expect(await settlesAtOnce(okP)).toBe(true);
    expect((await okP).snapshot.status).toBe('UP');
    // the hung one answers when its 0.2 s timeout runs out, not before
    await jest.advanceTimersByTimeAsync(199);
    expect(first.settled()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(first.settled()).toBe(true);
    const down = await first.promise;
    expect(down.snapshot.status).toBe('DOWN');
    expect(down.lastError).toBe('timed out after 0.2 s');
    expect(codes(down)).toEqual(['SERVER_DOWN']);
    expect(down.verdict.issues[0].message).toContain('timed out after 0.2 s');
    // many more asks, also past the backoff and through refresh(): the stuck fetch is not started again
    const again = Array.from({ length: 20 }, () => svc.get('hung'));
    for (const p of again) expect(await settlesAtOnce(p)).toBe(true);
    for (const s of await Promise.all(again)) expect(s).toBe(down);
    await jest.advanceTimersByTimeAsync(500);
    expect(await svc.refresh('hung')).toBe(down);
    expect(await svc.get('hung')).toBe(down);
    expect(hung.calls).toBe(1);
    expect(svc.fetchCount()).toBe(2 + 0); // one for hung, one for ok
  });

  test('a hang after a good read: the last good data, stale, with the reason; repeated timeouts back off', async () => {
    jest.useFakeTimers();
    const src = new ScriptedSource('s', (call, signal) => (call === 1 ? good('s', 3) : hang(signal)));
    const svc = service([
      [serverConfig('s', { type: 'flexlm', timeoutSeconds: 0.2, maxAgeSeconds: 0, pollIntervalSeconds: 60 }), src],
    ]);
    expect((await svc.get('s')).stale).toBe(false);
    const second = track(svc.get('s'));
    await jest.advanceTimersByTimeAsync(199);
    expect(second.settled()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const stale = await second.promise;
    expect(stale).toMatchObject({ stale: true, lastError: 'timed out after 0.2 s' });
    expect(stale.snapshot.features[0]).toMatchObject({ name: 'F', used: 3 });
    expect(codes(stale)).toEqual(['SOURCE_UNAVAILABLE']);
    expect(stale.verdict.issues[0].message).toContain('(timed out after 0.2 s)');
    expect(src.calls).toBe(2);
    // within the backoff (one timeout: 0.2 s) requests get the stale state at once, without a fetch
    const backoff = svc.get('s');
    expect(await settlesAtOnce(backoff)).toBe(true);
    expect(await backoff).toBe(stale);
    expect(src.calls).toBe(2);
    // after it, one retry (which times out again); the next backoff doubles (0.4 s)
    await jest.advanceTimersByTimeAsync(250);
    const retry = svc.get('s');
    await jest.advanceTimersByTimeAsync(200);
    await retry;
    expect(src.calls).toBe(3);
    await jest.advanceTimersByTimeAsync(250);
    const inBackoff = svc.get('s');
    expect(await settlesAtOnce(inBackoff)).toBe(true);
    expect((await inBackoff).stale).toBe(true);
    expect(src.calls).toBe(3);
    await jest.advanceTimersByTimeAsync(200);
    const retry2 = svc.get('s');
    await jest.advanceTimersByTimeAsync(200);
    await retry2;
    expect(src.calls).toBe(4);
  });

  test('a stand-in lmutil that hangs, through the real server: one process for 10 concurrent requests, no new fetch while backing off, the other server unaffected', async () => {
    // A real process and a real 2 s timeout; the app's clock stands still, so the backoff after the timeout
    // cannot run out while this (possibly slow) machine gets round to the next request.
    const clock = new ManualClock();
    const t = await startTestApp({
      servers: [
        serverConfig('hang', {
          type: 'flexlm',
          address: '27000@hang.example.com',
          binary: path.join(FAKE, 'lmutil-hang'),
          timeoutSeconds: 2,
          maxAgeSeconds: 0,
          maxOutputBytes: 65536,
        }),
        serverConfig('sim', { maxAgeSeconds: 0 }),
      ],
      build: { now: clock.now },
    });
    try {
      // each run of the stand-in logs two lines: its own pid, then its child's
      const lines = () =>
        fs.existsSync(path.join(STATE, 'runs.log'))
          ? fs
              .readFileSync(path.join(STATE, 'runs.log'), 'utf8')
              .split('\n')
              .filter((l) => l.startsWith('lmutil-hang ')).length
          : 0;
      const runs = () => Math.ceil(lines() / 2);
      const before = runs();
      const q = (servers: string[]) =>
        t.raw(
          'query R($s: [String!]) { licenseReport(filter: { servers: $s }) { servers { id status stale error } } }',
          { s: servers },
        );
      const hanging = track(Promise.all(Array.from({ length: 10 }, () => q(['hang']))));
      await until(
        () => runs() - before === 1,
        () => 'the stand-in lmutil did not start',
      );
      // while it hangs, the other server answers
      const sim = await q(['sim']);
      expect(sim.data.licenseReport.servers[0]).toMatchObject({ id: 'sim', status: 'UP' });
      expect(hanging.settled()).toBe(false);
      for (const r of await hanging.promise) {
        expect(r.data.licenseReport.servers[0]).toMatchObject({ id: 'hang', status: 'DOWN' });
        expect(r.data.licenseReport.servers[0].error).toMatch(/timed out after 2 s/);
      }
      expect(runs() - before).toBe(1);
      // the whole report right after: the hung server is backing off, so nothing is fetched from it (no wait for
      // another timeout); only the simulator is read
      const fetches = t.app.services.snapshots.fetchCount();
      const all = await q(['hang', 'sim']);
      expect(all.data.licenseReport.servers.map((s: { status: string }) => s.status)).toEqual(['DOWN', 'UP']);
      expect(t.app.services.snapshots.fetchCount() - fetches).toBe(1);
      expect(runs() - before).toBe(1);
      await until(
        () => runningGroups().length === 0,
        () => `process groups still running: ${runningGroups().join(', ')}`,
      );
    } finally {
      await t.close();
    }
  });
});

describe('slow', () => {
  test('20 concurrent readers share one fetch; a fast server answers meanwhile', async () => {
    const answer = deferred();
    const slow = new ScriptedSource('slow', async () => {
      await answer.promise;
      return good('slow', 2);
    });
    const fast = ScriptedSource.constant('fast', good('fast'));
    const svc = service([
      [serverConfig('slow', { type: 'flexlm', timeoutSeconds: 2, maxAgeSeconds: 0 }), slow],
      [serverConfig('fast', { type: 'flexlm', maxAgeSeconds: 0 }), fast],
    ]);
    const readers = track(Promise.all(Array.from({ length: 20 }, () => svc.get('slow'))));
    const fast1 = svc.get('fast');
    expect(await settlesAtOnce(fast1)).toBe(true);
    expect((await fast1).snapshot.status).toBe('UP');
    expect(readers.settled()).toBe(false);
    answer.resolve();
    const states = await readers.promise;
    expect(new Set(states).size).toBe(1);
    expect(states[0]).toMatchObject({ stale: false, lastError: null });
    expect(slow.calls).toBe(1);
  });

  test('slower than its timeout: DOWN with the reason, the late answer ignored', async () => {
    jest.useFakeTimers();
    const answer = deferred();
    const src = new ScriptedSource('late', async () => {
      await answer.promise;
      return good('late');
    });
    const svc = service([[serverConfig('late', { type: 'flexlm', timeoutSeconds: 0.1, maxAgeSeconds: 0 }), src]]);
    const got = track(svc.get('late'));
    await jest.advanceTimersByTimeAsync(99);
    expect(got.settled()).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const s = await got.promise;
    expect(s.snapshot.status).toBe('DOWN');
    expect(s.lastError).toBe('timed out after 0.1 s');
    // while the late fetch still runs, nothing new starts
    expect(await svc.refresh('late')).toBe(s);
    expect(src.calls).toBe(1);
    // the answer arrives after all: it is ignored
    answer.resolve();
    await flush();
    expect(svc.peek('late')).toBe(s);
  });
});

describe('garbage', () => {
  test('no good read yet: UNKNOWN with warnings and SERVER_UNKNOWN, never zeros', async () => {
    const file = path.join(STATE, 'garbage-only.txt');
    fs.writeFileSync(file, GARBAGE);
    const svc = service([
      [
        serverConfig('g', { type: 'flexlm-file', path: file, maxAgeSeconds: 0 }),
        new FileSource(serverConfig('g', { type: 'flexlm-file', path: file })),
      ],
    ]);
    const s = await svc.get('g');
    expect(s.snapshot.status).toBe('UNKNOWN');
    expect(s.snapshot.features).toEqual([]);
    expect(s.snapshot.warnings.length).toBeGreaterThan(0);
    expect(codes(s)).toContain('SERVER_UNKNOWN');
    expect(s.verdict.valid).toBe(false);
  });

  test('after a good read: the last good data kept, stale, with "unreadable output" as the reason; recovers', async () => {
    const file = path.join(STATE, 'capture.txt');
    fs.writeFileSync(file, GOOD_LMSTAT);
    const config = serverConfig('cap', { type: 'flexlm-file', path: file, maxAgeSeconds: 0, timeZone: 'UTC' });
    const svc = service([[config, new FileSource(config)]]);
    const first = await svc.get('cap');
    expect(first.snapshot.status).toBe('UP');
    const names = first.snapshot.features.map((f) => f.name);
    expect(names).toContain('Virtuoso_Schematic');
    fs.writeFileSync(file, GARBAGE);
    const s = await svc.get('cap');
    expect(s.stale).toBe(true);
    expect(s.snapshot.features.map((f) => f.name)).toEqual(names);
    expect(s.lastError).toMatch(/^unreadable output: /);
    expect(codes(s)).toContain('SOURCE_UNAVAILABLE');
    fs.writeFileSync(file, GOOD_LMSTAT);
    const back = await svc.get('cap');
    expect(back).toMatchObject({ stale: false, lastError: null });
  });
});

describe('flap', () => {
  test('alternating good and failing reads never lose the last good snapshot', async () => {
    const src = new ScriptedSource('flap', (call) => {
      if (call % 2 === 0) throw new Error(`lmgrd not responding (#${call})`);
      return good('flap', call);
    });
    const svc = service([[serverConfig('flap', { type: 'flexlm', maxAgeSeconds: 0 }), src]]);
    for (let call = 1; call <= 8; call++) {
      const s = await svc.get('flap');
      expect(s.snapshot.features).toHaveLength(1);
      if (call % 2 === 1) {
        expect(s).toMatchObject({ stale: false, lastError: null });
        expect(s.snapshot.features[0].used).toBe(call);
      } else {
        expect(s).toMatchObject({ stale: true, lastError: `lmgrd not responding (#${call})` });
        expect(s.snapshot.features[0].used).toBe(call - 1);
        expect(codes(s)).toEqual(['SOURCE_UNAVAILABLE']);
      }
    }
    expect(src.calls).toBe(8);
  });

  test('good, DOWN, garbage, good: DOWN is shown as DOWN, garbage keeps the last good; versions always move', async () => {
    const down = snapshot('f2', [], {
      status: 'DOWN',
      error: 'Cannot connect to license server system',
      hosts: [],
      vendorDaemons: [],
    });
    const garbage = snapshot('f2', [], {
      status: 'UNKNOWN',
      hosts: [],
      vendorDaemons: [],
      error: 'no lmstat status output',
    });
    const script = [good('f2', 1), down, garbage, good('f2', 2)];
    const src = new ScriptedSource('f2', (call) => script[call - 1]);
    const svc = service([[serverConfig('f2', { type: 'flexlm', maxAgeSeconds: 0 }), src]]);
    const states: ServerState[] = [];
    for (let i = 0; i < script.length; i++) states.push(await svc.get('f2'));
    expect(states.map((s) => [s.snapshot.status, s.stale])).toEqual([
      ['UP', false],
      ['DOWN', false],
      ['UP', true],
      ['UP', false],
    ]);
    expect(states[1].verdict.issues[0]).toMatchObject({ code: 'SERVER_DOWN' });
    expect(states[2].lastError).toBe('unreadable output: no lmstat status output');
    expect(states[2].snapshot.features[0].used).toBe(1);
    expect(states[3].snapshot.features[0].used).toBe(2);
    const versions = states.map((s) => s.version);
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(new Set(versions).size).toBe(4);
  });
});

describe('huge output', () => {
  test('a capture larger than maxOutputBytes: DOWN with TOO_LARGE, or stale after a good read', async () => {
    const file = path.join(STATE, 'huge.txt');
    fs.writeFileSync(file, GOOD_LMSTAT);
    const config = serverConfig('big', {
      type: 'flexlm-file',
      path: file,
      maxAgeSeconds: 0,
      maxOutputBytes: 16 * 1024,
    });
    const svc = service([[config, new FileSource(config)]]);
    expect((await svc.get('big')).snapshot.status).toBe('UP');
    fs.writeFileSync(file, GOOD_LMSTAT + 'x'.repeat(64 * 1024));
    const s = await svc.get('big');
    expect(s.stale).toBe(true);
    expect(s.lastError).toMatch(/more than maxOutputBytes \(16384 bytes\)/);
    const fresh = service([[config, new FileSource(config)]]);
    const d = await fresh.get('big');
    expect(d.snapshot.status).toBe('DOWN');
    expect(d.lastError).toMatch(/more than maxOutputBytes \(16384 bytes\)/);
  });

  test('a stand-in lmutil printing without end: killed at the cap, DOWN with the reason, memory bounded', async () => {
    const config = serverConfig('yes', {
      type: 'flexlm',
      address: '27000@yes.example.com',
      binary: path.join(FAKE, 'lmutil-huge'),
      timeoutSeconds: 5,
      maxAgeSeconds: 0,
      maxOutputBytes: 256 * 1024,
    });
    const svc = service([[config, new FlexlmSource(config)]]);
    const rss0 = process.memoryUsage().rss;
    // killed at the cap, not at its (generous) timeout: the reason says which
    const s = await svc.get('yes');
    expect(s.snapshot.status).toBe('DOWN');
    expect(s.lastError).toBe('lmutil-huge printed more than maxOutputBytes (262144 bytes); killed it');
    expect(process.memoryUsage().rss - rss0).toBeLessThan(64 * 1024 * 1024);
    await until(
      () => runningGroups().length === 0,
      () => `process groups still running: ${runningGroups().join(', ')}`,
    );
  });
});
