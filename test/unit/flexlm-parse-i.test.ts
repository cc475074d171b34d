/**
 * parseLmstatI (lmstat -i license-file tables, both column orders), parseFlexlmDate and mergeExpiry.
 */
import * as path from 'path';
import { mergeExpiry, parseFlexlmDate, parseLmstat, parseLmstatI, type LmstatIResult } from '../../src/sources/flexlm';
import { loadManifest, readFixture } from '../helpers/fixtures';

const describeFixtures = describe;

/** "(lmstat -i: NAME(vVERSION):#licenses) feature1(v2018.12):2;..." -> [name, version, count] in order */
function manifestRows(spec: string): Array<[string, string, number]> {
  return spec
    .slice(spec.indexOf('#licenses) ') + '#licenses) '.length)
    .split(';')
    .filter(Boolean)
    .map((p) => {
      const m = /^(.+)\(v([^)]+)\):(\d+)$/.exec(p);
      if (!m) throw new Error(`manifest entry not understood: ${p}`);
      return [m[1], m[2], Number(m[3])];
    });
}

describeFixtures('parseLmstatI: the lmstat -i fixtures against MANIFEST.tsv', () => {
  const rows = loadManifest().filter((r) => r.kind === 'lmstat-i');

  it('has both -i fixtures', () => {
    expect(rows.map((r) => path.basename(r.file))).toEqual([
      'mjtrangoni__flexlm_exporter__lmstat_i_app1.txt',
      'mjtrangoni__flexlm_exporter__lmstat_i_app2.txt',
    ]);
  });

  it.each(rows.map((r) => [path.basename(r.file), r.file, r.raw.features_issued_inuse]))(
    '%s: NAME(vVERSION):#licenses in order, no warnings',
    (_n, file, spec) => {
      const res = parseLmstatI(readFixture(file));
      expect(res.features.map((f) => [f.name, f.version, f.issued])).toEqual(manifestRows(spec));
      expect(res.warnings).toEqual([]);
    },
  );

  it('lmstat_i_app1 (Feature/Version/#licenses/Expires/Vendor): dates, feature12 twice, 1-jan-0 and 01-jan-0000 permanent', () => {
    const res = parseLmstatI(readFixture('lmstat/mjtrangoni__flexlm_exporter__lmstat_i_app1.txt'));
    expect(res.features[0]).toEqual({
      name: 'feature1',
      version: '2018.12',
      issued: 2,
      expiry: '2018-12-31',
      expiryRaw: '31-dec-2018',
      permanent: false,
      vendor: 'vendor1',
      uncounted: false,
    });
    expect(res.features.filter((f) => f.name === 'feature12').map((f) => [f.issued, f.expiry, f.vendor])).toEqual([
      [50, '2018-12-31', 'vendor2'],
      [2, '2018-09-30', 'vendor2'],
    ]);
    expect(res.features.slice(-2)).toEqual([
      {
        name: 'feature15',
        version: '2018.09',
        issued: 2,
        expiry: null,
        expiryRaw: '1-jan-0',
        permanent: true,
        vendor: 'vendor2',
        uncounted: false,
      },
      {
        name: 'feature16',
        version: '0.1',
        issued: 1,
        expiry: null,
        expiryRaw: '01-jan-0000',
        permanent: true,
        vendor: 'vendor2',
        uncounted: false,
      },
    ]);
  });

  it('lmstat_i_app2 (Vendor and Expires swapped): "permanent(no expiration date)" with spaces', () => {
    const res = parseLmstatI(readFixture('lmstat/mjtrangoni__flexlm_exporter__lmstat_i_app2.txt'));
    expect(res.features[0]).toEqual({
      name: 'FEATURE_NAME_2_38_05',
      version: '1.1',
      issued: 1,
      expiry: '2020-06-12',
      expiryRaw: '12-jun-2020',
      permanent: false,
      vendor: 'VENDOR',
      uncounted: false,
    });
    expect(res.features.slice(-2)).toEqual([
      {
        name: 'feature_name_9',
        version: '15.0',
        issued: 2,
        expiry: null,
        expiryRaw: 'permanent(no expiration date)',
        permanent: true,
        vendor: 'vendor',
        uncounted: false,
      },
      {
        name: 'feature_name_10',
        version: '15.0',
        issued: 2,
        expiry: '2020-04-30',
        expiryRaw: '30-apr-2020',
        permanent: false,
        vendor: 'vendor',
        uncounted: false,
      },
    ]);
  });

  it('reads a table whose header was cut off (column order guessed per line)', () => {
    const res = parseLmstatI(
      'f1  1.0  3  VENDOR  12-jun-2020\nf2  1.0  4  31-dec-2030  vendorx\nf3  2.0  uncounted  permanent(no expiration date)  v\n',
    );
    expect(res.features.map((f) => [f.name, f.issued, f.uncounted, f.vendor, f.expiry, f.permanent])).toEqual([
      ['f1', 3, false, 'VENDOR', '2020-06-12', false],
      ['f2', 4, false, 'vendorx', '2030-12-31', false],
      ['f3', null, true, 'v', null, true],
    ]);
  });

  it('lines it cannot read become warnings; never throws', () => {
    const res = parseLmstatI('Feature Version #licenses Expires Vendor\nthis is not a row\nf 1.0 x 1-jan-0 v\n');
    expect(res.features).toEqual([]);
    expect(res.warnings.map((w) => [w.code, w.line])).toEqual([
      ['UNPARSED_LINE', 2],
      ['UNPARSED_LINE', 3],
    ]);
    expect(parseLmstatI(undefined as unknown as string)).toEqual({ features: [], warnings: [] });
  });
});

describe('parseFlexlmDate', () => {
  it.each([
    ['30-dec-2025', '2025-12-30', false],
    ['1-Jan-2026', '2026-01-01', false],
    ['29-feb-2024', '2024-02-29', false],
    ['31-dec-2090', '2090-12-31', false],
    ['2025-12-30', '2025-12-30', false],
    ['1-jan-0', null, true],
    ['01-jan-0000', null, true],
    ['1-jan-00', null, true],
    ['0000', null, true], // a bare year 0 is the "never expires" sentinel too
    ['2025', null, false], // another bare year is not a date
    ['01-jan-2099', null, true], // years past 2090 are "never expires" sentinels
    ['31-dec-9999', null, true],
    ['permanent', null, true],
    ['permanent(no expiration date)', null, true],
    ['PERMANENT', null, true],
    ['1-jan-25', '2025-01-01', false],
    ['1-jan-99', '1999-01-01', false],
    ['1-jan-202', null, false], // never read as 20202 or 0202
    ['1-jan-20202', null, false],
    ['29-feb-2025', null, false],
    ['31-apr-2020', null, false],
    ['32-jan-2020', null, false],
    ['1-foo-2020', null, false],
    ['', null, false],
    ['uncounted', null, false],
  ])('%j -> %j permanent=%j', (raw, iso, permanent) => {
    expect(parseFlexlmDate(raw)).toEqual({ iso, permanent });
  });

  it('never throws on odd input', () => {
    expect(parseFlexlmDate(null)).toEqual({ iso: null, permanent: false });
    expect(parseFlexlmDate(undefined)).toEqual({ iso: null, permanent: false });
    expect(parseFlexlmDate(7 as unknown as string)).toEqual({ iso: null, permanent: false });
  });
});

describe('mergeExpiry', () => {
  const aText = [
    'Users of feature12:  (Total of 52 licenses issued;  Total of 1 license in use)',
    '  "feature12" v2018.12, vendor: vendor2',
    '  floating license',
    '    u h d (v2018.12) (srv/1 2), start Mon 1/20 10:30',
    'Users of feature15:  (Total of 2 licenses issued;  Total of 0 licenses in use)',
    'Users of feature1:  (Total of 2 licenses issued;  Total of 0 licenses in use)',
    '  "feature1" v2018.12, vendor: vendor1, expiry: 31-dec-2030',
    'Users of other:  (Total of 2 licenses issued;  Total of 0 licenses in use)',
  ].join('\n');
  const i: LmstatIResult = parseLmstatI(
    [
      'Feature   Version  #licenses  Expires      Vendor',
      'feature1  2018.12  2          31-dec-2018  vendor1',
      'feature12 2018.12  50         31-dec-2018  vendor2',
      'feature12 2018.12  2          30-sep-2018  vendor2',
      'feature15 2018.09  2          1-jan-0      vendor2',
    ].join('\n'),
  );

  it('fills pools that lacked an expiry (earliest of several matching rows), creates pools for features without pool lines, keeps stated expiries, does not mutate', () => {
    const snap = parseLmstat(aText, { now: new Date('2018-01-20T12:00:00Z'), timeZone: 'UTC' });
    const before = JSON.stringify(snap);
    const merged = mergeExpiry(snap, i);
    expect(JSON.stringify(snap)).toBe(before);
    const [f12, f15, f1, other] = merged.features;
    expect(f12.pools).toEqual([
      {
        name: 'feature12',
        version: 'v2018.12',
        vendor: 'vendor2',
        type: 'floating',
        expiry: '2018-09-30',
        expiryRaw: '30-sep-2018',
        permanent: false,
      },
    ]);
    expect(f15.pools).toEqual([
      {
        name: 'feature15',
        version: '2018.09',
        vendor: 'vendor2',
        type: 'unknown',
        issued: 2,
        expiry: null,
        expiryRaw: '1-jan-0',
        permanent: true,
      },
    ]);
    expect(f1.pools[0]).toMatchObject({ expiry: '2030-12-31', expiryRaw: '31-dec-2030' }); // -a had it: kept
    expect(other).toBe(snap.features[3]);
    expect(mergeExpiry(snap, { features: [], warnings: [] })).toBe(snap);
  });
});
