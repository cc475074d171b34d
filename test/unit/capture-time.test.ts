/**
 * Start times are read against the capture's own time (domain/capture-time): hand-made captures written from the
 * lmstat / rlmstat formats (test/fixtures/hand-made, see SOURCES.md) and the real lmstat_app1 capture. Every
 * checkout's exact ISO start is asserted. The fetch time passed as `now` is deliberately years later: it is only
 * the fallback for a capture that states no time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseLmstat } from '../../src/sources/flexlm';
import { parseRlmstat } from '../../src/sources/rlm';
import { tryMapLicenseSummary } from '../../src/sources/json/map';
import { parseIngest } from '../../src/sources/ingest';
import {
  clockSkewSeconds,
  lmstatCaptureTime,
  resolveAnchor,
  rlmstatCaptureTime,
  startIssues,
} from '../../src/domain/capture-time';
import { inferStart } from '../../src/domain/time';
import type { Snapshot } from '../../src/domain/snapshot';
import { readFixture } from '../helpers/fixtures';

const HAND = path.resolve(__dirname, '../fixtures/hand-made');
const hand = (rel: string) => fs.readFileSync(path.join(HAND, rel), 'utf8');
const LATER = new Date('2026-12-03T18:00:00Z');

/** [user, startTime, startedAt, issue codes] of every checkout, in order. */
function starts(s: Snapshot): Array<[string, string, string | null | undefined, string[]]> {
  return s.features.flatMap((f) =>
    f.checkouts.map((c): [string, string, string | null | undefined, string[]] => [
      c.username,
      c.startTime,
      c.startedAt,
      (c.issues ?? []).map((i) => i.code),
    ]),
  );
}

describe('lmstat captures are read against their "status on" line', () => {
  it('year end: Sun 12/31 in a Tue 1/2/2018 capture is 2017', () => {
    const s = parseLmstat(hand('flexlm/year-end.txt'), { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBe('2018-01-02T09:15:00.000Z');
    expect(starts(s)).toEqual([
      ['alice', 'Sun 12/31 23:50', '2017-12-31T23:50:00.000Z', []],
      ['bob', 'Mon 1/1 8:00', '2018-01-01T08:00:00.000Z', []],
      ['carol', 'Tue 1/2 9:14', '2018-01-02T09:14:00.000Z', []],
    ]);
  });

  it('leap day: Thu 2/29 is 2024; a Wed 2/29 no year in ten has is flagged START_WEEKDAY_MISMATCH', () => {
    const s = parseLmstat(hand('flexlm/leap-day.txt'), { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBe('2024-03-01T10:00:00.000Z');
    expect(starts(s)).toEqual([
      ['alice', 'Thu 2/29 18:00', '2024-02-29T18:00:00.000Z', []],
      ['bob', 'Wed 2/28 9:00', '2024-02-28T09:00:00.000Z', []],
      ['carol', 'Wed 2/29 10:00', '2024-02-29T10:00:00.000Z', ['START_WEEKDAY_MISMATCH']],
    ]);
  });

  it('2017 capture whose dates recur with the same weekday in 2023 stays in 2017 (server zone America/New_York)', () => {
    const s = parseLmstat(hand('flexlm/recurring-2017.txt'), { now: LATER, timeZone: 'America/New_York' });
    expect(s.capturedAt).toBe('2017-03-13T15:00:00.000Z'); // 11:00 EDT (DST began 3/12/2017)
    expect(starts(s)).toEqual([
      ['alice', 'Mon 3/13 9:30', '2017-03-13T13:30:00.000Z', []],
      ['bob', 'Fri 3/10 16:00', '2017-03-10T21:00:00.000Z', []], // EST
    ]);
  });

  it('2019 capture whose dates recur with the same weekday in 2024 stays in 2019', () => {
    const s = parseLmstat(hand('flexlm/recurring-2019.txt'), { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBe('2019-07-16T09:10:00.000Z');
    expect(starts(s)).toEqual([
      ['alice', 'Tue 7/16 8:30', '2019-07-16T08:30:00.000Z', []],
      ['bob', 'Mon 7/15 17:00', '2019-07-15T17:00:00.000Z', []],
    ]);
  });

  it('without a "status on" line the fetch time is the anchor', () => {
    const s = parseLmstat(hand('flexlm/no-header.txt'), { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBeNull();
    expect(s.status).toBe('UP');
    expect(starts(s)).toEqual([
      ['alice', 'Thu 12/3 9:30', '2026-12-03T09:30:00.000Z', []],
      ['bob', 'Tue 12/30 16:00', '2025-12-30T16:00:00.000Z', []],
    ]);
  });

  it('a capture time before 1990 is not believed (warning, fetch time used); one after the fetch is the server clock', () => {
    const text = hand('flexlm/year-end.txt').replace('Tue 1/2/2018 9:15', 'Thu 1/1/1970 0:00');
    const s = parseLmstat(text, { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBeNull();
    expect(s.warnings.map((w) => w.code)).toContain('CAPTURE_TIME_IMPLAUSIBLE');
    expect(resolveAnchor(LATER.getTime() + 2 * 86_400_000, LATER).capturedAt).toBe('2026-12-05T18:00:00.000Z');
  });
});

describe('the real lmstat_app1 capture (status on Fri 10/20/2017 17:02)', () => {
  const text = readFixture('lmstat/mjtrangoni__flexlm_exporter__lmstat_app1.txt');

  it('dates every checkout in 2017 or earlier, with weekdays that match what lmstat printed', () => {
    const s = parseLmstat(text, { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBe('2017-10-20T17:02:00.000Z');
    const byText = new Map<string, string>();
    for (const [, raw, iso, codes] of starts(s)) {
      expect(codes).toEqual([]);
      byText.set(raw.split(' ').slice(0, 2).join(' '), iso!.slice(0, 10));
    }
    expect(Object.fromEntries(byText)).toEqual({
      'Fri 10/20': '2017-10-20',
      'Thu 10/19': '2017-10-19',
      'Wed 10/18': '2017-10-18',
      'Mon 10/16': '2017-10-16',
      'Tue 2/26': '2013-02-26',
      'Wed 5/23': '2012-05-23',
      'Wed 7/4': '2012-07-04',
      'Mon 6/11': '2012-06-11',
      'Wed 7/7': '2010-07-07',
    });
    for (const [, raw, iso] of starts(s)) {
      const dow = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(iso!).getUTCDay()];
      expect(raw.slice(0, 3)).toBe(dow);
    }
  });

  it('is read the same way whatever the fetch time, and pushed as lmstat', () => {
    const a = parseLmstat(text, { now: new Date('2017-10-20T17:05:00Z'), timeZone: 'UTC' });
    const b = parseLmstat(text, { now: new Date('2031-01-01T00:00:00Z'), timeZone: 'UTC' });
    expect(starts(b)).toEqual(starts(a));
    const pushed = parseIngest(text, 'auto', { serverId: 'p', now: LATER, timeZone: 'UTC' });
    expect(pushed.ok && starts(pushed.snapshot)).toEqual(starts(a));
    expect(pushed.ok && pushed.snapshot.capturedAt).toBe('2017-10-20T17:02:00.000Z');
  });
});

describe('rlmstat captures are read against their statistics block', () => {
  it('2019 capture: init time + elapsed; MM/DD starts stay in 2019', () => {
    const text = hand('rlm/recurring-2019.txt');
    expect(rlmstatCaptureTime(text, 'UTC')).toBe(Date.parse('2019-07-16T09:10:00Z'));
    const s = parseRlmstat(text, { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBe('2019-07-16T09:10:00.000Z');
    expect(starts(s)).toEqual([
      ['alice', '07/16 08:30', '2019-07-16T08:30:00.000Z', []],
      ['bob', '07/15 17:00', '2019-07-15T17:00:00.000Z', []],
    ]);
  });

  it('the real CONVERGE capture: Recent Statistics (00:16:08) from Wed Nov 3 12:32:30 2021', () => {
    const text = readFixture('rlmstat/omnivector-solutions__license-manager__conftest_rlm_output.txt');
    const s = parseRlmstat(text, { now: LATER, timeZone: 'UTC' });
    expect(s.capturedAt).toBe('2021-11-03T12:48:38.000Z');
    for (const [, , iso] of starts(s)) expect(iso! <= '2021-11-03T12:53:38.000Z' && iso! >= '2020-11-03').toBe(true);
  });
});

describe('JSON: server.fetchedAt is the anchor; absurd given starts are flagged', () => {
  it('infers startTime against server.fetchedAt and flags 1970 / year 1 / future starts', () => {
    const doc = {
      summaryByFeature: [
        {
          info: { name: 'F', issued: 10, used: 4 },
          checkouts: [
            { username: 'a', hostname: 'h', startTime: 'Fri 10/20 16:44', serverInfo: null },
            { username: 'b', hostname: 'h', startTime: 'x', serverInfo: null, startedAt: '1970-01-01T00:00:00Z' },
            { username: 'c', hostname: 'h', startTime: 'x', serverInfo: null, startedAt: '0001-01-01T00:00:00Z' },
            { username: 'd', hostname: 'h', startTime: 'x', serverInfo: null, startedAt: '2017-10-21T00:00:00Z' },
          ],
        },
      ],
      valid: true,
      server: { fetchedAt: '2017-10-20T17:02:00Z' },
    };
    const r = tryMapLicenseSummary(doc, { serverId: 'j', now: LATER, timeZone: 'UTC' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.snapshot.capturedAt).toBe('2017-10-20T17:02:00.000Z');
    expect(starts(r.snapshot)).toEqual([
      ['a', 'Fri 10/20 16:44', '2017-10-20T16:44:00.000Z', []],
      ['b', 'x', '1970-01-01T00:00:00.000Z', ['START_IMPLAUSIBLE']],
      ['c', 'x', '0001-01-01T00:00:00.000Z', ['START_IMPLAUSIBLE']],
      ['d', 'x', '2017-10-21T00:00:00.000Z', ['START_AFTER_CAPTURE']],
    ]);
  });
});

describe('domain helpers', () => {
  it('lmstatCaptureTime reads the zone; a weekday picks its year within ten years', () => {
    expect(lmstatCaptureTime('Flexible License Manager status on Fri 10/20/2017 17:02', 'Europe/Berlin')).toBe(
      Date.parse('2017-10-20T15:02:00Z'),
    );
    expect(lmstatCaptureTime('no header', 'UTC')).toBeNull();
    // Wed 7/7 before 10/20/2017: 2010 (seven years back); Sat 7/7 is 2012
    expect(new Date(inferStart('Wed 7/7 9:00', new Date('2017-10-20T17:02:00Z'), 'UTC')!.ms).toISOString()).toBe(
      '2010-07-07T09:00:00.000Z',
    );
    expect(new Date(inferStart('Sat 7/7 9:00', new Date('2017-10-20T17:02:00Z'), 'UTC')!.ms).toISOString()).toBe(
      '2012-07-07T09:00:00.000Z',
    );
  });

  it('startIssues and clockSkewSeconds', () => {
    const at = Date.parse('2026-01-01T00:00:00Z');
    expect(startIssues('2025-12-31T23:00:00Z', at)).toEqual([]);
    expect(startIssues('2026-01-01T00:04:00Z', at)).toEqual([]);
    expect(startIssues('2026-01-01T00:06:00Z', at).map((i) => i.code)).toEqual(['START_AFTER_CAPTURE']);
    expect(startIssues('1999-01-01T00:00:00Z', at).map((i) => i.code)).toEqual(['START_IMPLAUSIBLE']);
    expect(clockSkewSeconds('2026-01-01T00:10:00Z', '2026-01-01T00:00:00Z')).toBe(600);
    expect(clockSkewSeconds(null, '2026-01-01T00:00:00Z')).toBeNull();
  });
});

describe('clock skew of live servers', () => {
  it('is kept on the state, with a CLOCK_SKEW issue past 5 minutes; files and pushes have none', async () => {
    const { SnapshotService } = await import('../../src/services/snapshot.service');
    const text = hand('flexlm/year-end.txt'); // status on Tue 1/2/2018 9:15
    const config = (id: string, type: 'flexlm' | 'flexlm-file') => ({
      id,
      label: id,
      type,
      timeZone: 'UTC',
      pollIntervalSeconds: 60,
      timeoutSeconds: 5,
      maxAgeSeconds: 0,
      maxOutputBytes: 1 << 20,
    });
    const source = (id: string, fetched: string) => ({
      id,
      type: 'flexlm' as const,
      fetch: async () => ({ ...parseLmstat(text, { now: new Date(fetched), timeZone: 'UTC' }), serverId: id }),
    });
    const svc = new SnapshotService([
      { config: config('ahead', 'flexlm'), source: source('ahead', '2018-01-02T09:05:00Z') },
      { config: config('fine', 'flexlm'), source: source('fine', '2018-01-02T09:15:40Z') },
      { config: config('file', 'flexlm-file'), source: source('file', '2018-01-02T09:05:00Z') },
    ]);
    const ahead = await svc.get('ahead');
    expect(ahead.clockSkewSeconds).toBe(600);
    expect(ahead.verdict.issues.map((i) => [i.code, i.actual])).toEqual([['CLOCK_SKEW', 600]]);
    expect(ahead.verdict.valid).toBe(true);
    const fine = await svc.get('fine');
    expect(fine.clockSkewSeconds).toBe(-40);
    expect(fine.verdict.issues).toEqual([]);
    expect((await svc.get('file')).clockSkewSeconds).toBeNull();
  });
});
