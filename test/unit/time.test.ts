/**
 * src/domain/time.ts: reading the year-less, zone-less start times license servers print.
 */
import {
  formatLmstatTime,
  inferInstant,
  inferStartedAt,
  isValidTimeZone,
  parseWallTime,
  wallClock,
  zonedTimeToUtc,
  zoneOffsetMs,
} from '../../src/domain/time';

const utc = (iso: string) => new Date(iso);

describe('parseWallTime', () => {
  it('reads the lmstat and rlmstat forms', () => {
    expect(parseWallTime('Mon 1/20 10:30')).toEqual({ month: 1, day: 20, hour: 10, minute: 30, second: 0, dow: 1 });
    expect(parseWallTime('11/03 11:43')).toEqual({
      month: 11,
      day: 3,
      hour: 11,
      minute: 43,
      second: 0,
      dow: undefined,
    });
    expect(parseWallTime('01/20 10:30:15')).toMatchObject({ month: 1, day: 20, hour: 10, minute: 30, second: 15 });
    expect(parseWallTime('Sat 12/31 23:59 (linger: 14437140)')).toMatchObject({
      month: 12,
      day: 31,
      hour: 23,
      minute: 59,
      dow: 6,
    });
  });

  it.each(['13/40 25:99', '', 'garbage', '12/31', '0/10 10:00', '12/32 10:00', '12/31 24:00', '12/31 23:60'])(
    'rejects %p',
    (raw) => {
      expect(parseWallTime(raw)).toBeNull();
    },
  );
});

describe('inferStartedAt', () => {
  it('crosses a year end: Sat 12/31 23:59 read on 2012-01-02 is 2011-12-31', () => {
    expect(inferStartedAt('Sat 12/31 23:59', utc('2012-01-02T10:00:00Z'), 'UTC')).toBe('2011-12-31T23:59:00.000Z');
    expect(inferStartedAt('Sun 1/1 0:05', utc('2012-01-02T10:00:00Z'), 'UTC')).toBe('2012-01-01T00:05:00.000Z');
    // without a weekday too
    expect(inferStartedAt('12/31 23:59', utc('2012-01-02T10:00:00Z'), 'UTC')).toBe('2011-12-31T23:59:00.000Z');
  });

  it('same day, earlier: this year', () => {
    expect(inferStartedAt('11/03 11:43', utc('2021-11-03T13:00:00Z'), 'UTC')).toBe('2021-11-03T11:43:00.000Z');
    expect(inferStartedAt('Wed 11/3 11:43', utc('2021-11-03T13:00:00Z'), 'UTC')).toBe('2021-11-03T11:43:00.000Z');
  });

  it('a minute in the future is clock skew, not last year', () => {
    expect(inferStartedAt('11/03 13:01', utc('2021-11-03T13:00:00Z'), 'UTC')).toBe('2021-11-03T13:01:00.000Z');
    // beyond the skew tolerance (5 min) it is last year's date
    expect(inferStartedAt('11/03 13:30', utc('2021-11-03T13:00:00Z'), 'UTC')).toBe('2020-11-03T13:30:00.000Z');
  });

  it('Feb 29: the weekday picks the leap year', () => {
    const now = utc('2013-06-01T00:00:00Z');
    expect(inferStartedAt('Wed 2/29 10:00', now, 'UTC')).toBe('2012-02-29T10:00:00.000Z');
    expect(inferStartedAt('Fri 2/29 10:00', now, 'UTC')).toBe('2008-02-29T10:00:00.000Z');
    expect(inferStartedAt('2/29 10:00', now, 'UTC')).toBe('2012-02-29T10:00:00.000Z');
  });

  it('the weekday picks the year, up to 7 years back', () => {
    // 1/20/2021 was a Wednesday, 1/20/2020 a Monday, 1/20/2015 a Tuesday
    expect(inferStartedAt('Mon 1/20 10:30', utc('2021-02-01T00:00:00Z'), 'UTC')).toBe('2020-01-20T10:30:00.000Z');
    expect(inferStartedAt('Tue 1/20 10:30', utc('2021-02-01T00:00:00Z'), 'UTC')).toBe('2015-01-20T10:30:00.000Z');
  });

  it('a weekday that matches no year in reach falls back to the most recent date', () => {
    // no Feb 29 between 2006 and 2014 is a Monday (2012: Wed, 2008: Fri)
    expect(inferStartedAt('Mon 2/29 10:00', utc('2013-06-01T00:00:00Z'), 'UTC')).toBe('2012-02-29T10:00:00.000Z');
  });

  it('reads the wall clock in the server zone, with DST (Europe/Berlin)', () => {
    expect(inferStartedAt('07/15 12:00', utc('2021-08-01T00:00:00Z'), 'Europe/Berlin')).toBe(
      '2021-07-15T10:00:00.000Z',
    );
    expect(inferStartedAt('01/15 12:00', utc('2021-08-01T00:00:00Z'), 'Europe/Berlin')).toBe(
      '2021-01-15T11:00:00.000Z',
    );
  });

  it('reads the wall clock in the server zone, with DST (America/New_York)', () => {
    expect(inferStartedAt('Thu 7/15 12:00', utc('2021-08-01T00:00:00Z'), 'America/New_York')).toBe(
      '2021-07-15T16:00:00.000Z',
    );
    expect(inferStartedAt('Fri 1/15 12:00', utc('2021-08-01T00:00:00Z'), 'America/New_York')).toBe(
      '2021-01-15T17:00:00.000Z',
    );
  });

  it('the zone decides the date near midnight', () => {
    // 23:30 on 12/31 in New York is already 04:30 UTC on 1/1
    expect(inferStartedAt('12/31 23:30', utc('2022-01-01T05:00:00Z'), 'America/New_York')).toBe(
      '2022-01-01T04:30:00.000Z',
    );
    // read in UTC the same text is a day earlier and still in the past
    expect(inferStartedAt('12/31 23:30', utc('2022-01-01T05:00:00Z'), 'UTC')).toBe('2021-12-31T23:30:00.000Z');
  });

  it.each(['13/40 25:99', '', 'garbage'])('returns null for %p', (raw) => {
    expect(inferStartedAt(raw, utc('2021-11-03T13:00:00Z'), 'UTC')).toBeNull();
  });

  it('returns null for an invalid now, falls back to the process zone for an invalid zone', () => {
    expect(inferStartedAt('11/03 11:43', new Date(NaN), 'UTC')).toBeNull();
    // at the very edge of what Date holds: no throw
    expect(() => inferStartedAt('12/31 23:59', new Date(8.64e15), 'Europe/Berlin')).not.toThrow();
    expect(() => inferStartedAt('1/1 00:00', new Date(-8.64e15), 'UTC')).not.toThrow();
    expect(isValidTimeZone('Not/AZone')).toBe(false);
    expect(inferInstant('11/03 11:43', utc('2021-11-03T13:00:00Z'), 'Not/AZone')).toBeInstanceOf(Date);
  });

  it('never answers a time after now + skew', () => {
    const now = utc('2024-02-29T12:00:00Z');
    for (const raw of ['2/29 12:06', '12/31 23:59', '1/1 00:00', 'Thu 2/29 11:00', '3/1 00:00']) {
      const d = inferInstant(raw, now, 'Europe/Berlin');
      expect(d).not.toBeNull();
      expect(d!.getTime()).toBeLessThanOrEqual(now.getTime() + 5 * 60 * 1000);
    }
  });
});

describe('DST transitions (zonedTimeToUtc)', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  it('gaps resolve forward', () => {
    // 02:30 does not exist on 2021-03-28 in Berlin (02:00 CET -> 03:00 CEST): it becomes 03:30 CEST
    expect(iso(zonedTimeToUtc(2021, 3, 28, 2, 30, 0, 'Europe/Berlin'))).toBe('2021-03-28T01:30:00.000Z');
    // 02:30 does not exist on 2021-03-14 in New York: it becomes 03:30 EDT
    expect(iso(zonedTimeToUtc(2021, 3, 14, 2, 30, 0, 'America/New_York'))).toBe('2021-03-14T07:30:00.000Z');
  });
  it('overlaps resolve to the earlier instant', () => {
    // 02:30 happens twice on 2021-10-31 in Berlin (CEST 00:30Z, then CET 01:30Z)
    expect(iso(zonedTimeToUtc(2021, 10, 31, 2, 30, 0, 'Europe/Berlin'))).toBe('2021-10-31T00:30:00.000Z');
    // 01:30 happens twice on 2021-11-07 in New York (EDT 05:30Z, then EST 06:30Z)
    expect(iso(zonedTimeToUtc(2021, 11, 7, 1, 30, 0, 'America/New_York'))).toBe('2021-11-07T05:30:00.000Z');
  });
  it('the day after a transition uses the new offset', () => {
    expect(iso(zonedTimeToUtc(2021, 3, 29, 0, 30, 0, 'Europe/Berlin'))).toBe('2021-03-28T22:30:00.000Z');
    expect(zoneOffsetMs(Date.UTC(2021, 6, 1), 'Europe/Berlin')).toBe(2 * 3600_000);
    expect(zoneOffsetMs(Date.UTC(2021, 0, 1), 'America/New_York')).toBe(-5 * 3600_000);
  });
  it('round-trips every hour of a DST year through wallClock', () => {
    for (const tz of ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe']) {
      for (let ms = Date.UTC(2021, 0, 1); ms < Date.UTC(2022, 0, 1); ms += 3600_000 * 29 + 60_000) {
        const w = wallClock(ms, tz);
        const back = zonedTimeToUtc(w.year, w.month, w.day, w.hour, w.minute, w.second, tz);
        // in an overlap the earlier of the two instants comes back; otherwise the same one
        expect(back === ms || (back < ms && ms - back <= 3600_000)).toBe(true);
        const w2 = wallClock(back, tz);
        expect([w2.year, w2.month, w2.day, w2.hour, w2.minute]).toEqual([w.year, w.month, w.day, w.hour, w.minute]);
      }
    }
  });
});

describe('formatLmstatTime', () => {
  it('prints the lmstat form', () => {
    expect(formatLmstatTime(utc('2014-01-20T10:30:00Z'), 'UTC')).toBe('Mon 1/20 10:30');
    expect(formatLmstatTime(utc('2021-07-15T10:05:00Z'), 'Europe/Berlin')).toBe('Thu 7/15 12:05');
    expect(formatLmstatTime(utc('2021-01-04T00:00:00Z'), 'UTC')).toBe('Mon 1/4 0:00');
    // an invalid Date prints nothing rather than throwing
    expect(formatLmstatTime(new Date(NaN), 'UTC')).toBe('');
  });

  it('round-trips through inferStartedAt (to the minute) in several zones', () => {
    const now = utc('2024-03-01T09:17:42Z');
    for (const tz of ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata']) {
      for (let back = 0; back < 400 * 86400_000; back += 86400_000 * 13 + 3600_000 * 5 + 60_000 * 7) {
        const t = new Date(now.getTime() - back);
        const text = formatLmstatTime(t, tz);
        const expected = new Date(Math.floor(t.getTime() / 60_000) * 60_000).toISOString();
        const got = inferStartedAt(text, now, tz);
        // an instant in a DST overlap's second hour reads back as the first
        if (got !== expected) expect(new Date(expected).getTime() - new Date(got!).getTime()).toBe(3600_000);
        else expect(got).toBe(expected);
      }
    }
  });
});
