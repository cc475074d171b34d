/**
 * parseDebugLog on the real FlexLM debug logs of test/fixtures/debuglog (counts checked against a grep-like count of
 * the raw lines AND against MANIFEST.tsv; first and last dates exactly) and on hand-made logs
 * (test/fixtures/hand-made/flexlm-log, every field of every event: midnight, TIMESTAMP lines, a DST change, counts,
 * each event type and reason kind, error codes), plus the identity of events.
 */
import {
  eventKey,
  hashKey,
  parseDebugLog,
  type DebugLogEvent,
  type DebugLogResult,
} from '../../src/sources/flexlm/debuglog';
import { loadManifest, readFixture } from '../helpers/fixtures';

const AUTODESK = 'debuglog/ImSukh__FlexLM-Log-Parser__debug.log.txt';
const MSC = 'debuglog/lutzpeschlow__parse_lmgrd_log__lmgrd_anonym.log.txt';
const SIEMENS = 'debuglog/radixy0__flexlm_analysis_modified__splm_ugslmd.log.txt';
const MIDNIGHT = 'hand-made/flexlm-log/cdslmd-midnight.log';
const DST = 'hand-made/flexlm-log/dst-new-york.log';

/** Independent count: "<anything> (<daemon>) OUT|IN|DENIED: "<feature>"" per type and feature, by regex over raw lines. */
function grepCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\S+ \([^)]+\) (OUT|IN|DENIED): "([^"]+)"/.exec(line);
    if (m) counts.set(`${m[1]} ${m[2]}`, (counts.get(`${m[1]} ${m[2]}`) ?? 0) + 1);
  }
  return counts;
}

function parsedCounts(r: DebugLogResult): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of r.events)
    if (e.type === 'OUT' || e.type === 'IN' || e.type === 'DENIED')
      counts.set(`${e.type} ${e.feature}`, (counts.get(`${e.type} ${e.feature}`) ?? 0) + 1);
  return counts;
}

function totals(counts: Map<string, number>): Record<string, number> {
  const t: Record<string, number> = { OUT: 0, IN: 0, DENIED: 0 };
  for (const [k, n] of counts) t[k.split(' ')[0]] += n;
  return t;
}

/** "(debug log event lines) OUT=170;IN=168;DENIED=2" from MANIFEST.tsv. */
function manifestTotals(file: string): Record<string, number> {
  const raw = loadManifest().find((r) => r.file === file)!.raw.features_issued_inuse;
  const t: Record<string, number> = { OUT: 0, IN: 0, DENIED: 0 };
  for (const [, k, n] of raw.matchAll(/(OUT|IN|DENIED)=(\d+)/g)) t[k] = Number(n);
  return t;
}

function checkSummary(r: DebugLogResult): void {
  const s = r.summary;
  expect(s.events + s.dateLines + s.ignored + s.blank + s.unparsed).toBe(s.lines);
  expect(s.events).toBe(r.events.length);
  expect(r.unparsed.count).toBe(s.unparsed);
  expect(new Set(r.events.map((e) => e.id)).size).toBe(r.events.length);
  for (const e of r.events)
    expect(e.id).toBe(
      hashKey(eventKey(e, r.events.filter((x) => x.line < e.line && eventKey(x, 0) === eventKey(e, 0)).length)),
    );
}

describe('real debug logs', () => {
  const cases = [
    {
      file: AUTODESK,
      tz: 'America/New_York',
      manifest: { OUT: 170, IN: 168, DENIED: 2 },
      first: '2018-07-27T19:49:22.000Z',
      last: '2018-08-09T18:37:34.000Z',
      dates: ['2018-07-27', '2018-08-09'],
    },
    {
      file: MSC,
      tz: 'Europe/Paris',
      manifest: { OUT: 21, IN: 21, DENIED: 0 },
      first: '2026-03-08T15:12:16.000Z',
      last: '2026-03-08T16:09:27.000Z',
      dates: ['2026-03-08', '2026-03-08'],
    },
    {
      file: SIEMENS,
      tz: 'Europe/Berlin',
      manifest: { OUT: 2, IN: 2, DENIED: 0 },
      first: '2021-03-21T11:49:39.000Z',
      last: null,
      dates: ['2021-03-21', '2021-03-21'],
    },
  ];

  test.each(cases)(
    '$file: per-feature OUT/IN/DENIED as grep counts them, totals as MANIFEST.tsv states',
    ({ file, tz, manifest }) => {
      const text = readFixture(file);
      const r = parseDebugLog(text, { timeZone: tz });
      const grep = grepCounts(text);
      expect(parsedCounts(r)).toEqual(grep);
      expect(totals(grep)).toEqual(manifest);
      expect(manifestTotals(file)).toEqual(manifest);
      expect(r.summary.byType).toEqual({ ...manifest, QUEUED: 0, DEQUEUED: 0, UNSUPPORTED: 0 });
      checkSummary(r);
    },
  );

  test.each(cases)('$file: first and last events dated exactly', ({ file, tz, first, last, dates }) => {
    const r = parseDebugLog(readFixture(file), { timeZone: tz });
    expect(r.events[0].at).toBe(first);
    expect(r.events[r.events.length - 1].at).toBe(last);
    expect([r.summary.firstDate, r.summary.lastDate]).toEqual(dates);
  });

  test('Autodesk: counts per feature, the denials with their error code, every line classed', () => {
    const r = parseDebugLog(readFixture(AUTODESK), { timeZone: 'America/New_York' });
    const c = parsedCounts(r);
    // counted once by hand with grep -oE '\) (OUT|IN|DENIED): "[^"]+"' | sort | uniq -c
    expect(Object.fromEntries([...c].sort())).toEqual({
      'DENIED 64300ACD_F': 1,
      'DENIED 86604ACD_2017_0F': 1,
      'IN 64300ACD_F': 2,
      'IN 86604ACD_2017_0F': 3,
      'IN 866333DSMAX_2017_0F': 1,
      'IN 86718CIV3D_2017_0F': 63,
      'IN 86719MAP_2017_0F': 1,
      'IN 86815AECCOL_T_F': 82,
      'IN 87140CIV3D_2019_0F': 16,
      'OUT 64300ACD_F': 2,
      'OUT 86604ACD_2017_0F': 3,
      'OUT 866333DSMAX_2017_0F': 1,
      'OUT 86718CIV3D_2017_0F': 64,
      'OUT 86719MAP_2017_0F': 1,
      'OUT 86815AECCOL_T_F': 83,
      'OUT 87140CIV3D_2019_0F': 16,
    });
    const denied = r.events.filter((e) => e.type === 'DENIED');
    expect(denied.map(({ id, ...e }) => e)).toEqual(
      ['64300ACD_F', '86604ACD_2017_0F'].map((feature, i) => ({
        type: 'DENIED',
        at: '2018-07-30T19:28:58.000Z',
        time: '15:28:58',
        vendor: 'adskflex',
        feature,
        user: 'TonyMontana',
        host: 'ANOTHERONE',
        count: 1,
        token: null,
        reason: 'Licensed number of users already reached. (-4,342)',
        reasonKind: 'ERROR',
        errorCode: '-4,342',
        detail: null,
        line: 841 + i,
      })),
    );
    // 3,598 lines: 340 events, 102 TIMESTAMP lines + the banners and SLOG "Start-Date:"/"Time:" lines, no unparsed line
    expect(r.summary).toMatchObject({ lines: 3598, events: 340, unparsed: 0, blank: 0, undated: 0 });
    expect(r.summary.dateLines).toBeGreaterThanOrEqual(102);
    expect(r.warnings).toEqual([]);
  });

  test('MSC (CRLF): token-style lines keep their [VENDOR:SUB] part and counts; IN lines at shutdown', () => {
    const text = readFixture(MSC);
    expect(text.includes('\r\n')).toBe(true);
    const r = parseDebugLog(text, { timeZone: 'Europe/Paris' });
    expect(
      r.events.every(
        (e) =>
          e.feature === 'MSCONE' && e.user === 'user_01' && e.host === 'machine_01' && e.token?.startsWith('MSCONE:'),
      ),
    ).toBe(true);
    const { id, ...first } = r.events[0];
    expect(first).toEqual({
      type: 'OUT',
      at: '2026-03-08T15:12:16.000Z',
      time: '16:12:16',
      vendor: 'MSC',
      feature: 'MSCONE',
      user: 'user_01',
      host: 'machine_01',
      count: 60,
      token: 'MSCONE:ODYSSEE_CAE',
      reason: null,
      reasonKind: null,
      errorCode: null,
      detail: null,
      line: 244,
    });
    const shutdown = r.events.filter((e) => e.reasonKind === 'SHUTDOWN');
    expect(shutdown.map((e) => [e.token, e.count])).toEqual([
      ['MSCONE:ODYSSEE_CAE', 60],
      ['MSCONE:ADAMS_View', 5],
      ['MSCONE:MSC_Apex_Modeler', 15],
      ['MSCONE:MSC_Apex_Structures', 5],
      ['MSCONE:ADAMS_View', 5],
      ['MSCONE:ADAMS_Car_Plugin', 1],
      ['MSCONE:MSC_Apex_Modeler', 15],
      ['MSCONE:MSC_Apex_Structures', 5],
    ]);
    // licenses out = licenses in, per token (everything checked out was checked in by the end)
    const net = new Map<string, number>();
    for (const e of r.events) net.set(e.token!, (net.get(e.token!) ?? 0) + (e.type === 'OUT' ? e.count : -e.count));
    expect([...net.values()].every((n) => n === 0)).toBe(true);
    // the one line it cannot place: a wrapped "Usage records are being written to:" line
    expect(r.unparsed).toEqual({
      count: 1,
      samples: [
        {
          line: 241,
          text: '(@MSC-INFO@)    16:12:08 (MSC) C:\\MSC.Software\\MSC Licensing\\Beryllium\\LOG\\mscusage_2026-03-08.ddu',
          why: 'no-time',
        },
      ],
    });
    checkSummary(r);
  });

  test('Siemens: the corrupted times are events kept without a date, with a warning each', () => {
    const r = parseDebugLog(readFixture(SIEMENS), { timeZone: 'Europe/Berlin' });
    expect(r.events.map((e) => [e.type, e.time, e.at, e.user])).toEqual([
      ['OUT', '12:49:39', '2021-03-21T11:49:39.000Z', 'waschkor'],
      ['IN', '12:49:53', '2021-03-21T11:49:53.000Z', 'waschkor'],
      ['OUT', '12:49:3a9', null, 'waschkor2'],
      ['IN', '12:49:5a3', null, 'waschkor2'],
    ]);
    expect(r.summary.undated).toBe(2);
    expect(r.warnings.map((w) => [w.code, w.line])).toEqual([
      ['UNDATED_EVENTS', undefined],
      ['BAD_TIME', 96],
      ['BAD_TIME', 97],
    ]);
  });

  test('a rotated log (the same log from a later date line on) gives the shared events the same ids', () => {
    const text = readFixture(AUTODESK);
    const lines = text.split('\n');
    const from = lines.findIndex((l) => l.includes('TIMESTAMP 7/30/2018'));
    const whole = parseDebugLog(text, { timeZone: 'America/New_York' });
    const tail = parseDebugLog(lines.slice(from).join('\n'), { timeZone: 'America/New_York' });
    const shared = whole.events.filter((e) => e.line > from);
    expect(tail.events.length).toBe(shared.length);
    expect(tail.events.map((e) => e.id)).toEqual(shared.map((e) => e.id));
    expect(tail.events.map((e) => e.line + from)).toEqual(shared.map((e) => e.line));
  });
});

function fields(e: DebugLogEvent): Omit<DebugLogEvent, 'id'> {
  const { id, ...rest } = e;
  return rest;
}

const ev = (
  line: number,
  type: DebugLogEvent['type'],
  at: string | null,
  time: string,
  feature: string,
  user: string,
  host: string,
  more: Partial<DebugLogEvent> = {},
): Omit<DebugLogEvent, 'id'> => ({
  type,
  at,
  time,
  vendor: 'cdslmd',
  feature,
  user,
  host,
  count: 1,
  token: null,
  reason: null,
  reasonKind: null,
  errorCode: null,
  detail: null,
  line,
  ...more,
});

describe('hand-made logs: every field of every event', () => {
  const LIMIT = 'Licensed number of users already reached.';
  const expected = (firstAt: string | null) => [
    ev(2, 'OUT', firstAt, '9:00:01', 'Virtuoso', 'early', 'ws-100'),
    ev(7, 'OUT', '2026-11-30T08:14:02.000Z', '9:14:02', 'Spectre', 'maria', 'ws-101', { count: 3 }),
    ev(8, 'IN', '2026-11-30T08:20:44.000Z', '9:20:44', 'Spectre', 'maria', 'ws-101', {
      reason: 'INACTIVE',
      reasonKind: 'INACTIVE',
    }),
    ev(9, 'DENIED', '2026-11-30T08:52:09.000Z', '9:52:09', 'Spectre', 'tom', 'farm-02', {
      reason: `${LIMIT} (-4,342:10054 "")`,
      reasonKind: 'ERROR',
      errorCode: '-4,342:10054',
    }),
    ev(10, 'QUEUED', '2026-11-30T08:52:10.000Z', '9:52:10', 'Spectre', 'tom', 'farm-02', {
      reason: `${LIMIT} (-4,342)`,
      reasonKind: 'ERROR',
      errorCode: '-4,342',
    }),
    ev(11, 'DEQUEUED', '2026-11-30T09:05:00.000Z', '10:05:00', 'Spectre', 'tom', 'farm-02'),
    ev(12, 'OUT', '2026-11-30T09:05:00.000Z', '10:05:00', 'Spectre', 'tom', 'farm-02'),
    ev(15, 'UNSUPPORTED', '2026-11-30T10:00:00.000Z', '11:00:00', 'Calibre', 'ann lee', 'ws-7', {
      reason: 'License server system does not support this feature. (-18,327:10054 "")',
      reasonKind: 'ERROR',
      errorCode: '-18,327:10054',
      detail: 'PORT_AT_HOST_PLUS',
    }),
    ev(16, 'OUT', '2026-11-30T22:59:58.000Z', '23:59:58', 'Spectre', 'night', 'farm-03', { count: 2 }),
    ev(18, 'IN', '2026-11-30T23:10:00.000Z', '0:10:00', 'Spectre', 'night', 'farm-03', { count: 2 }), // after midnight and the TIMESTAMP
    ev(19, 'IN', '2026-12-01T07:00:00.000Z', '8:00:00', 'Spectre', 'tom', 'farm-02', {
      reason: 'REMOVED',
      reasonKind: 'OTHER',
    }),
    ev(20, 'OUT', '2026-12-01T22:30:00.000Z', '23:30:00', 'Spectre', 'maria', 'ws-101', { count: 1 }),
    ev(21, 'IN', '2026-12-01T23:30:00.000Z', '0:30:00', 'Spectre', 'maria', 'ws-101'), // midnight without a TIMESTAMP
    ev(22, 'IN', '2026-12-02T01:00:00.000Z', '2:00:00', 'Virtuoso', 'early', 'ws-100', {
      reason: 'SHUTDOWN',
      reasonKind: 'SHUTDOWN',
    }),
  ];

  test('cdslmd-midnight.log in Europe/Berlin: the event before the banner has no date, and says so', () => {
    const r = parseDebugLog(readFixture(MIDNIGHT), { timeZone: 'Europe/Berlin' });
    expect(r.events.map(fields)).toEqual(expected(null));
    expect(r.summary).toEqual({
      lines: 22,
      events: 14,
      dateLines: 2,
      ignored: 3,
      blank: 1,
      unparsed: 2,
      undated: 1,
      firstDate: '2026-11-30',
      lastDate: '2026-12-02',
      byType: { OUT: 5, IN: 5, DENIED: 1, QUEUED: 1, DEQUEUED: 1, UNSUPPORTED: 1 },
    });
    expect(r.unparsed.samples).toEqual([
      { line: 13, text: '10:30:00 (cdslmd) OUT: Spectre tom@farm-02', why: 'bad-event' },
      { line: 14, text: 'continued text of a wrapped line', why: 'no-time' },
    ]);
    expect(r.warnings.map((w) => w.code)).toEqual(['UNDATED_EVENTS']);
    expect(r.warnings[0].message).toMatch(/^1 event\(s\) have no date \(at: null\), the first on line 2:/);
    checkSummary(r);
  });

  test('with a fallback date the early event is dated; CRLF and a BOM change nothing', () => {
    const text = readFixture(MIDNIGHT);
    const r = parseDebugLog(text, { timeZone: 'Europe/Berlin', fallbackDate: '2026-11-30' });
    expect(r.events.map(fields)).toEqual(expected('2026-11-30T08:00:01.000Z'));
    expect(r.warnings).toEqual([]);
    const crlf = parseDebugLog('\ufeff' + text.replace(/\n/g, '\r\n'), {
      timeZone: 'Europe/Berlin',
      fallbackDate: '2026-11-30',
    });
    expect(crlf.events).toEqual(r.events);
    expect(crlf.summary).toEqual(r.summary);
  });

  test('dst-new-york.log: the skipped hour in March, the repeated hour in November is not a midnight', () => {
    const r = parseDebugLog(readFixture(DST), { timeZone: 'America/New_York' });
    const d = (line: number, type: 'OUT' | 'IN', at: string, time: string, user: string, host: string) => ({
      ...ev(line, type, at, time, 'Solver', user, host),
      vendor: 'vendord',
    });
    expect(r.events.map(fields)).toEqual([
      d(2, 'OUT', '2026-03-08T06:59:00.000Z', '1:59:00', 'ann', 'n1'), // EST
      d(3, 'IN', '2026-03-08T07:00:00.000Z', '3:00:00', 'ann', 'n1'), // EDT, one minute later
      d(4, 'OUT', '2026-03-08T07:00:00.000Z', '3:00:00', 'ann', 'n1'),
      d(5, 'OUT', '2026-03-08T07:00:00.000Z', '3:00:00', 'ann', 'n1'),
      d(7, 'OUT', '2026-11-01T05:30:00.000Z', '1:30:00', 'bob', 'n2'), // EDT
      d(8, 'OUT', '2026-11-01T05:59:59.000Z', '1:59:59', 'cy', 'n3'),
      d(9, 'IN', '2026-11-01T06:00:00.000Z', '1:00:00', 'bob', 'n2'), // EST: the clock stepped back, same day
      d(10, 'IN', '2026-11-01T06:30:00.000Z', '1:30:00', 'cy', 'n3'),
      d(11, 'OUT', '2026-11-01T07:30:00.000Z', '2:30:00', 'bob', 'n2'),
      d(12, 'IN', '2026-11-02T04:00:00.000Z', '23:00:00', 'bob', 'n2'),
      d(13, 'OUT', '2026-11-02T06:00:00.000Z', '1:00:00', 'dee', 'n4'), // a real midnight on the next day
    ]);
    // two identical OUTs in the same second: distinct ids (occurrence 0 and 1)
    const [a, b] = [r.events[2], r.events[3]];
    expect(a.id).toBe(hashKey(eventKey(a, 0)));
    expect(b.id).toBe(hashKey(eventKey(b, 1)));
    checkSummary(r);
  });

  test('the same log read in another zone moves every instant by the offset, and ids follow the instants', () => {
    const berlin = parseDebugLog(readFixture(MIDNIGHT), { timeZone: 'Europe/Berlin' });
    const utc = parseDebugLog(readFixture(MIDNIGHT), { timeZone: 'UTC' });
    const dated = (r: DebugLogResult) => r.events.filter((e) => e.at !== null);
    expect(dated(utc).map((e) => Date.parse(e.at!) - 3_600_000)).toEqual(dated(berlin).map((e) => Date.parse(e.at!)));
    expect(dated(utc).some((e, i) => e.id === dated(berlin)[i].id)).toBe(false);
  });

  test('bad options: UTC and no fallback, with warnings; events identical otherwise', () => {
    const r = parseDebugLog(readFixture(MIDNIGHT), { timeZone: 'Mars/Base', fallbackDate: '2026-02-30' });
    expect(r.timeZone).toBe('UTC');
    expect(r.warnings.map((w) => w.code)).toEqual(['UNDATED_EVENTS', 'BAD_TIME_ZONE', 'BAD_FALLBACK_DATE']);
    expect(r.events).toEqual(parseDebugLog(readFixture(MIDNIGHT), { timeZone: 'UTC' }).events);
  });

  test('identity ignores where the line is: the same events behind other lines get the same ids', () => {
    const text = readFixture(MIDNIGHT);
    const padded = text.replace('\n', '\n 9:00:00 (lmgrd) chatter\n 9:00:00 (lmgrd) more chatter\n');
    const a = parseDebugLog(text, { timeZone: 'Europe/Berlin' });
    const b = parseDebugLog(padded, { timeZone: 'Europe/Berlin' });
    expect(b.events.map((e) => e.id)).toEqual(a.events.map((e) => e.id));
    expect(b.events.map((e) => e.line - 2)).toEqual(a.events.map((e) => e.line));
  });
});
