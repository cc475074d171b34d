/**
 * parseRlmstat: `rlmutil rlmstat -a` (and subsets) -> Snapshot.
 *
 * Real outputs: every `rlmstat` row of test/fixtures/MANIFEST.tsv (omnivector-solutions/license-manager
 * conftest fixtures, dedented, so they are also re-indented here with tabs as a real rlmstat prints them).
 *
 * Hand-made variants in test/fixtures/hand-made/rlm/, each built (names and numbers changed) from a real format found
 * in public code and documentation:
 *  - foundry_pools.txt: the layout of a Foundry RLM v15.2 capture used as a test mock by a public Go RLM exporter
 *    (rlm/ISV status blocks unindented, "product vX, pool: N" headers, several pools and versions of one product,
 *    "exp: permanent", tab-indented usage lines ending in a space).
 *  - tecplot_token.txt: a TecPlot `rlmutil rlmstat -a` posted in a public notes repository (ISV with restarts,
 *    denials in the stats, a "Token-based license" product with no count line).
 *  - two_isvs_one_down.txt: omnivector-solutions/license-manager conftest `another_rlm_output` (two ISVs, exacorp
 *    and tainc, the first pool section without its header) plus an ISV marked "No" in the ISV servers table and an
 *    `Error connecting to "isv" server` block in the form rlmstat prints for the rlm server (the ISV form is assumed).
 *  - uncounted.txt: "UNCOUNTED, inuse: n" pool lines, the form a public Ruby rlmstat parser (RepriseLicenseManager)
 *    reads; "count: 0"; "exp: 1-jan-0" (RLM: a year of 0 never expires); a product with counted + uncounted pools.
 *  - v9_usage_form.txt: the usage line of the RLM v9 manual's rlmremove example,
 *    "test3 v1.000: tom@sun1(v1.0) (809f418) 1/0 at 02/06 09:59", under "reprise license usage status on melody".
 *  - isv_only.txt: `rlmutil rlmstat -a -i simio` from a public check_rlm README (no rlm block, 8-space indent,
 *    "info log filename", "pool: 1").
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseRlmstat, parseRlmExpiry, MAX_WARNINGS } from '../../src/sources/rlm';
import { rlmstatArgs } from '../../src/sources/rlm';
import type { Feature, Snapshot } from '../../src/domain/snapshot';
import { validate } from '../../src/domain/validate';
import { cpuTimed } from '../helpers/clock';
import { loadManifest, readFixture, type ManifestRow } from '../helpers/fixtures';

const NOW = new Date('2021-11-03T13:00:00Z');
const OPTS = { now: NOW, timeZone: 'UTC', serverId: 'rlm-test' };
const EXTRA = path.resolve(__dirname, '../fixtures/hand-made/rlm');

function readExtra(name: string): string {
  return fs.readFileSync(path.join(EXTRA, name), 'utf8');
}

/** Leading groups of 4 spaces -> tabs, the way a real rlmstat indents. */
function retab(text: string): string {
  return text.replace(/^( {4})+/gm, (m) => '\t'.repeat(m.length / 4));
}

function feature(s: Snapshot, name: string): Feature {
  const f = s.features.find((x) => x.name === name);
  if (!f) throw new Error(`no feature ${name} in ${s.features.map((x) => x.name).join(', ')}`);
  return f;
}

/** Manifest names RLM pools "product vVERSION". */
function splitProduct(name: string): { product: string; version: string } {
  const i = name.lastIndexOf(' ');
  return { product: name.slice(0, i), version: name.slice(i + 1) };
}

const rows: ManifestRow[] = loadManifest().filter((r) => r.kind === 'rlmstat');

describe('manifest rlmstat fixtures', () => {
  it('the manifest lists the three rlmstat fixtures', () => {
    expect(rows.map((r) => path.basename(r.file)).sort()).toEqual([
      'omnivector-solutions__license-manager__conftest_rlm_output.txt',
      'omnivector-solutions__license-manager__conftest_rlm_output_bad.txt',
      'omnivector-solutions__license-manager__conftest_rlm_output_no_licenses.txt',
    ]);
  });

  describe.each(rows.map((r) => [path.basename(r.file), r] as const))('%s', (_name, row) => {
    const text = readFixture(row.file);
    const snap = parseRlmstat(text, OPTS);

    it('matches the manifest issued/in-use per product', () => {
      for (const exp of row.features) {
        const { product, version } = splitProduct(exp.name);
        const f = feature(snap, product);
        const pool = f.pools.find((p) => p.version === version);
        expect(pool).toBeDefined();
        if (exp.kind === 'counts') {
          expect(pool!.issued).toBe(exp.issued);
          expect(pool!.used).toBe(exp.used);
          // one pool per product in these files, so the feature totals are the pool's
          expect(f.issued).toBe(exp.issued);
          expect(f.used).toBe(exp.used);
          expect(f.uncounted).toBe(false);
        }
      }
      // nothing more than the manifest lists
      expect(snap.features.length).toBe(row.features.length);
    });

    it('matches the manifest checkout lines per product', () => {
      const listed = new Set(row.checkoutLines.map((c) => c.name));
      for (const c of row.checkoutLines) {
        const { product, version } = splitProduct(c.name);
        expect(feature(snap, product).checkouts.filter((x) => x.version === version)).toHaveLength(c.lines);
      }
      for (const f of snap.features) {
        const anyListed = [...listed].some((n) => splitProduct(n).product === f.name);
        if (!anyListed) expect(f.checkouts).toHaveLength(0);
      }
    });

    it('reads every line (no warnings) and reports an UP server or a DOWN one with a message', () => {
      expect(snap.warnings).toEqual([]);
      if (row.features.length === 0) {
        expect(snap.status).toBe('DOWN');
        expect(snap.error).toMatch(/Error connecting to "rlm" server/);
        expect(snap.features).toEqual([]);
      } else {
        expect(snap.status).toBe('UP');
        expect(snap.error).toBeNull();
        expect(snap.version).toBe('v12.2');
      }
    });

    it('gives identical results re-indented with tabs, and with CRLF line ends', () => {
      expect(parseRlmstat(retab(text), OPTS)).toEqual(snap);
      expect(parseRlmstat(text.replace(/\n/g, '\r\n'), OPTS)).toEqual(snap);
      expect(parseRlmstat(retab(text).replace(/\n/g, '\r\n'), OPTS)).toEqual(snap);
    });
  });
});

describe('conftest_rlm_output (test_rlm.py expectations)', () => {
  const text = readFixture('rlmstat/omnivector-solutions__license-manager__conftest_rlm_output.txt');
  const snap = parseRlmstat(text, OPTS);

  it('converge_super: 1000 issued, 93 in use, 3 uses of 29 + 27 + 37', () => {
    const f = feature(snap, 'converge_super');
    expect([f.issued, f.used]).toEqual([1000, 93]);
    expect(f.checkouts.map((c) => [c.username, c.hostname, c.count])).toEqual([
      ['asdj13', 'myserver.example.com', 29],
      ['cddcp2', 'myserver.example.com', 27],
      ['asdj13', 'myserver.example.com', 37],
    ]);
    expect(f.checkouts.reduce((n, c) => n + c.count, 0)).toBe(93);
    for (const other of ['converge', 'converge_gui', 'converge_gui_polygonica', 'converge_tecplot']) {
      expect(feature(snap, other).used).toBe(0);
      expect(feature(snap, other).checkouts).toEqual([]);
    }
  });

  it('every field of a checkout', () => {
    expect(feature(snap, 'converge_super').checkouts[1]).toEqual({
      username: 'cddcp2',
      hostname: 'myserver.example.com',
      display: null,
      version: 'v3.0',
      serverInfo: 'licser.server.com/63133 128',
      serverHost: 'licser.server.com',
      serverPort: 63133,
      handle: '128',
      count: 27,
      startTime: '11/03 10:38',
      startedAt: '2021-11-03T10:38:00.000Z',
      linger: null,
      borrowed: false,
      pid: null,
      detail: null,
    });
    // two days earlier, same year
    expect(feature(snap, 'converge_super').checkouts[0].startedAt).toBe('2021-11-01T09:01:00.000Z');
  });

  it('start times are read in the configured zone', () => {
    const berlin = parseRlmstat(text, { ...OPTS, timeZone: 'Europe/Berlin' });
    expect(feature(berlin, 'converge_super').checkouts[1].startedAt).toBe('2021-11-03T09:38:00.000Z');
    // read on Jan 2nd, an 11/03 start is last year's
    const jan = parseRlmstat(text, { ...OPTS, now: new Date('2022-01-02T00:00:00Z') });
    expect(feature(jan, 'converge_super').checkouts[1].startedAt).toBe('2021-11-03T10:38:00.000Z');
  });

  it('server, ISV and pool details', () => {
    expect(snap.serverId).toBe('rlm-test');
    expect(snap.sourceType).toBe('rlm');
    expect(snap.fetchedAt).toBe(NOW.toISOString());
    expect(snap.hosts).toEqual([
      { host: 'licserv.com', port: 35015, status: 'UP', master: true, version: 'v12.2', message: null },
    ]);
    expect(snap.vendorDaemons).toEqual([
      {
        name: 'csci',
        status: 'UP',
        version: 'v12.2',
        host: 'licserv.server.com',
        port: 63133,
        message: null,
        denials: 0,
      },
    ]);
    expect(feature(snap, 'converge_super').pools).toEqual([
      {
        name: 'converge_super',
        version: 'v3.0',
        vendor: 'csci',
        type: 'floating',
        issued: 1000,
        used: 93,
        reserved: 0,
        expiry: '2022-01-31',
        expiryRaw: '31-jan-2022',
        permanent: false,
        lockedTo: null,
        vendorString: null,
      },
    ]);
    expect(feature(snap, 'converge_super').vendor).toBe('csci');
  });

  it('validates: counts agree with the checkouts', () => {
    const v = validate(snap);
    expect(v.valid).toBe(true);
    expect(v.features.every((f) => f.valid)).toBe(true);
  });

  it('serverId defaults to the first port@host of the license path', () => {
    expect(parseRlmstat(text, { now: NOW }).serverId).toBe('10@licserv.server.com');
    expect(parseRlmstat(text, { now: NOW, sourceType: 'rlm-file' }).sourceType).toBe('rlm-file');
  });
});

describe('conftest_rlm_output_no_licenses', () => {
  it('5 features, 0 used, no checkouts; the second server of the path is not invented', () => {
    const snap = parseRlmstat(
      readFixture('rlmstat/omnivector-solutions__license-manager__conftest_rlm_output_no_licenses.txt'),
      OPTS,
    );
    expect(snap.features).toHaveLength(5);
    expect(snap.features.map((f) => [f.name, f.issued, f.used])).toEqual([
      ['converge', 1, 0],
      ['converge_gui', 45, 0],
      ['converge_gui_polygonica', 1, 0],
      ['converge_super', 1000, 0],
      ['converge_tecplot', 45, 0],
    ]);
    expect(snap.features.every((f) => f.checkouts.length === 0)).toBe(true);
    expect(snap.hosts.map((h) => h.host)).toEqual(['licserv0011.com']);
    expect(
      parseRlmstat(readFixture('rlmstat/omnivector-solutions__license-manager__conftest_rlm_output_no_licenses.txt'), {
        now: NOW,
      }).serverId,
    ).toBe('35015@licserv0011.com');
  });
});

describe('conftest_rlm_output_bad', () => {
  it('DOWN, with the whole message, no features, no hosts', () => {
    const snap = parseRlmstat(
      readFixture('rlmstat/omnivector-solutions__license-manager__conftest_rlm_output_bad.txt'),
      OPTS,
    );
    expect(snap.status).toBe('DOWN');
    expect(snap.error).toBe(
      'Error connecting to "rlm" server; Connection attempted to host: "" on port 5053; No error',
    );
    expect(snap.features).toEqual([]);
    expect(snap.hosts).toEqual([]);
    expect(snap.warnings).toEqual([]);
    expect(validate(snap).issues.map((i) => i.code)).toEqual(['SERVER_DOWN']);
  });

  it('a named host that refuses becomes a DOWN host', () => {
    const snap = parseRlmstat(
      'rlmutil v14.2\n\n\tError connecting to "rlm" server\n\n\tConnection attempted to host: "lic9" on port 5053\n\n\tCommunications error with license server (-17)\n\tConnection refused at server (-111)\n',
      OPTS,
    );
    expect(snap.status).toBe('DOWN');
    expect(snap.hosts).toEqual([
      {
        host: 'lic9',
        port: 5053,
        status: 'DOWN',
        master: false,
        version: null,
        message:
          'Error connecting to "rlm" server; Connection attempted to host: "lic9" on port 5053; Communications error with license server (-17); Connection refused at server (-111)',
      },
    ]);
  });

  it('rlmstat complaining on its own line is DOWN too', () => {
    const snap = parseRlmstat('rlmstat: cannot find license file\n', OPTS);
    expect(snap.status).toBe('DOWN');
    expect(snap.error).toBe('rlmstat: cannot find license file');
  });
});

describe('hand-made variants from real formats', () => {
  const at = { now: new Date('2024-03-31T12:00:00Z'), timeZone: 'UTC', serverId: 'x' };

  it('foundry_pools: several pools and versions of one product are one feature with summed counts', () => {
    const snap = parseRlmstat(readExtra('foundry_pools.txt'), at);
    expect(snap.warnings).toEqual([]);
    expect(snap.status).toBe('UP');
    expect(snap.version).toBe('v15.2');
    expect(snap.features.map((f) => f.name)).toEqual(['viewer_i', 'comp_i', 'render_r']);
    const comp = feature(snap, 'comp_i');
    expect([comp.issued, comp.used]).toEqual([23, 3]);
    expect(comp.pools.map((p) => [p.version, p.issued, p.used, p.permanent, p.expiry, p.vendorString])).toEqual([
      ['v2024.0331', 1, 1, true, null, 'pool: 2'],
      ['v2024.0701', 22, 2, true, null, 'pool: 3'],
    ]);
    const render = feature(snap, 'render_r');
    expect([render.issued, render.used]).toEqual([25, 2]);
    expect(render.pools.map((p) => [p.version, p.issued, p.reserved, p.expiry])).toEqual([
      ['v2024.0701', 16, 2, null],
      ['v2025.0118', 5, 0, '2025-01-20'],
      ['v2024.0701', 4, 0, '2024-04-01'],
    ]);
    // "1/1": one license held, it came from a reservation; count is the first number
    expect(render.checkouts.map((c) => [c.username, c.hostname, c.count, c.handle, c.serverInfo])).toEqual([
      ['farm01', 'node-17', 1, '329', 'rlmhost.example.org/49679 329'],
      ['farm01', 'node-18', 1, '32a', 'rlmhost.example.org/49679 32a'],
    ]);
    expect(feature(snap, 'comp_i').checkouts[0]).toMatchObject({
      username: 'ana.lopez',
      hostname: 'ws-001',
      startedAt: '2024-03-28T21:44:00.000Z',
      detail: null,
    });
    expect(snap.vendorDaemons).toEqual([
      {
        name: 'foundry',
        status: 'UP',
        version: 'v15.2',
        host: 'rlmhost.example.org',
        port: 49679,
        message: null,
        denials: 1230,
      },
    ]);
    expect(validate(snap).valid).toBe(true);
  });

  it('tecplot_token: restarts, denials, a token-based product', () => {
    const snap = parseRlmstat(readExtra('tecplot_token.txt'), at);
    expect(snap.warnings).toEqual([]);
    expect(snap.vendorDaemons[0]).toMatchObject({ name: 'teclmd', status: 'UP', denials: 3, port: 27101 });
    const tok = feature(snap, '360');
    expect(tok).toMatchObject({ issued: null, used: null, uncounted: false, error: { code: 'TOKEN_BASED' } });
    expect(tok.pools).toEqual([
      expect.objectContaining({
        version: 'v2013.1',
        type: 'unknown',
        issued: null,
        used: null,
        vendorString: 'Token-based license',
      }),
    ]);
    expect(feature(snap, '360ex')).toMatchObject({ issued: 2, used: 1 });
    expect(feature(snap, '360ex').checkouts[0]).toMatchObject({
      username: 'kim',
      hostname: 'cfd-07',
      startedAt: '2023-04-16T13:31:00.000Z',
    });
  });

  it('two_isvs_one_down: features of several ISVs, a DOWN ISV, the server still UP', () => {
    const snap = parseRlmstat(readExtra('two_isvs_one_down.txt'), at);
    expect(snap.status).toBe('UP');
    expect(snap.error).toBeNull();
    expect(snap.warnings).toEqual([]);
    expect(snap.vendorDaemons.map((v) => [v.name, v.status, v.port])).toEqual([
      ['exacorp', 'UP', 50001],
      ['tainc', 'UP', 50002],
      ['sesinetd', 'DOWN', null],
    ]);
    expect(snap.vendorDaemons[2].message).toBe(
      'Error connecting to "sesinetd" server; Connection attempted to host: "lic0001.example.com" on port 50003; Communications error with license server (-17)',
    );
    expect(snap.features.map((f) => [f.name, f.vendor, f.issued, f.used, f.checkouts.length])).toEqual([
      ['powercase', 'exacorp', 5, 3, 3],
      ['powerdelta', 'exacorp', 1, 1, 1],
      ['powertherm', 'tainc', 1, 0, 0],
      ['powertherm-mp', 'tainc', 3, 0, 0],
    ]);
    expect(feature(snap, 'powercase').checkouts[2]).toMatchObject({
      username: 'wrt',
      hostname: 'server3',
      handle: '11c',
      serverInfo: 'lic0001.example.com/50001 11c',
      startedAt: '2023-08-21T14:53:00.000Z',
    });
    expect(validate(snap).issues.map((i) => i.code)).toEqual(['VENDOR_DAEMON_DOWN']);
  });

  it('an ISV marked "No" in the table without an error block is DOWN with a message', () => {
    const text = readExtra('two_isvs_one_down.txt').replace(/\tError connecting[\s\S]*?\(-17\)\n/, '');
    const snap = parseRlmstat(text, at);
    expect(snap.vendorDaemons[2]).toMatchObject({
      name: 'sesinetd',
      status: 'DOWN',
      message: 'ISV server not running (Running: No, restarts: 5)',
    });
    expect(snap.warnings).toEqual([]);
  });

  it('uncounted: UNCOUNTED lines, count 0, year-0 expiry, mixed pools', () => {
    const snap = parseRlmstat(readExtra('uncounted.txt'), at);
    expect(snap.warnings).toEqual([]);
    expect(snap.features.map((f) => [f.name, f.issued, f.used, f.uncounted])).toEqual([
      ['viewer', null, 1, true],
      ['convert', null, 0, true],
      ['solver', null, 2, true],
    ]);
    expect(feature(snap, 'viewer').pools[0]).toMatchObject({
      type: 'uncounted',
      issued: null,
      used: 1,
      expiryRaw: null,
      permanent: false,
    });
    expect(feature(snap, 'convert').pools[0]).toMatchObject({
      type: 'uncounted',
      permanent: true,
      expiryRaw: 'permanent',
    });
    expect(feature(snap, 'solver').pools.map((p) => [p.type, p.issued, p.used, p.permanent])).toEqual([
      ['floating', 4, 2, true],
      ['uncounted', null, 0, true],
    ]);
    // the checkout from 12/31 23:59 read on 3/31 is last year's
    expect(feature(snap, 'viewer').checkouts[0]).toMatchObject({
      count: 1,
      startTime: '12/31 23:59',
      startedAt: '2023-12-31T23:59:00.000Z',
    });
    expect(feature(snap, 'solver').checkouts[0]).toMatchObject({ count: 2, startedAt: '2024-01-01T00:10:00.000Z' });
    expect(validate(snap).valid).toBe(true);
  });

  it('v9_usage_form: "user@host(vX) (handle) n/m at" lines, user names with spaces', () => {
    const snap = parseRlmstat(readExtra('v9_usage_form.txt'), at);
    expect(snap.warnings).toEqual([]);
    expect(snap.status).toBe('UP');
    const f = feature(snap, 'test3');
    expect([f.issued, f.used, f.vendor]).toEqual([3, 2, 'reprise']);
    expect(
      f.checkouts.map((c) => [c.username, c.hostname, c.handle, c.version, c.count, c.serverInfo, c.startedAt]),
    ).toEqual([
      ['tom', 'sun1', '809f418', 'v1.000', 1, 'melody/1215 809f418', '2024-02-06T09:59:00.000Z'],
      ['ann lee', 'sun2', '809f419', 'v1.000', 1, 'melody/1215 809f419', '2024-02-06T10:05:00.000Z'],
    ]);
  });

  it('isv_only (rlmstat -a -i isv): no rlm block, the ISV answers', () => {
    const snap = parseRlmstat(readExtra('isv_only.txt'), at);
    expect(snap.warnings).toEqual([]);
    expect(snap.status).toBe('UP');
    expect(snap.hosts).toEqual([]);
    expect(snap.vendorDaemons).toEqual([
      {
        name: 'simio',
        status: 'UP',
        version: 'v15.1',
        host: 'srv.example.edu',
        port: 49827,
        message: null,
        denials: 12,
      },
    ]);
    expect(snap.features.map((f) => [f.name, f.issued, f.used, f.pools[0].expiry, f.pools[0].vendorString])).toEqual([
      ['simio-academic', 100, 0, '2025-01-09', 'pool: 1'],
    ]);
  });

  it.each(fs.existsSync(EXTRA) ? fs.readdirSync(EXTRA).filter((f) => f.endsWith('.txt')) : [])(
    '%s: tabs, spaces, CRLF and no indentation at all read the same',
    (name) => {
      const text = readExtra(name);
      const base = parseRlmstat(text, at);
      const variants = [
        text.replace(/\n/g, '\r\n'),
        text.replace(/^[ \t]+/gm, ''),
        text.replace(/^\t/gm, '    '),
        text.replace(/^( {4}|\t)+/gm, (m) => '\t'.repeat(m.replace(/ {4}/g, '\t').length)),
      ];
      for (const v of variants) expect(parseRlmstat(v, at)).toEqual(base);
    },
  );
});

describe('checkout line forms', () => {
  const wrap = (usage: string) =>
    `\tdemo license pool status on h (port 5)\n\n\tp v1.0\n\t\tcount: 10, # reservations: 0, inuse: 1, exp: permanent\n\n\tdemo license usage status on h (port 5)\n\n${usage}\n`;

  it('isv-defined data (-I), roaming and queued tails', () => {
    const snap = parseRlmstat(
      wrap(
        [
          '\tp v1.0: a@h1 1/0 at 05/20 13:41  (handle: 41) [I: proj=x]',
          '\tp v1.0: b@h2 1/0 at 05/20 13:42  (handle: 42) (roaming)',
          '\tp v1.0: c@h3 2/0 at 05/20 13:43  (handle: 43) (QUEUED)',
        ].join('\n'),
      ),
      { ...OPTS, now: new Date('2024-05-21T00:00:00Z') },
    );
    const f = feature(snap, 'p');
    expect(f.checkouts.map((c) => [c.username, c.detail, c.borrowed])).toEqual([
      ['a', '[I: proj=x]', false],
      ['b', '(roaming)', true],
    ]);
    expect(f.queued).toEqual([
      {
        username: 'c',
        hostname: 'h3',
        display: null,
        count: 2,
        serverInfo: 'h/5 43',
        handle: '43',
        startTime: '05/20 13:43',
        startedAt: '2024-05-20T13:43:00.000Z',
      },
    ]);
  });

  it('a checkout line with a zero count is counted as 1 and warned about', () => {
    const snap = parseRlmstat(wrap('\tp v1.0: a@h1 0/0 at 05/20 13:41  (handle: 41)'), OPTS);
    expect(feature(snap, 'p').checkouts[0].count).toBe(1);
    expect(snap.warnings).toEqual([
      expect.objectContaining({ code: 'BAD_COUNT', affectsCounts: true, feature: 'p', line: 8 }),
    ]);
  });

  it('an impossible start time keeps the raw text, startedAt null and a BAD_DATE warning', () => {
    const snap = parseRlmstat(wrap('\tp v1.0: a@h1 1/0 at 13/45 10:00  (handle: 41)'), OPTS);
    expect(feature(snap, 'p').checkouts[0]).toMatchObject({ startTime: '13/45 10:00', startedAt: null });
    expect(snap.warnings).toEqual([expect.objectContaining({ code: 'BAD_DATE', affectsCounts: false, feature: 'p' })]);
  });

  it('usage lines with no pool section (rlmstat -i) create features with unknown counts', () => {
    const snap = parseRlmstat(
      'rlmstat v14.2\n------------------------\ndemo license usage status on js (port 27001)\nfloatserver v21.0: js@js 1/0 at 05/20 13:41 (handle: 41)\n',
      OPTS,
    );
    expect(snap.status).toBe('UP');
    expect(snap.features).toEqual([
      expect.objectContaining({
        name: 'floatserver',
        vendor: 'demo',
        issued: null,
        used: null,
        pools: [],
        checkouts: [expect.objectContaining({ username: 'js', serverInfo: 'js/27001 41' })],
      }),
    ]);
  });
});

describe('unparsed lines and odd inputs', () => {
  it('lines not understood become UNPARSED_LINE warnings; in a pool section they affect counts', () => {
    const text = [
      'rlmutil v12.2',
      '\trlm status on h (port 5053), up 1d 00:00:00',
      '\tsomething odd here',
      '\t------------------------',
      '\tdemo license pool status on h (port 5054)',
      '\tp v1.0',
      '\t\tcount: lots, # reservations: 0, inuse: 1, exp: permanent',
      '\tq v1.0',
      '\tweird pool line ' + 'x'.repeat(300),
    ].join('\n');
    const snap = parseRlmstat(text, OPTS);
    expect(snap.warnings).toEqual([
      {
        code: 'UNPARSED_LINE',
        message: 'line not understood',
        line: 3,
        text: 'something odd here',
        affectsCounts: false,
      },
      expect.objectContaining({ code: 'UNPARSED_LINE', line: 7, affectsCounts: true, feature: 'p' }),
      expect.objectContaining({ code: 'UNPARSED_LINE', line: 8, affectsCounts: true, text: 'q v1.0' }),
      expect.objectContaining({ code: 'UNPARSED_LINE', line: 9, affectsCounts: true }),
    ]);
    expect(snap.warnings[3].text).toHaveLength(200);
    // p exists (its count line was not understood), q does not
    expect(feature(snap, 'p')).toMatchObject({ issued: null, used: null, pools: [] });
    expect(snap.features.map((f) => f.name)).toEqual(['p']);
    const v = validate(snap);
    expect(v.valid).toBe(false);
    expect(v.issues.map((i) => i.code)).toEqual(['UNPARSED_LINES']);
  });

  it('caps warnings at the first 50 plus one summary', () => {
    const text = [
      '\trlm status on h (port 5053), up 1d',
      ...Array.from({ length: 120 }, (_, i) => `junk line ${i}`),
    ].join('\n');
    const snap = parseRlmstat(text, OPTS);
    expect(snap.warnings).toHaveLength(MAX_WARNINGS + 1);
    expect(snap.warnings[49]).toMatchObject({ line: 51, text: 'junk line 49' });
    expect(snap.warnings[50]).toEqual({
      code: 'WARNINGS_TRUNCATED',
      message: '70 more warning(s) not listed',
      affectsCounts: false,
    });
  });

  it('empty or foreign input is UNKNOWN with a reason, never a throw', () => {
    expect(parseRlmstat('', OPTS)).toMatchObject({ status: 'UNKNOWN', error: 'empty rlmstat output', features: [] });
    expect(parseRlmstat('hello\nworld', OPTS)).toMatchObject({
      status: 'UNKNOWN',
      error: 'output not recognised as rlmstat',
    });
    expect(parseRlmstat(undefined as unknown as string, OPTS).status).toBe('UNKNOWN');
    expect(parseRlmstat('x', { now: new Date(NaN) }).fetchedAt).toMatch(/^\d{4}-/);
    expect(parseRlmstat('x', null as unknown as undefined).status).toBe('UNKNOWN');
  });

  it('an lmstat output is not mistaken for rlmstat', () => {
    const snap = parseRlmstat(
      'lmutil - Copyright (c) 1989-2019 Flexera.\nUsers of f1:  (Total of 10 licenses issued;  Total of 3 licenses in use)\n  "f1" v2023.0910, vendor: foundry\n',
      OPTS,
    );
    expect(snap.status).toBe('UNKNOWN');
    expect(snap.features).toEqual([]);
  });
});

describe('helpers', () => {
  it('parseRlmExpiry', () => {
    expect(parseRlmExpiry('31-jan-2022')).toEqual({ expiry: '2022-01-31', permanent: false });
    expect(parseRlmExpiry('1-Apr-2024')).toEqual({ expiry: '2024-04-01', permanent: false });
    expect(parseRlmExpiry('permanent')).toEqual({ expiry: null, permanent: true });
    expect(parseRlmExpiry('1-jan-0')).toEqual({ expiry: null, permanent: true });
    expect(parseRlmExpiry('01-jan-0000')).toEqual({ expiry: null, permanent: true });
    expect(parseRlmExpiry('soon')).toEqual({ expiry: null, permanent: false });
    expect(parseRlmExpiry(null)).toEqual({ expiry: null, permanent: false });
  });

  it('rlmstatArgs', () => {
    expect(rlmstatArgs('5053@lic')).toEqual(['rlmstat', '-a', '-c', '5053@lic']);
    expect(rlmstatArgs('5053@lic', 'foundry')).toEqual(['rlmstat', '-a', '-i', 'foundry', '-c', '5053@lic']);
  });
});

describe('performance', () => {
  it('parses a large output (2,000 products, 40,000 checkouts) in well under a second', () => {
    const pools: string[] = [];
    const uses: string[] = [];
    for (let p = 0; p < 2000; p++) {
      pools.push(
        `\tprod${p} v1.0`,
        `\t\tcount: 100, # reservations: 0, inuse: 20, exp: 31-dec-2030`,
        `\t\tobsolete: 0, min_remove: 120, total checkouts: 5`,
      );
      for (let u = 0; u < 20; u++)
        uses.push(
          `\tprod${p} v1.0: user${u}@host${u}.example.com 1/0 at ${String((u % 12) + 1).padStart(2, '0')}/${String((p % 28) + 1).padStart(2, '0')} ${String(u % 24).padStart(2, '0')}:${String(p % 60).padStart(2, '0')}  (handle: ${(p * 20 + u).toString(16)})`,
        );
    }
    const text = [
      'rlmutil v12.2',
      '\trlm status on big (port 5053), up 1d',
      '\t------------------------',
      '\tbig license pool status on big (port 6000)',
      ...pools,
      '\t------------------------',
      '\tbig license usage status on big (port 6000)',
      ...uses,
    ].join('\n');
    // CPU time, not wall time: a bound on the work, whatever else the machine runs
    const [snap, ms] = cpuTimed(() =>
      parseRlmstat(text, { now: new Date('2031-01-01T00:00:00Z'), timeZone: 'Europe/Berlin' }),
    );
    expect(snap.features).toHaveLength(2000);
    expect(snap.features.reduce((n, f) => n + f.checkouts.length, 0)).toBe(40000);
    expect(snap.warnings).toEqual([]);
    expect(validate(snap).valid).toBe(true);
    expect(ms).toBeLessThan(3000);
  });
});
