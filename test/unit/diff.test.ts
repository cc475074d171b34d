/**
 * The pure parts of live events: snapshot diffs (src/domain/diff.ts), alert-rule evaluation and checks
 * (src/services/alerts.service.ts), NOTIFY payload chunking (src/services/pubsub.ts) and the event bus's
 * filtering, duplicate suppression and slow-subscriber limit.
 */
import { ConfigError, parseAlerts } from '../../src/config/load';
import { comparable, diffSnapshots, nextBaseline, usageOf } from '../../src/domain/diff';
import type { Snapshot } from '../../src/domain/snapshot';
import { AlertsService, checkAlertRule, configRules, evaluateRule } from '../../src/services/alerts.service';
import { dedupeOf, type LiveEvent } from '../../src/services/events';
import {
  EventBus,
  NOTIFY_MAX_BYTES,
  NotifyDecoder,
  SubscriberTooSlowError,
  encodeNotify,
} from '../../src/services/pubsub';
import type { ServerState } from '../../src/services/snapshot.service';
import { checkout, feature, snapshot } from '../helpers/snapshots';

const john = checkout('john.doe', 'workstation-123', { handle: '101', startTime: 'Mon 1/20 10:30' });
const jane = checkout('jane.smith', 'dev-machine', { handle: '102', startTime: 'Mon 1/20 11:45' });
const alice = checkout('alice', 'ws-7', { handle: '103', startTime: 'Tue 1/21 9:00' });

describe('diffSnapshots', () => {
  const base = snapshot('s1', [feature('FTX', 100, 2, [john, jane]), feature('POOL', 10, 0)]);

  test('the first reading is the baseline: no events', () => {
    expect(diffSnapshots(null, base)).toEqual({ usage: [], checkouts: [] });
  });

  test('an identical reading gives no events', () => {
    expect(diffSnapshots(base, snapshot('s1', [feature('FTX', 100, 2, [john, jane]), feature('POOL', 10, 0)]))).toEqual(
      { usage: [], checkouts: [] },
    );
  });

  test('a checkout: one usage change with previous and current counts, one CHECKED_OUT', () => {
    const next = snapshot('s1', [feature('FTX', 100, 3, [john, jane, alice]), feature('POOL', 10, 0)], {
      fetchedAt: '2026-01-21T09:00:30.000Z',
    });
    const d = diffSnapshots(base, next);
    expect(d.usage).toEqual([
      {
        serverId: 's1',
        feature: 'FTX',
        vendor: 'vend',
        previous: { issued: 100, used: 2, free: 98 },
        current: { issued: 100, used: 3, free: 97 },
        at: '2026-01-21T09:00:30.000Z',
      },
    ]);
    expect(d.checkouts).toEqual([
      {
        type: 'CHECKED_OUT',
        serverId: 's1',
        feature: 'FTX',
        vendor: 'vend',
        checkout: alice,
        at: '2026-01-21T09:00:30.000Z',
      },
    ]);
  });

  test('a check-in and a check-out in one poll with the same used count: no usage change, two checkout events', () => {
    const next = snapshot('s1', [feature('FTX', 100, 2, [jane, alice]), feature('POOL', 10, 0)]);
    const d = diffSnapshots(base, next);
    expect(d.usage).toEqual([]);
    expect(d.checkouts.map((e) => [e.type, e.checkout.username])).toEqual([
      ['CHECKED_IN', 'john.doe'],
      ['CHECKED_OUT', 'alice'],
    ]);
  });

  test('identity is user, host, display, handle and start time; identical checkouts count as a multiset', () => {
    const twin = { ...john };
    const a = snapshot('s1', [feature('F', 10, 2, [john, twin])]);
    const b = snapshot('s1', [feature('F', 10, 1, [john])]);
    expect(diffSnapshots(a, b).checkouts.map((e) => e.type)).toEqual(['CHECKED_IN']);
    const restarted = snapshot('s1', [feature('F', 10, 2, [john, { ...john, startTime: 'Mon 1/20 10:31' }])]);
    expect(diffSnapshots(a, restarted).checkouts.map((e) => [e.type, e.checkout.startTime])).toEqual([
      ['CHECKED_IN', 'Mon 1/20 10:30'],
      ['CHECKED_OUT', 'Mon 1/20 10:31'],
    ]);
  });

  test('issued changes are changes too; appearing and disappearing features have a null side', () => {
    const next = snapshot('s1', [feature('FTX', 120, 2, [john, jane]), feature('NEW', 5, 1, [alice])]);
    const d = diffSnapshots(base, next);
    expect(d.usage.map((u) => [u.feature, u.previous, u.current])).toEqual([
      ['FTX', { issued: 100, used: 2, free: 98 }, { issued: 120, used: 2, free: 118 }],
      ['NEW', null, { issued: 5, used: 1, free: 4 }],
      ['POOL', { issued: 10, used: 0, free: 10 }, null],
    ]);
    expect(d.checkouts.map((e) => [e.type, e.feature, e.checkout.username])).toEqual([['CHECKED_OUT', 'NEW', 'alice']]);
  });

  test('a feature the server could not report on says nothing, and the baseline keeps its last reading', () => {
    const broken = snapshot('s1', [
      feature('FTX', null, null, [], { error: { code: 'CANNOT_GET_USERS', message: 'x' } }),
      feature('POOL', 10, 0),
    ]);
    expect(diffSnapshots(base, broken)).toEqual({ usage: [], checkouts: [] });
    const kept = nextBaseline(base, broken);
    expect(kept.features[0]).toBe(base.features[0]);
    // back again with one more checkout: only that one is new
    const back = snapshot('s1', [feature('FTX', 100, 3, [john, jane, alice]), feature('POOL', 10, 0)]);
    expect(diffSnapshots(kept, back).checkouts.map((e) => e.checkout.username)).toEqual(['alice']);
  });

  test('uncounted features: counts are null, checkouts still diffed', () => {
    const u1 = snapshot('s1', [feature('U', null, null, [john], { uncounted: true })]);
    const u2 = snapshot('s1', [feature('U', null, null, [john, alice], { uncounted: true })]);
    expect(usageOf(u1.features[0])).toEqual({ issued: null, used: null, free: null });
    const d = diffSnapshots(u1, u2);
    expect(d.usage).toEqual([]);
    expect(d.checkouts.map((e) => e.checkout.username)).toEqual(['alice']);
  });

  test('only fresh UP readings are comparable', () => {
    expect(comparable(base, false)).toBe(true);
    expect(comparable(base, true)).toBe(false);
    expect(comparable({ ...base, status: 'DOWN' }, false)).toBe(false);
    expect(comparable({ ...base, status: 'UNKNOWN' }, false)).toBe(false);
  });
});

function state(s: Snapshot, stale = false, id = s.serverId): ServerState {
  return {
    config: {
      id,
      label: id,
      type: 'flexlm',
      pollIntervalSeconds: 1,
      timeoutSeconds: 1,
      maxAgeSeconds: 0,
      maxOutputBytes: 1024,
    },
    snapshot: s,
    verdict: { valid: true, issues: [], features: [] } as unknown as ServerState['verdict'],
    stale,
    version: 1,
    checkedAt: s.fetchedAt,
    lastError: stale ? 'timed out' : null,
  };
}

describe('alert rules', () => {
  test('checkAlertRule names the field and the rule', () => {
    const ids = ['s1'];
    expect(checkAlertRule({ kind: 'FREE_BELOW', threshold: 3 }, ids)).toBeNull();
    expect(checkAlertRule({ kind: 'FREE_BELOW' }, ids)).toEqual(['threshold', expect.stringContaining('whole number')]);
    expect(checkAlertRule({ kind: 'FREE_BELOW', threshold: 2.5 }, ids)?.[0]).toBe('threshold');
    expect(checkAlertRule({ kind: 'FREE_PERCENT_BELOW', threshold: 120 }, ids)?.[0]).toBe('threshold');
    expect(checkAlertRule({ kind: 'EXPIRES_WITHIN_DAYS', threshold: 30 }, ids)).toBeNull();
    expect(checkAlertRule({ kind: 'SERVER_DOWN', threshold: 1 }, ids)?.[0]).toBe('threshold');
    expect(checkAlertRule({ kind: 'SERVER_DOWN', feature: 'F' }, ids)?.[0]).toBe('feature');
    expect(checkAlertRule({ kind: 'QUEUE_NONEMPTY' }, ids)).toBeNull();
    expect(checkAlertRule({ kind: 'DAEMON_DOWN', server: 'nope' }, ids)).toEqual([
      'server',
      'unknown server id "nope"',
    ]);
    expect(checkAlertRule({ kind: 'NOPE' as never }, ids)?.[0]).toBe('kind');
  });

  test("the config file's alerts: list is checked the same way, naming the key", () => {
    const servers = [{ id: 'eda' }] as never;
    expect(
      parseAlerts(
        {
          servers: [],
          alerts: [{ kind: 'FREE_BELOW', feature: 'MATLAB', server: 'eda', threshold: 2 }, { kind: 'SERVER_DOWN' }],
        },
        servers,
      ),
    ).toEqual([
      { kind: 'FREE_BELOW', feature: 'MATLAB', server: 'eda', threshold: 2 },
      { kind: 'SERVER_DOWN', feature: null, server: null, threshold: null },
    ]);
    expect(parseAlerts({ servers: [] }, servers)).toEqual([]);
    const err = (alerts: unknown) => {
      try {
        parseAlerts({ alerts }, servers);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).key;
      }
      throw new Error('accepted');
    };
    expect(err({ kind: 'FREE_BELOW' })).toBe('alerts');
    expect(err([{ kind: 'FREE_BELOW', threshold: 0 }])).toBe('alerts[0].threshold');
    expect(err([{ kind: 'SERVER_DOWN', server: 'other' }])).toBe('alerts[0].server');
    expect(err([{ kind: 'SERVER_DOWN', when: 'now' }])).toBe('alerts[0].when');
    expect(err([{ kind: 'LOUD' }])).toBe('alerts[0].kind');
  });

  const [freeBelow, pct, expires, down, daemon, queue] = configRules([
    { kind: 'FREE_BELOW', feature: 'F*', threshold: 3 },
    { kind: 'FREE_PERCENT_BELOW', threshold: 20 },
    { kind: 'EXPIRES_WITHIN_DAYS', threshold: 10 },
    { kind: 'SERVER_DOWN', server: 's1' },
    { kind: 'DAEMON_DOWN', feature: 'ven?' },
    { kind: 'QUEUE_NONEMPTY' },
  ]);

  test('evaluateRule per kind, with the measured value', () => {
    const s = snapshot(
      's1',
      [
        feature('FA', 10, 8),
        feature('FB', 10, 5),
        feature('G', 100, 90, [], {
          pools: [{ type: 'floating', issued: 100, expiry: '2026-01-25', permanent: false }],
          queued: [{ username: 'u', hostname: 'h', count: 2 }],
        }),
      ],
      {
        fetchedAt: '2026-01-20T12:00:00.000Z',
        vendorDaemons: [
          { name: 'vend', status: 'DOWN', message: 'down (-97)' },
          { name: 'other', status: 'DOWN' },
        ],
      },
    );
    const values = (r: typeof freeBelow) =>
      [...evaluateRule(r, s, false)!.values()].map((c) => [c.feature ?? c.daemon, c.value]);
    expect(values(freeBelow)).toEqual([['FA', 2]]);
    expect(values(pct)).toEqual([['G', 10]]); // FA is exactly 20% free: not below
    expect(values(expires)).toEqual([['G', 5]]);
    expect(values(down)).toEqual([]);
    expect(values(daemon)).toEqual([['vend', null]]);
    expect(values(queue)).toEqual([['G', 2]]);
    // feature/daemon kinds are not judged on a DOWN or stale reading; SERVER_DOWN is
    expect(evaluateRule(freeBelow, s, true)).toBeNull();
    expect(
      [...evaluateRule(down, { ...s, status: 'DOWN', error: 'lmgrd is not running' }, false)!.values()][0].message,
    ).toBe('License server s1 is DOWN: lmgrd is not running');
    expect(evaluateRule(down, s, true)!.size).toBe(1);
    expect(evaluateRule(down, { ...s, serverId: 's2' }, true)!.size).toBe(0);
  });

  test('AlertsService fires once when a condition becomes true, stays quiet while it holds, resolves once', async () => {
    const store = { alertRules: { list: async () => [], create: jest.fn(), delete: jest.fn() } } as never;
    const alerts = new AlertsService({
      store,
      config: [{ kind: 'FREE_BELOW', feature: 'F', threshold: 3 }],
      serverIds: () => ['s1'],
    });
    await alerts.load();
    const at = (used: number, extra: Partial<Snapshot> = {}, stale = false) =>
      alerts.evaluate(state(snapshot('s1', [feature('F', 10, used)], extra), stale));
    expect(at(5)).toEqual([]);
    const fired = at(8);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      status: 'FIRING',
      serverId: 's1',
      feature: 'F',
      value: 2,
      rule: { id: 'config-1', kind: 'FREE_BELOW', threshold: 3, source: 'CONFIG' },
    });
    expect(at(9)).toEqual([]);
    expect(alerts.activeAlerts().map((a) => a.value)).toEqual([1]);
    expect(at(9, { status: 'DOWN', features: [] })).toEqual([]); // an outage neither resolves nor re-fires it
    expect(at(5, {}, true)).toEqual([]); // stale: not judged
    const resolved = at(5);
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({
      status: 'RESOLVED',
      feature: 'F',
      message: 'F on s1: 5 free (5/10 in use) again',
    });
    expect(at(4)).toEqual([]);
    expect(alerts.activeAlerts()).toEqual([]);
  });
});

describe('NOTIFY payloads', () => {
  test('a small batch is one payload; a large one is chunked under the limit and reassembled', () => {
    const small = encodeNotify('o1', 'm1', [{ kind: 'rules', at: 'x' }]);
    expect(small).toHaveLength(1);
    const d = new NotifyDecoder();
    expect(d.accept(small[0])).toEqual({ origin: 'o1', msgId: 'm1', events: [{ kind: 'rules', at: 'x' }] });

    const big = Array.from({ length: 400 }, (_, i) => ({ kind: 'checkout', user: `üser-${i}`, pad: 'x'.repeat(100) }));
    const parts = encodeNotify('o1', 'm2', big);
    expect(parts.length).toBeGreaterThan(5);
    for (const p of parts) expect(Buffer.byteLength(p, 'utf8')).toBeLessThanOrEqual(NOTIFY_MAX_BYTES);
    const dec = new NotifyDecoder();
    // out of order, with a duplicate and a foreign payload in between
    const order = [...parts].reverse();
    let got: ReturnType<NotifyDecoder['accept']> = null;
    for (const p of [order[0], 'not ours', ...order]) got = dec.accept(p) ?? got;
    expect(got).toEqual({ origin: 'o1', msgId: 'm2', events: big });
    expect(dec.accept('lg1|o|m|5|2|zz')).toBeNull();
  });
});

describe('EventBus', () => {
  const usage = (used: number, serverId = 's1'): LiveEvent => ({
    kind: 'usage',
    data: {
      serverId,
      feature: 'F',
      vendor: null,
      previous: { issued: 10, used: used - 1, free: 11 - used },
      current: { issued: 10, used, free: 10 - used },
      at: 'now',
    },
  });

  test('filters per subscriber, drops an already-announced state, ends on return()', async () => {
    const bus = new EventBus<LiveEvent>({ dedupe: dedupeOf });
    const counts: number[] = [];
    bus.on('subscribers', (n: number) => counts.push(n));
    const s1 = bus.subscribe((e) => e.kind === 'usage' && e.data.serverId === 's1');
    const all = bus.subscribe();
    await bus.publish([usage(3), usage(3), usage(4, 's2'), usage(3)]);
    expect((await s1.next()).value).toEqual(usage(3));
    expect(bus.stats.duplicates).toBe(2);
    expect((await all.next()).value).toEqual(usage(3));
    expect((await all.next()).value).toEqual(usage(4, 's2'));
    const pending = s1.next();
    await s1.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(counts).toEqual([1, 2, 1]);
    await bus.close();
    expect(await all.next()).toEqual({ value: undefined, done: true });
  });

  test('a subscriber that falls too far behind is ended with an error', async () => {
    const bus = new EventBus<LiveEvent>({ maxQueue: 3 });
    const s = bus.subscribe();
    await bus.publish([1, 2, 3, 4].map((n) => usage(n)));
    await expect(s.next()).rejects.toBeInstanceOf(SubscriberTooSlowError);
    expect(bus.subscriberCount).toBe(0);
  });
});
