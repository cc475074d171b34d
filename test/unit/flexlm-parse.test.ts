/**
 * parseLmstat against every real `lmstat -a` output of test/fixtures (numbers from MANIFEST.tsv), then one
 * focused test per construct, each on a line copied from a fixture (the file is named in the test and the
 * test checks that the line really is in it).
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseLmstat } from '../../src/sources/flexlm';
import { inferStartedAt } from '../../src/domain/time';
import type { Checkout, Feature, Snapshot } from '../../src/domain/snapshot';
import { cpuTimed } from '../helpers/clock';
import { loadManifest, readFixture, type ManifestRow } from '../helpers/fixtures';

const APP = (n: string) => `lmstat/mjtrangoni__flexlm_exporter__lmstat_${n}.txt`;
const CHARLES = (n: string) => `lmstat/CharlesWB__LicenseStatus__lmstat-${n}.log.txt`;
const EXTRA = path.resolve(__dirname, '../fixtures/hand-made/flexlm');

const describeFixtures = describe;

function parseFixture(rel: string, now = '2025-06-01T00:00:00Z'): Snapshot {
  return parseLmstat(readFixture(rel), { now: new Date(now), timeZone: 'UTC', serverId: 'test' });
}

/** The checkout built from one real line, wrapped in a minimal feature block. */
function checkoutOf(fixture: string, line: string, now: string): Checkout {
  expect(readFixture(fixture).split(/\r?\n/)).toContain(line); // the line is real, copied verbatim
  const text = [
    'Users of F:  (Total of 99 licenses issued;  Total of 1 license in use)',
    '',
    '  "F" v1.0, vendor: v',
    '  floating license',
    '',
    line,
    '',
  ].join('\n');
  const snap = parseLmstat(text, { now: new Date(now), timeZone: 'UTC' });
  expect(snap.warnings.filter((w) => w.code === 'UNPARSED_LINE')).toEqual([]);
  expect(snap.features).toHaveLength(1);
  expect(snap.features[0].checkouts).toHaveLength(1);
  return snap.features[0].checkouts[0];
}

function seats(f: Feature): number {
  return f.checkouts.reduce((a, c) => a + c.count, 0);
}

// ---------------------------------------------------------------------------------------------------------

describeFixtures('parseLmstat: every lmstat -a fixture against MANIFEST.tsv', () => {
  const rows = loadManifest().filter((r) => r.kind === 'lmstat-a');

  it('has the lmstat -a fixtures', () => {
    expect(rows.length).toBeGreaterThanOrEqual(12);
  });

  describe.each(rows.map((r): [string, ManifestRow] => [path.basename(r.file), r]))('%s', (_name, row) => {
    const snap = parseFixture(row.file);

    it('lists the features of the manifest, in order (a block printed twice stays twice)', () => {
      expect(snap.features.map((f) => f.name)).toEqual(row.features.map((f) => f.name));
    });

    it('reads issued / in use as the header lines state them', () => {
      // Where repo_test_expectations records another number (flexlm_exporter: app1 feature5 used=4 because the
      // exporter adds the 2 queued lines to the header's 2 in use; app5 Communication_Toolbox issued=2 used=0,
      // a value of another fixture), we follow the file's own header, which is what the manifest columns say:
      // "in use" is what the server reported; queued requests are kept apart in feature.queued.
      row.features.forEach((exp, i) => {
        const f = snap.features[i];
        if (exp.kind === 'counts') {
          expect({ name: f.name, issued: f.issued, used: f.used, uncounted: f.uncounted, error: f.error }).toEqual({
            name: exp.name,
            issued: exp.issued,
            used: exp.used,
            uncounted: false,
            error: null,
          });
        } else if (exp.kind === 'uncounted') {
          expect({ name: f.name, uncounted: f.uncounted, issued: f.issued, used: f.used }).toEqual({
            name: exp.name,
            uncounted: true,
            issued: null,
            used: null,
          });
        } else {
          expect(f.error).toBeTruthy();
          expect(f.used).toBeNull();
          if (exp.error === 'cannot-get-users') {
            expect(f.error!.code).toBe('CANNOT_GET_USERS');
            expect(f.issued).toBeNull();
          } else {
            expect(exp.error).toBe('unsupported');
            expect(f.error!.code).toBe('UNSUPPORTED');
            expect(f.issued).toBe(exp.count);
          }
        }
      });
    });

    it('finds the checkout lines of each feature block', () => {
      expect(snap.features.map((f) => [f.name, f.checkouts.length])).toEqual(
        row.checkoutLines.map((c) => [c.name, c.lines]),
      );
    });

    it('sums the ", N licenses" seats', () => {
      for (const { name, seats: n } of row.seatSums) {
        expect([name, seats(snap.features.find((f) => f.name === name)!)]).toEqual([name, n]);
      }
    });

    it('counts reservation and queued lines', () => {
      const spec = row.queuedOrReservations;
      const expected = new Map<string, number>(); // "feature42:reservation_lines" -> n, per block in order
      const actual = new Map<string, number>();
      let i = 0;
      for (const part of spec.split(';').filter(Boolean)) {
        const m = /^(.+):(reservation_lines|queued)=(\d+)$/.exec(part)!;
        expected.set(`${i++}:${m[1]}:${m[2]}`, Number(m[3]));
      }
      i = 0;
      for (const f of snap.features) {
        if (f.reservations.length) actual.set(`${i++}:${f.name}:reservation_lines`, f.reservations.length);
        if (f.queued.length) actual.set(`${i++}:${f.name}:queued`, f.queued.length);
      }
      expect(actual).toEqual(expected);
    });

    it('places every line (no UNPARSED_LINE) and is UP', () => {
      expect(
        snap.warnings.filter((w) => w.code === 'UNPARSED_LINE' || w.code === 'BAD_DATE' || w.code === 'BAD_COUNT'),
      ).toEqual([]);
      expect(snap.status).toBe('UP');
      expect(snap.error).toBeNull();
      expect(snap.sourceType).toBe('flexlm');
      expect(snap.serverId).toBe('test');
    });

    it('infers every start time as inferStartedAt(startTime, anchor, timeZone) does (anchor: the "status on" line, else now)', () => {
      const anchor = new Date(snap.capturedAt ?? '2025-06-01T00:00:00Z');
      for (const f of snap.features) {
        for (const c of f.checkouts)
          expect([c.startTime, c.startedAt]).toEqual([c.startTime, inferStartedAt(c.startTime, anchor, 'UTC')]);
      }
    });

    it('keeps no carriage return or BOM in any string', () => {
      const json = JSON.stringify(snap);
      expect(json).not.toMatch(/\\r|\\ufeff|\ufeff/);
    });
  });
});

describeFixtures('parseLmstat: lmstat -v banners are not status outputs', () => {
  it.each([APP('new'), APP('old')])('%s -> UNKNOWN with NOT_STATUS_OUTPUT, no throw', (file) => {
    const snap = parseFixture(file);
    expect(snap.status).toBe('UNKNOWN');
    expect(snap.features).toEqual([]);
    expect(snap.hosts).toEqual([]);
    expect(snap.warnings.map((w) => w.code)).toEqual(['NOT_STATUS_OUTPUT']);
    expect(snap.error).toMatch(/lmstat -v/);
  });

  it('lmstat -i text given to parseLmstat says so', () => {
    const snap = parseFixture(APP('i_app1'));
    expect(snap.status).toBe('UNKNOWN');
    expect(snap.warnings.map((w) => w.code)).toContain('NOT_STATUS_OUTPUT');
    expect(snap.error).toMatch(/lmstat -i/);
  });

  it.each(['', '\n\n', 'hello world', '\ufeff'])('%j -> UNKNOWN', (text) => {
    const snap = parseLmstat(text);
    expect(snap.status).toBe('UNKNOWN');
    expect(snap.warnings.map((w) => w.code)).toContain('NOT_STATUS_OUTPUT');
  });
});

// ---------------------------------------------------------------------------------------------------------
// checkout lines

describeFixtures('parseLmstat: checkout lines (real lines)', () => {
  const APP1_NOW = '2017-10-20T17:02:00Z'; // "Flexible License Manager status on Fri 10/20/2017 17:02"

  it('app1: user host display, ", 5 licenses", serverInfo "host/port handle"', () => {
    const c = checkoutOf(
      APP('app1'),
      '    USER9 SERVER45823008 SERVER45823008 (v61.9) (host3.domain.net/27002 7086), start Fri 10/20 16:44, 5 licenses',
      APP1_NOW,
    );
    expect(c).toEqual({
      username: 'USER9',
      hostname: 'SERVER45823008',
      display: 'SERVER45823008',
      version: 'v61.9',
      serverInfo: 'host3.domain.net/27002 7086',
      serverHost: 'host3.domain.net',
      serverPort: 27002,
      handle: '7086',
      count: 5,
      startTime: 'Fri 10/20 16:44',
      startedAt: '2017-10-20T16:44:00.000Z',
      linger: null,
      borrowed: false,
      pid: null,
      detail: null,
    });
  });

  it('app1: /dev/tty display, single license', () => {
    const c = checkoutOf(
      APP('app1'),
      '    user13 server0356 /dev/tty (v61.4) (host3.domain.net/27002 5621), start Fri 10/20 10:53',
      APP1_NOW,
    );
    expect([c.username, c.hostname, c.display, c.version, c.count, c.handle, c.startedAt]).toEqual([
      'user13',
      'server0356',
      '/dev/tty',
      'v61.4',
      1,
      '5621',
      '2017-10-20T10:53:00.000Z',
    ]);
  });

  it('app1: user name with a space and a garbled display holding quotes, $ and spaces ("John Doe")', () => {
    const c = checkoutOf(
      APP('app1'),
      '    John Doe John_D "U,K$`Ct`0\'"C iQwgGsne<&! (v61.4) (host3.domain.net/27002 4611), start Wed 7/7 15:17',
      APP1_NOW,
    );
    expect([c.username, c.hostname, c.display]).toEqual(['John Doe', 'John_D', '"U,K$`Ct`0\'"C iQwgGsne<&!']);
    expect([c.version, c.serverInfo, c.handle, c.startTime]).toEqual([
      'v61.4',
      'host3.domain.net/27002 4611',
      '4611',
      'Wed 7/7 15:17',
    ]);
    // the most recent 7/7 that was a Wednesday, no more than 7 years back
    expect(c.startedAt).toBe('2010-07-07T15:17:00.000Z');
  });

  it('app1: three-word user name and a display with | < / ` ("Jane Doe Jr.")', () => {
    const c = checkoutOf(
      APP('app1'),
      '    Jane Doe Jr. jane icc&f3rU7|<7R/oW/r`?Fj_K5 (v10.1) (host3.domain.net/27002 3404), start Wed 7/4 11:55',
      APP1_NOW,
    );
    expect([c.username, c.hostname, c.display, c.version]).toEqual([
      'Jane Doe Jr.',
      'jane',
      'icc&f3rU7|<7R/oW/r`?Fj_K5',
      'v10.1',
    ]);
    expect(c.startedAt).toBe('2012-07-04T11:55:00.000Z');
  });

  it('app1: garbled display after a one-word user ("Administrator")', () => {
    const c = checkoutOf(
      APP('app1'),
      '    Administrator ServerS1 |)8<fZ)=Y[<7L$lY-p\\<6nn^Y (v61.4) (host3.domain.net/27002 3201), start Mon 6/11 11:01',
      APP1_NOW,
    );
    expect([c.username, c.hostname, c.display]).toEqual(['Administrator', 'ServerS1', '|)8<fZ)=Y[<7L$lY-p\\<6nn^Y']);
    expect(c.startedAt).toBe('2012-06-11T11:01:00.000Z');
  });

  it('app1: no display at all, ", 13 licenses"', () => {
    const c = checkoutOf(
      APP('app1'),
      '    user11 server19 (v61.3) (host3.domain.net/27002 6707), start Tue 2/26 22:21, 13 licenses',
      APP1_NOW,
    );
    expect([c.username, c.hostname, c.display, c.count, c.startedAt]).toEqual([
      'user11',
      'server19',
      null,
      13,
      '2013-02-26T22:21:00.000Z',
    ]);
  });

  it('app1: "(linger: a / b)" with no license count -> linger a, borrowed', () => {
    const c = checkoutOf(
      APP('app1'),
      '    cmfy211 UFRTR1LT0087375 UFRTR1LT00873750.0 (v1.00) (host3.domain.net/28000 1401), start Wed 5/23 5:59  (linger: 885098 / 1340160)',
      APP1_NOW,
    );
    expect([c.username, c.hostname, c.display, c.version]).toEqual([
      'cmfy211',
      'UFRTR1LT0087375',
      'UFRTR1LT00873750.0',
      'v1.00',
    ]);
    expect([c.count, c.linger, c.borrowed, c.startTime, c.serverPort, c.handle]).toEqual([
      1,
      885098,
      true,
      'Wed 5/23 5:59',
      28000,
      '1401',
    ]);
    expect(c.startedAt).toBe('2012-05-23T05:59:00.000Z');
  });

  it('app1: "(linger: a / b)" after ", 16 licenses"', () => {
    const c = checkoutOf(
      APP('app1'),
      '    cmfy212 UFRTR1LT0087375 UFRTR1LT00873750.0 (v1.00) (host3.domain.net/28000 1401), start Wed 5/23 5:59, 16 licenses  (linger: 885098 / 1340160)',
      APP1_NOW,
    );
    expect([c.username, c.count, c.linger, c.borrowed]).toEqual(['cmfy212', 16, 885098, true]);
  });

  it('lmstat-test.log: "(linger: N)" (borrowed)', () => {
    const c = checkoutOf(
      CHARLES('test'),
      '    user005 comp005 comp005 (v22.0) (SERVER001/27001 601), start Thu 4/12 10:18 (linger: 14437140)',
      '2012-04-12T10:43:00Z',
    );
    expect([c.username, c.hostname, c.display, c.startTime, c.linger, c.borrowed, c.count]).toEqual([
      'user005',
      'comp005',
      'comp005',
      'Thu 4/12 10:18',
      14437140,
      true,
      1,
    ]);
    expect(c.startedAt).toBe('2012-04-12T10:18:00.000Z');
  });

  it('lmstat-test.log: start dates spanning a year end (Sat 12/31, Sun 1/1 seen on 2012-01-03)', () => {
    const now = '2012-01-03T12:00:00Z';
    const jan = checkoutOf(
      CHARLES('test'),
      '    user_d16 comp_d16 comp_d16 (v22.0) (SERVER001/27001 3161), start Sun 1/1 0:00',
      now,
    );
    const dec = checkoutOf(
      CHARLES('test'),
      '    user_d17 comp_d17 comp_d17 (v22.0) (SERVER001/27001 3171), start Sat 12/31 23:59',
      now,
    );
    expect([jan.startTime, jan.startedAt]).toEqual(['Sun 1/1 0:00', '2012-01-01T00:00:00.000Z']);
    expect([dec.startTime, dec.startedAt]).toEqual(['Sat 12/31 23:59', '2011-12-31T23:59:00.000Z']);
  });

  it('lmstat-test.log: names with - and . (user-001, SERVER.001)', () => {
    const c = checkoutOf(
      CHARLES('test'),
      '    user-001 comp-001 comp-001 (v1.000) (SERVER.001/27001 2009), start Thu 4/12 10:21',
      '2012-04-12T10:43:00Z',
    );
    expect([c.username, c.hostname, c.display, c.version, c.serverInfo, c.serverHost, c.serverPort, c.handle]).toEqual([
      'user-001',
      'comp-001',
      'comp-001',
      'v1.000',
      'SERVER.001/27001 2009',
      'SERVER.001',
      27001,
      '2009',
    ]);
  });

  it('app2: version token (v31.000000)', () => {
    const c = checkoutOf(
      APP('app2'),
      '    user1 server034 server0340 (v31.000000) (host1/28000 5226), start Fri 10/20 16:40',
      APP1_NOW,
    );
    expect([c.username, c.hostname, c.display, c.version, c.serverInfo, c.startedAt]).toEqual([
      'user1',
      'server034',
      'server0340',
      'v31.000000',
      'host1/28000 5226',
      '2017-10-20T16:40:00.000Z',
    ]);
  });

  it('app5: ", PID: n" with and without a trailing space', () => {
    const now = '2025-02-10T11:26:00Z';
    const a = checkoutOf(
      APP('app5'),
      '    user3 host display (v36) (host.example.com/27004 701), start Mon 2/10 0:10, PID: 10088 ',
      now,
    );
    const b = checkoutOf(
      APP('app5'),
      '    user1 host display (v50) (host.example.com/27004 401), start Mon 2/10 0:10, PID: 2924522',
      now,
    );
    expect([a.username, a.hostname, a.display, a.version, a.pid, a.count, a.startedAt]).toEqual([
      'user3',
      'host',
      'display',
      'v36',
      10088,
      1,
      '2025-02-10T00:10:00.000Z',
    ]);
    expect([b.pid, b.handle, b.serverInfo]).toEqual([2924522, '401', 'host.example.com/27004 401']);
  });

  it('app7: four tokens before (vX): X display then an extra token (kept as detail)', () => {
    const c = checkoutOf(
      APP('app7'),
      '    user1 host-01 host-01:0.0 lc80a28012593569_1 (v2022.09) (SERVER1/27020 24464), start Thu 9/24 22:16, PID: 2593569 ',
      '2026-09-25T12:15:00Z',
    );
    expect(c).toMatchObject({
      username: 'user1',
      hostname: 'host-01',
      display: 'host-01:0.0',
      detail: 'lc80a28012593569_1',
      version: 'v2022.09',
      pid: 2593569,
      handle: '24464',
      serverPort: 27020,
    });
    expect(c.startedAt).toBe('2026-09-24T22:16:00.000Z');
  });

  it('app7: user and host only', () => {
    const c = checkoutOf(
      APP('app7'),
      '    user2 host-01 (v2026.03) (SERVER1/27020 19210), start Fri 9/25 11:44, PID: 310056 ',
      '2026-09-25T12:15:00Z',
    );
    expect([c.username, c.hostname, c.display, c.pid, c.detail]).toEqual(['user2', 'host-01', null, 310056, null]);
  });

  it('app8: the extra version token "2029.01" before (v2029.01) is not taken for the display', () => {
    const c = checkoutOf(
      APP('app8'),
      '    user1 host-01 host-01:0895184_3 2029.01 (v2029.01) (SERVER1/1717 87554), start Fri 9/25 11:44, PID: 895184 ',
      '2026-09-25T11:44:00Z',
    );
    expect([c.username, c.hostname, c.display, c.version, c.detail, c.pid, c.handle]).toEqual([
      'user1',
      'host-01',
      'host-01:0895184_3',
      'v2029.01',
      null,
      895184,
      '87554',
    ]);
    expect(c.startedAt).toBe('2026-09-25T11:44:00.000Z');
  });

  it('app4: "(host/port handle)" whose port is the literal word "port"', () => {
    const c = checkoutOf(
      APP('app4'),
      '    matlab CLN-5CG3471WVY /dev/pts/0 (v5.6) (licensevm.domain.example/port 1090), start Tue 4/22 11:07',
      '2025-04-22T11:08:00Z',
    );
    expect(c).toMatchObject({
      username: 'matlab',
      hostname: 'CLN-5CG3471WVY',
      display: '/dev/pts/0',
      version: 'v5.6',
      serverInfo: 'licensevm.domain.example/port 1090',
      serverHost: 'licensevm.domain.example',
      serverPort: null,
      handle: '1090',
      startedAt: '2025-04-22T11:07:00.000Z',
    });
  });

  it('app3: ", 39 licenses" on one line', () => {
    const c = checkoutOf(
      APP('app3'),
      '    user48 server1240 /dev/tty (v2016.10) (host1/1999 494), start Fri 10/20 16:32, 39 licenses',
      APP1_NOW,
    );
    expect([c.count, c.version, c.serverInfo]).toEqual([39, 'v2016.10', 'host1/1999 494']);
  });

  it('start time zone: the wall clock is read in opts.timeZone', () => {
    const text = [
      'Users of F:  (Total of 9 licenses issued;  Total of 1 license in use)',
      '    user13 server0356 /dev/tty (v61.4) (host3.domain.net/27002 5621), start Fri 10/20 10:53',
    ].join('\n');
    const snap = parseLmstat(text, { now: new Date(APP1_NOW), timeZone: 'Europe/Berlin' });
    expect(snap.features[0].checkouts[0].startedAt).toBe('2017-10-20T08:53:00.000Z');
  });
});

// ---------------------------------------------------------------------------------------------------------
// feature headers, pools, reservations, queued requests

describeFixtures('parseLmstat: feature blocks (real fixtures)', () => {
  it('app1: header "feature1" with the quoted pool name "feature0"', () => {
    const f = parseFixture(APP('app1')).features[0];
    expect(f.name).toBe('feature1');
    expect(f.pools).toEqual([
      {
        name: 'feature0',
        version: 'v61.9',
        vendor: 'VENDOR1',
        type: 'floating',
        expiry: null,
        expiryRaw: null,
        permanent: false,
      },
    ]);
    expect(f.vendor).toBe('VENDOR1');
  });

  it('app1: tab-indented RESERVATION lines (singular/plural, HOST and GROUP) interleaved with checkouts', () => {
    const f = parseFixture(APP('app1')).features[0];
    expect(f.reservations).toHaveLength(11);
    expect(f.reservations[0]).toEqual({
      count: 1,
      kind: 'HOST',
      target: 'HOSTPC11',
      serverInfo: 'host3.domain.net/27002',
    });
    expect(f.reservations[1]).toEqual({
      count: 10,
      kind: 'HOST',
      target: 'HOSTPC12',
      serverInfo: 'host3.domain.net/27002',
    });
    expect(f.reservations[2]).toEqual({
      count: 48,
      kind: 'GROUP',
      target: 'GROUP1',
      serverInfo: 'host3.domain.net/27002',
    });
    expect(f.reservations.reduce((a, r) => a + r.count, 0)).toBe(132);
    expect(f.checkouts[0].username).toBe('USER9'); // the user line between RESERVATION lines is a checkout
    expect(seats(f)).toBe(1085);
  });

  it('app1: reservations count toward in use (feature30: 169 in use, 0 user lines, 13 reservations summing to 169)', () => {
    const f = parseFixture(APP('app1')).features.find((x) => x.name === 'feature30')!;
    expect([
      f.used,
      f.checkouts.length,
      f.reservations.length,
      f.reservations.reduce((a, r) => a + r.count, 0),
    ]).toEqual([169, 0, 13, 169]);
  });

  it('app1: "queued for 1 license" lines (feature5) become queued requests, not checkouts', () => {
    const f = parseFixture(APP('app1')).features.find((x) => x.name === 'feature5')!;
    expect([f.issued, f.used, f.checkouts.length]).toEqual([2, 2, 2]);
    expect(f.queued).toEqual([
      {
        username: 'user3',
        hostname: 'server6u065',
        display: 'fj209fj0',
        count: 1,
        serverInfo: 'host3.domain.net/27002 15480',
        handle: '15480',
        startTime: null,
        startedAt: null,
      },
      {
        username: 'user3',
        hostname: 'server6u065',
        display: 'f2jf4_f2_',
        count: 1,
        serverInfo: 'host3.domain.net/27002 15480',
        handle: '15480',
        startTime: null,
        startedAt: null,
      },
    ]);
  });

  it('app1: the feature42 block printed twice stays as two entries, with a DUPLICATE_FEATURE warning', () => {
    const snap = parseFixture(APP('app1'));
    const both = snap.features.filter((f) => f.name === 'feature42');
    expect(both.map((f) => [f.issued, f.used, f.reservations.length])).toEqual([
      [1814, 169, 13],
      [1814, 169, 13],
    ]);
    expect(snap.warnings).toEqual([
      expect.objectContaining({ code: 'DUPLICATE_FEATURE', feature: 'feature42', affectsCounts: false }),
    ]);
  });

  it('app1: triad with the MASTER second; version from the master', () => {
    const snap = parseFixture(APP('app1'));
    expect(snap.hosts.map((h) => [h.host, h.port, h.status, h.master, h.version])).toEqual([
      ['host-1.domain.net', 27002, 'UP', false, 'v11.7'],
      ['host2.domain.net', 27002, 'UP', true, 'v11.7'],
      ['host3.domain.net', 27002, 'UP', false, 'v11.7'],
    ]);
    expect(snap.version).toBe('v11.7');
    expect(snap.vendorDaemons).toEqual([
      { name: 'VENDOR1', status: 'UP', version: 'v11.6', host: 'host2.domain.net', port: 27002, message: null },
    ]);
  });

  it('app6: "1 RESERVATION for GROUP DED (SERVER1/1713)" is the only use of Power_System_Blocks', () => {
    const f = parseFixture(APP('app6')).features.find((x) => x.name === 'Power_System_Blocks')!;
    expect([f.issued, f.used, f.checkouts.length]).toEqual([5, 1, 0]);
    expect(f.reservations).toEqual([{ count: 1, kind: 'GROUP', target: 'DED', serverInfo: 'SERVER1/1713' }]);
  });

  it('app6: several quoted pools under one feature, nodelocked/floating, permanent sentinels', () => {
    const f = parseFixture(APP('app6')).features.find((x) => x.name === 'MATLAB')!;
    expect(f.pools).toEqual([
      {
        name: 'MATLAB',
        version: 'v12',
        vendor: 'MLM',
        type: 'nodelocked',
        expiry: null,
        expiryRaw: '01-jan-0000',
        permanent: true,
        lockedTo: 'ID=XXXXXX',
      },
      {
        name: 'MATLAB',
        version: 'v53',
        vendor: 'MLM',
        type: 'nodelocked',
        expiry: null,
        expiryRaw: '01-jan-2099',
        permanent: true,
        lockedTo: 'ID=XXXXXX',
        vendorString: 'vi=0:at=276:ae=1:lu=300:lo=NNU:ei=XXXXXX:lr=1:ep=15:',
      },
      {
        name: 'MATLAB',
        version: 'v52',
        vendor: 'MLM',
        type: 'floating',
        expiry: null,
        expiryRaw: '01-jan-2099',
        permanent: true,
        vendorString: 'vi=0:at=200:ae=1:lu=300:lo=CN:ei=XXXXXX:lr=1:ep=15:',
      },
    ]);
    expect([f.used, f.checkouts.length, f.reservations.length]).toEqual([60, 59, 1]);
  });

  it('app4: "(Uncounted, node-locked)" feature WITH a checkout; unindented quoted line after two blank lines', () => {
    const snap = parseFixture(APP('app4'));
    const f = snap.features[0];
    expect([f.name, f.uncounted, f.issued, f.used, f.checkouts.length]).toEqual(['SERIAL', true, null, null, 1]);
    expect(f.pools).toEqual([
      {
        name: 'SERIAL',
        version: 'v6.3',
        vendor: 'LMCOMSOL',
        type: 'uncounted',
        expiry: null,
        expiryRaw: 'permanent(no expiration date)',
        permanent: true,
        vendorString: 'REDACTED',
        lockedTo: 'NOTHING (hostid=ANY)',
      },
    ]);
    expect(snap.hosts).toEqual([
      { host: 'licensevm.domain.example', port: null, status: 'UP', master: true, version: 'v11.19.6', message: null },
    ]);
  });

  it('app4: "(Error: 1 licenses, unsupported by licensed server)" -> UNSUPPORTED, issued as stated, used null', () => {
    const f = parseFixture(APP('app4')).features.find((x) => x.name === 'SUBSURFACEFLOW')!;
    expect([f.issued, f.used, f.uncounted]).toEqual([1, null, false]);
    expect(f.error).toEqual({ code: 'UNSUPPORTED', message: 'Error: 1 licenses, unsupported by licensed server' });
  });

  it('lmstat-test.log: singular "1 license issued", errors, CRLF', () => {
    const snap = parseFixture(CHARLES('test'), '2012-04-12T10:43:00Z');
    const byName = new Map(snap.features.map((f) => [f.name, f]));
    expect([byName.get('Empty_Feature_One_License')!.issued, byName.get('Empty_Feature_One_License')!.used]).toEqual([
      1, 0,
    ]);
    expect(byName.get('Feature_With_Error')!.error).toEqual({
      code: 'CANNOT_GET_USERS',
      message: 'Cannot get users of Feature_With_Error: No such feature exists. (-5,222)',
    });
    expect(byName.get('Feature_With_Other_Error')!.error).toEqual({
      code: 'UNSUPPORTED',
      message: 'Error: 21 licenses, unsupported by licensed server',
    });
    expect(byName.get('Feature_With_Other_Error')!.issued).toBe(21);
    expect(snap.vendorDaemons).toEqual([
      { name: 'testdaemon', status: 'UP', version: 'v10.1', host: 'SERVER001', port: 27001, message: null },
    ]);
  });

  it('app5: vendor_string lines, expiry dates, uncounted RoadRunner features at the end', () => {
    const snap = parseFixture(APP('app5'));
    expect(snap.features[0].pools[0]).toEqual({
      name: 'MATLAB',
      version: 'v52',
      vendor: 'MLM',
      type: 'floating',
      expiry: '2025-12-30',
      expiryRaw: '30-dec-2025',
      permanent: false,
      vendorString: 'vendor string',
    });
    expect(snap.features.slice(-4).map((f) => [f.name, f.uncounted, f.issued])).toEqual([
      ['RoadRunner', true, null],
      ['RoadRunner_Asset_Library', true, null],
      ['RoadRunner_Scenario', true, null],
      ['RoadRunner_HD_Scene_Builder', true, null],
    ]);
    // the header says 4 in use but only 2 user lines are printed: kept as stated (validation flags it)
    const d = snap.features.find((f) => f.name === 'Distrib_Computing_Toolbox')!;
    expect([d.used, d.checkouts.length]).toEqual([4, 2]);
  });

  it('app3: two daemons listed before one feature section: the vendor comes from the pool lines', () => {
    const snap = parseFixture(APP('app3'));
    expect(snap.vendorDaemons.map((d) => [d.name, d.status, d.version])).toEqual([
      ['daemon1', 'UP', 'v11.14'],
      ['DAEMON2', 'UP', 'v11.13'],
    ]);
    expect(snap.features.find((f) => f.name === 'feature7')!.vendor).toBe('vendor1');
    expect(snap.features.find((f) => f.name === 'feature1')!.vendor).toBeNull(); // no pool line, daemon ambiguous
  });
});

// ---------------------------------------------------------------------------------------------------------
// servers

describeFixtures('parseLmstat: servers and daemons (real fixtures)', () => {
  it('server_down: triad with one member that cannot be reached; "expiry: 1-jan-0"', () => {
    const snap = parseFixture(APP('server_down'));
    expect(snap.status).toBe('UP');
    expect(snap.error).toBeNull();
    expect(snap.version).toBe('v11.13.0');
    expect(snap.hosts).toEqual([
      { host: 'host1', port: 28000, status: 'UP', master: false, version: 'v11.13.0', message: null },
      { host: 'host2', port: 28000, status: 'UP', master: true, version: 'v11.13.0', message: null },
      {
        host: 'host3',
        port: 28000,
        status: 'DOWN',
        master: false,
        version: null,
        message: 'Cannot connect to license server system. (-15,570:115 "Operation now in progress")',
      },
    ]);
    expect(snap.vendorDaemons).toEqual([
      { name: 'daemon', status: 'UP', version: 'v11.13.1', host: 'host2', port: 28000, message: null },
    ]);
    expect(snap.features[1].pools[0]).toMatchObject({ expiry: null, expiryRaw: '1-jan-0', permanent: true });
  });

  it('lmstat-errors: two MASTERs, a vendor daemon that is down, CRLF, no blank lines between errors', () => {
    const snap = parseFixture(CHARLES('errors'));
    expect(snap.hosts.map((h) => [h.host, h.status, h.master])).toEqual([
      ['SERVER001', 'UP', true],
      ['SERVER002', 'UP', true],
      ['SERVER003', 'UP', false],
    ]);
    expect(snap.warnings.map((w) => w.code)).toEqual(['MULTIPLE_MASTERS']);
    expect(snap.version).toBe('v10.8');
    expect(snap.vendorDaemons).toEqual([
      {
        name: 'theorem',
        status: 'DOWN',
        version: null,
        host: 'SERVER002',
        port: 7601,
        message: 'The desired vendor daemon is down. (-97,121)',
      },
    ]);
    expect(snap.features).toHaveLength(11);
    expect(snap.features.every((f) => f.error?.code === 'CANNOT_GET_USERS' && f.vendor === 'theorem')).toBe(true);
    expect(snap.features[0].error!.message).toBe('Cannot get users of Catia_GCO: No such feature exists. (-5,222)');
  });

  it('server_up_win: the same host twice in different case is one host; no feature section', () => {
    const snap = parseFixture(APP('server_up_win'));
    expect(snap.status).toBe('UP');
    expect(snap.hosts).toEqual([
      { host: 'BVS15004', port: 7788, status: 'UP', master: true, version: 'v11.12', message: null },
    ]);
    expect(snap.version).toBe('v11.12');
    expect(snap.features).toEqual([]);
    expect(snap.vendorDaemons).toEqual([
      { name: 'ptc_d', status: 'UP', version: 'v11.14.0', host: 'BVS15004', port: 7788, message: null },
    ]);
  });

  it('app7: a server line starting with one space and a line holding only two spaces', () => {
    const snap = parseFixture(APP('app7'));
    expect(snap.hosts).toEqual([
      { host: 'SERVER1', port: 27020, status: 'UP', master: true, version: 'v11.19.7', message: null },
    ]);
    expect(snap.warnings).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------
// hand-made outputs (test/fixtures/hand-made/flexlm) for what the real fixtures do not show

describe('parseLmstat: hand-made outputs', () => {
  const extra = (name: string) => fs.readFileSync(path.join(EXTRA, name), 'utf8');

  it('multi-server.txt: BOM, echoed command, host-less "license server UP", two daemons each with its own section, a second server that errors', () => {
    const snap = parseLmstat(extra('multi-server.txt'), { now: new Date('2025-01-20T11:00:00Z'), timeZone: 'UTC' });
    expect(snap.status).toBe('UP');
    expect(snap.error).toBeNull();
    expect(snap.version).toBe('v11.16.2');
    expect(snap.hosts).toEqual([
      { host: 'lic1', port: 27000, status: 'UP', master: true, version: 'v11.16.2', message: null },
      {
        host: 'lic2',
        port: 27001,
        status: 'DOWN',
        master: false,
        version: null,
        message: 'Error getting status: Cannot connect to license server system. (-15,10:146 "Connection refused")',
      },
    ]);
    expect(snap.vendorDaemons.map((d) => [d.name, d.status, d.host])).toEqual([
      ['cdslmd', 'UP', 'lic1'],
      ['mgcld', 'UP', 'lic1'],
    ]);
    expect(snap.features.map((f) => [f.name, f.vendor, f.issued, f.used])).toEqual([
      ['Virtuoso_Schematic', 'cdslmd', 10, 3],
      ['Calibre_DRC', 'mgcld', 1, 1],
    ]);
    expect(snap.warnings.map((w) => w.code)).toEqual(['SERVER_DOWN']);
    const [jurgen, digits] = snap.features[0].checkouts;
    expect([jurgen.username, jurgen.hostname, jurgen.display]).toEqual(['jürgen', 'ws-01', 'ws-01:0']);
    expect([digits.username, digits.hostname, digits.display, digits.count]).toEqual([
      '12345',
      'ws-02',
      '/dev/pts/3',
      2,
    ]);
    const [anna, bob] = snap.features[1].checkouts;
    expect([anna.username, anna.hostname, anna.display, anna.detail]).toEqual([
      'anna',
      'ws-03',
      'ws-03',
      'MGCLD:CALDRC',
    ]);
    expect([bob.username, bob.hostname, bob.display, bob.detail, bob.startedAt]).toEqual([
      'bob',
      'ws-04',
      '/dev/pts/1',
      'feature=Calibre_DRC_sub',
      '2025-01-19T23:59:00.000Z',
    ]);
    expect(snap.features[1].pools[0]).toMatchObject({ expiryRaw: '1-jan-0', permanent: true, expiry: null });
  });

  it('lmgrd-down.txt: "lmgrd is not running" -> DOWN with the message as error', () => {
    const snap = parseLmstat(extra('lmgrd-down.txt'));
    expect(snap.status).toBe('DOWN');
    expect(snap.error).toBe(
      'lmgrd is not running: License server machine is down or not responding. (-96,7:10054 "WinSock: Connection reset by peer")',
    );
    expect(snap.hosts).toEqual([
      { host: 'licsrv', port: 27000, status: 'DOWN', master: false, version: null, message: snap.error },
    ]);
    expect(snap.features).toEqual([]);
  });

  it('"Error getting status" alone -> DOWN', () => {
    const snap = parseLmstat(
      'Error getting status: Cannot connect to license server system. (-15,10:146 "Connection refused")\n',
    );
    expect(snap.status).toBe('DOWN');
    expect(snap.error).toMatch(/^Error getting status: Cannot connect/);
  });

  it('ungrammatical and oddly cased headers', () => {
    const snap = parseLmstat(
      [
        'Users of a:  (Total of 1 licenses issued;  Total of 1 license in use)',
        'Users of b: (total of 2 License issued; total of 0 Licenses in use)',
        'Users of c:  (Total of 3 licence issued;Total of 2 licences in use)',
      ].join('\n'),
    );
    expect(snap.features.map((f) => [f.name, f.issued, f.used, f.error])).toEqual([
      ['a', 1, 1, null],
      ['b', 2, 0, null],
      ['c', 3, 2, null],
    ]);
    expect(snap.status).toBe('UP');
  });

  it('a header it cannot read gives an error and an affectsCounts warning', () => {
    const snap = parseLmstat('Users of a:  (Total of many licenses issued)\n');
    expect(snap.features[0]).toMatchObject({ name: 'a', issued: null, used: null, error: { code: 'UNPARSED' } });
    expect(snap.warnings[0]).toMatchObject({ code: 'UNPARSED_LINE', line: 1, feature: 'a', affectsCounts: true });
  });

  it('unplaced lines: affectsCounts only for count-like lines inside a feature block; 50 kept plus a summary', () => {
    const lines = [
      'Users of f:  (Total of 5 licenses issued;  Total of 1 license in use)',
      '    user1 host1 mangled (v1.0) (srv/1 2) start then nothing',
      '    just some words',
    ];
    for (let i = 0; i < 100; i++) lines.push(`garbage line ${i}`);
    const snap = parseLmstat(lines.join('\n'));
    expect(snap.warnings).toHaveLength(51);
    expect(snap.warnings[0]).toEqual({
      code: 'UNPARSED_LINE',
      message: expect.any(String),
      line: 2,
      text: 'user1 host1 mangled (v1.0) (srv/1 2) start then nothing',
      affectsCounts: true,
      feature: 'f',
    });
    expect(snap.warnings[1]).toMatchObject({ line: 3, affectsCounts: false, feature: 'f' });
    expect(snap.warnings[50]).toEqual({
      code: 'WARNINGS_TRUNCATED',
      message: '102 warnings in all; only the first 50 are kept',
    });
  });

  it('a "Users of" line cut right after "of " does not read the next line', () => {
    const snap = parseLmstat('Users of \n(Total of 5 licenses issued;  Total of 1 license in use)\n');
    expect(snap.features).toEqual([
      expect.objectContaining({
        name: '',
        issued: null,
        used: null,
        error: { code: 'UNPARSED', message: 'no counts given' },
      }),
    ]);
    expect(snap.warnings.map((w) => [w.code, w.line])).toEqual([
      ['UNPARSED_LINE', 1],
      ['UNPARSED_LINE', 2],
    ]);
  });

  it('warning text is trimmed and capped at 200 characters', () => {
    const snap = parseLmstat(
      `Users of f:  (Total of 5 licenses issued;  Total of 1 license in use)\n   ${'x'.repeat(500)}   \n`,
    );
    expect(snap.warnings[0].text).toBe('x'.repeat(200));
  });

  it('a start time it cannot read leaves startedAt null with a BAD_DATE warning', () => {
    const snap = parseLmstat(
      'Users of f:  (Total of 5 licenses issued;  Total of 1 license in use)\n    u h d (v1) (s/1 2), start someday\n',
    );
    expect(snap.features[0].checkouts[0]).toMatchObject({ startTime: 'someday', startedAt: null, count: 1 });
    expect(snap.warnings.map((w) => w.code)).toEqual(['BAD_DATE']);
  });

  it('a zero or absurd license count is read as 1 with a BAD_COUNT warning', () => {
    const snap = parseLmstat(
      'Users of f:  (Total of 5 licenses issued;  Total of 1 license in use)\n    u h d (v1) (s/1 2), start Mon 1/20 10:30, 0 licenses\n    u h d (v1) (s/1 3), start Mon 1/20 10:30, 99999999999999999999 licenses\n',
    );
    expect(snap.features[0].checkouts.map((c) => c.count)).toEqual([1, 1]);
    expect(snap.warnings.map((w) => [w.code, w.affectsCounts])).toEqual([
      ['BAD_COUNT', true],
      ['BAD_COUNT', true],
    ]);
  });
});

describeFixtures('parseLmstat: line endings and robustness', () => {
  it('CRLF, bare CR and a BOM give the same snapshot as LF', () => {
    const lf = readFixture(APP('app1'));
    const opts = { now: new Date('2017-10-20T17:02:00Z'), timeZone: 'UTC' };
    const base = parseLmstat(lf, opts);
    expect(parseLmstat(lf.replace(/\n/g, '\r\n'), opts)).toEqual(base);
    expect(parseLmstat(lf.replace(/\n/g, '\r'), opts)).toEqual(base);
    expect(parseLmstat(`\ufeff${lf}`, opts)).toEqual(base);
  });

  it('never throws on non-string input', () => {
    expect(parseLmstat(undefined as unknown as string).status).toBe('UNKNOWN');
    expect(parseLmstat(null as unknown as string).status).toBe('UNKNOWN');
    expect(parseLmstat(42 as unknown as string).status).toBe('UNKNOWN');
  });

  it('an invalid now or time zone falls back without throwing', () => {
    const snap = parseLmstat(readFixture(APP('app2')), { now: new Date('nope'), timeZone: 'Not/AZone' });
    expect(snap.status).toBe('UP');
    expect(typeof snap.fetchedAt).toBe('string');
  });

  it('stays linear on pathological lines', () => {
    const bad = [
      'Users of f:  (Total of 5 licenses issued;  Total of 1 license in use)',
      `    ${'( '.repeat(200_000)}`,
      `    ${'), start '.repeat(50_000)}`,
      `    ${'a '.repeat(100_000)}(v1) (s/1 2), start Mon 1/20 10:30${', 1 licenses'.repeat(10_000)}`,
      `\t1 RESERVATIONs for ${'x '.repeat(100_000)}(`,
      `"${'v, '.repeat(100_000)}`,
      `x: ${':'.repeat(200_000)}`,
      'Users of g:' + ' (Total of'.repeat(50_000),
    ];
    for (let i = 0; i < 20_000; i++) bad.push('    ) (');
    // CPU time, not wall time: a bound on the work, whatever else the machine runs
    const [snap, cpuMs] = cpuTimed(() => parseLmstat(bad.join('\n')));
    expect(cpuMs).toBeLessThan(3000);
    expect(snap.features.map((f) => f.name)).toEqual(['f', 'g']);
  });
});
