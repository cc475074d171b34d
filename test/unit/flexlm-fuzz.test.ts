/**
 * Property-based tests (fast-check) for the lmstat parsers: random text, soups of real fixture lines and
 * mutated fixtures never make them throw, and what they return is always well-formed (counts are null or
 * non-negative integers, checkout counts positive integers, dates ISO). Also checks that the parser's
 * memoised start-time inference gives exactly what domain/time's inferStartedAt gives.
 */
import * as fs from 'fs';
import fc from 'fast-check';
import { parseLmstat, parseLmstatI } from '../../src/sources/flexlm';
import { StartTimeInferrer } from '../../src/sources/flexlm/parse';
import { inferStartedAt } from '../../src/domain/time';
import type { Snapshot } from '../../src/domain/snapshot';
import { fixtureFiles, loadManifest, readFixture } from '../helpers/fixtures';
import { reproducible } from '../helpers/fuzz';

const NOW = new Date('2025-01-20T12:00:00Z');

const texts: string[] = [];
{
  for (const row of loadManifest()) if (row.file.startsWith('lmstat/')) texts.push(readFixture(row.file));
}
for (const f of fixtureFiles('hand-made/flexlm')) texts.push(fs.readFileSync(f, 'utf8'));
const iTexts = texts.filter((t) => t.startsWith('NOTE: lmstat -i'));
const lines = [...new Set(texts.flatMap((t) => t.split(/\r?\n/)))];
// hand-written edge lines on top of the real ones
lines.push(
  '    u h d (v1) (s/1 2), start Mon 1/20 10:30, 0 licenses',
  '    u h d (v1) (s/1 2), start Mon 1/20 10:30, 123456789012345678901234567890 licenses',
  '\t99999999999999999999 RESERVATIONs for GROUP G (s/1)',
  'Users of x:  (Total of 99999999999999999999 licenses issued;  Total of 1 license in use)',
  'Users of x:  (Error: 1e9 licenses, unsupported by licensed server)',
  '    u h d (v1) (s/1 2) queued for 0 licenses',
  '    u h d (v1) (s/1 2), start 13/45 99:99',
  '----------',
  'License server status: 0@,@,x@',
);

function fail(what: string, value: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(value)}`);
}

const nonNegInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const posInt = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isoInstant = (v: unknown) =>
  v === null || (typeof v === 'string' && !Number.isNaN(Date.parse(v)) && new Date(v).toISOString() === v);
const isoDate = (v: unknown) => v == null || (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v));

/** Everything a consumer relies on, whatever the input was. */
function checkSnapshot(s: Snapshot): void {
  if (!['UP', 'DOWN', 'UNKNOWN'].includes(s.status)) fail('status', s.status);
  if (s.warnings.length > 52) fail('warnings not capped', s.warnings.length);
  for (const h of s.hosts) {
    if (typeof h.host !== 'string' || !['UP', 'DOWN', 'UNKNOWN'].includes(h.status)) fail('host', h);
    if (h.port != null && !nonNegInt(h.port)) fail('host port', h);
  }
  for (const f of s.features) {
    if (typeof f.name !== 'string') fail('feature name', f.name);
    for (const v of [f.issued, f.used]) if (v !== null && !nonNegInt(v)) fail(`issued/used of ${f.name}`, v);
    if (f.uncounted && (f.issued !== null || f.used !== null)) fail('uncounted with counts', f);
    for (const c of f.checkouts) {
      if (!posInt(c.count)) fail('checkout count', c);
      if (typeof c.username !== 'string' || typeof c.hostname !== 'string' || typeof c.startTime !== 'string')
        fail('checkout strings', c);
      if (!isoInstant(c.startedAt ?? null)) fail('startedAt', c);
      if (c.pid != null && !nonNegInt(c.pid)) fail('pid', c);
      if (c.linger != null && !nonNegInt(c.linger)) fail('linger', c);
      if (c.serverPort != null && !(nonNegInt(c.serverPort) && c.serverPort <= 65535)) fail('serverPort', c);
    }
    for (const q of f.queued) if (!posInt(q.count)) fail('queued count', q);
    for (const r of f.reservations) if (!nonNegInt(r.count) || typeof r.target !== 'string') fail('reservation', r);
    for (const p of f.pools) if (!isoDate(p.expiry)) fail('pool expiry', p);
  }
}

function checkI(text: string): void {
  const res = parseLmstatI(text);
  for (const f of res.features) {
    if (f.issued !== null && !nonNegInt(f.issued)) fail('-i issued', f);
    if (!isoDate(f.expiry)) fail('-i expiry', f);
    if (typeof f.name !== 'string' || !f.name) fail('-i name', f);
  }
  if (res.warnings.length > 51) fail('-i warnings not capped', res.warnings.length);
}

function check(text: string): void {
  checkSnapshot(parseLmstat(text, { now: NOW, timeZone: 'UTC' }));
  checkI(text);
}

// ---------------------------------------------------------------------------------------------------------
// arbitraries

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 400 }),
  fc.string({
    unit: fc.constantFrom(
      '(',
      ')',
      ' ',
      ',',
      ':',
      '/',
      '\n',
      '\r',
      '\t',
      '"',
      'v',
      '1',
      'start ',
      'Users of ',
      'licenses',
      'RESERVATION',
    ),
    maxLength: 200,
  }),
);

const lineSoup = fc
  .tuple(fc.array(fc.constantFrom(...lines), { maxLength: 80 }), fc.constantFrom('\n', '\r\n', '\r'))
  .map(([ls, eol]) => ls.join(eol));

type Mutation =
  | { kind: 'flip'; pos: number; ch: string }
  | { kind: 'truncate'; pos: number }
  | { kind: 'dupLine' | 'delLine'; idx: number }
  | { kind: 'crlf' | 'lf' | 'cr' }
  | { kind: 'insert'; pos: number; s: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    pos: fc.nat(),
    ch: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
  fc.record({ kind: fc.constantFrom('dupLine' as const, 'delLine' as const), idx: fc.nat() }),
  fc.record({ kind: fc.constantFrom('crlf' as const, 'lf' as const, 'cr' as const) }),
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    s: fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.stringMatching(/^\d{1,25}$/),
      fc.constantFrom('\u0000', '\ufeff', '\u2028', '𝔘', 'é', ' (v', '), start ', ', 7 licenses'),
    ),
  }),
);

function mutate(text: string, ops: Mutation[]): string {
  let t = text;
  for (const op of ops) {
    const len = Math.max(t.length, 1);
    switch (op.kind) {
      case 'flip': {
        const p = op.pos % len;
        t = t.slice(0, p) + op.ch + t.slice(p + 1);
        break;
      }
      case 'truncate':
        t = t.slice(0, op.pos % len);
        break;
      case 'dupLine':
      case 'delLine': {
        const ls = t.split('\n');
        const i = op.idx % ls.length;
        if (op.kind === 'dupLine') ls.splice(i, 0, ls[i]);
        else ls.splice(i, 1);
        t = ls.join('\n');
        break;
      }
      case 'crlf':
        t = t.replace(/\r?\n/g, '\r\n');
        break;
      case 'lf':
        t = t.replace(/\r\n/g, '\n');
        break;
      case 'cr':
        t = t.replace(/\r?\n/g, '\r');
        break;
      case 'insert': {
        const p = op.pos % len;
        t = t.slice(0, p) + op.s + t.slice(p);
        break;
      }
    }
  }
  return t;
}

const mutatedFixture =
  texts.length > 0
    ? fc
        .tuple(fc.constantFrom(...texts), fc.array(mutation, { minLength: 1, maxLength: 8 }))
        .map(([t, ops]) => mutate(t, ops))
    : fc.constant('');

// ---------------------------------------------------------------------------------------------------------

describe('flexlm parsers under random input', () => {
  it('random strings', () => {
    fc.assert(fc.property(anyText, check), reproducible(2000));
  });

  it('soups of real fixture lines, any line ending', () => {
    fc.assert(fc.property(lineSoup, check), reproducible(1500));
  });

  it('mutated fixtures (byte flips, truncation, duplicated/deleted lines, CRLF/LF/CR swaps, inserted unicode and digits)', () => {
    fc.assert(fc.property(mutatedFixture, check), reproducible(1500));
  });

  it('mutated lmstat -i tables', () => {
    if (iTexts.length === 0) return;
    const arb = fc
      .tuple(fc.constantFrom(...iTexts), fc.array(mutation, { minLength: 1, maxLength: 8 }))
      .map(([t, ops]) => mutate(t, ops));
    fc.assert(fc.property(arb, checkI), reproducible(1000));
  });

  it('an unmutated fixture still satisfies the invariants (sanity check of the checker)', () => {
    for (const t of texts) check(t);
  });
});

describe('StartTimeInferrer gives exactly what inferStartedAt gives', () => {
  const zones = [
    'UTC',
    'Europe/Berlin',
    'America/New_York',
    'America/St_Johns',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'Pacific/Kiritimati',
    'Pacific/Apia',
    'Not/AZone',
  ];
  const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

  const raw = fc.oneof(
    fc
      .record({
        dow: fc.option(fc.integer({ min: 0, max: 6 }), { nil: undefined }),
        month: fc.integer({ min: 1, max: 12 }),
        day: fc.integer({ min: 1, max: 31 }),
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.integer({ min: 0, max: 59 }),
        second: fc.option(fc.integer({ min: 0, max: 59 }), { nil: undefined }),
      })
      .map(
        ({ dow, month, day, hour, minute, second }) =>
          `${dow === undefined ? '' : `${DOW[dow]} `}${month}/${day} ${hour}:${String(minute).padStart(2, '0')}${second === undefined ? '' : `:${String(second).padStart(2, '0')}`}`,
      ),
    fc.string({ maxLength: 20 }),
  );

  it('random times, nows and zones', () => {
    const nowArb = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 11, 31) }).map((ms) => new Date(ms));
    fc.assert(
      fc.property(raw, nowArb, fc.constantFrom(...zones), (r, now, tz) => {
        const got = new StartTimeInferrer(now, tz).infer(r);
        const want = inferStartedAt(r, now, tz);
        if (got !== want) fail(`infer(${r}) at ${now.toISOString()} in ${tz}`, { got, want });
      }),
      reproducible(1500),
    );
  });

  it.each([
    'Mon 1/20 10:30',
    'MON 1/20 10:30',
    'mon 01/05 7:05',
    'Xyz 1/20 10:30',
    'Mon 13/20 10:30',
    'Mon 1/32 10:30',
    'Mon 1/20 24:00',
    'Mon 1/20 10:60',
    'Mon 1/20 10:3',
    'Mon 1/20 10:300',
    'Mon 1/20/2025 10:30',
    '1/20 10:30',
    'Monday 1/20 10:30',
    'Mon 2/29 12:00',
    'Sun 1/1 0:00',
    'Sat 12/31 23:59',
    'Fri 1/17 23:58',
    'Sat 1/18 0:00',
    'M@n 1/20 10:30',
    ' Mon 1/20 10:30',
    'Mon 1/20 10:30 ',
  ])('%j', (r) => {
    for (const [now, tz] of [
      [new Date('2025-01-18T00:02:00Z'), 'UTC'],
      [new Date('2025-01-18T00:02:00Z'), 'America/New_York'],
      [new Date('2024-03-01T12:00:00Z'), 'Asia/Kathmandu'],
    ] as const) {
      expect(new StartTimeInferrer(now, tz).infer(r)).toBe(inferStartedAt(r, now, tz));
    }
  });

  it('every half hour around DST changes, with now on the same days (clock-skew edge)', () => {
    const cases: Array<[string, number]> = [
      ['Europe/Berlin', Date.UTC(2024, 2, 31)],
      ['Europe/Berlin', Date.UTC(2024, 9, 27)],
      ['America/New_York', Date.UTC(2024, 2, 10)],
      ['America/New_York', Date.UTC(2024, 10, 3)],
      ['Australia/Lord_Howe', Date.UTC(2024, 3, 7)],
      ['Australia/Lord_Howe', Date.UTC(2024, 9, 6)],
    ];
    for (const [tz, day] of cases) {
      for (const nowOffsetH of [-30, -1, 0, 2, 5, 26]) {
        const now = new Date(day + nowOffsetH * 3600_000);
        const inferrer = new StartTimeInferrer(now, tz);
        for (let d = -1; d <= 1; d++) {
          const date = new Date(day + d * 86_400_000);
          const md = `${date.getUTCMonth() + 1}/${date.getUTCDate()}`;
          for (let m = 0; m < 24 * 60; m += 30) {
            const r = `${DOW[date.getUTCDay()]} ${md} ${Math.floor(m / 60)}:${String(m % 60).padStart(2, '0')}`;
            const got = inferrer.infer(r);
            const want = inferStartedAt(r, now, tz);
            if (got !== want) fail(`infer(${r}) at ${now.toISOString()} in ${tz}`, { got, want });
          }
        }
      }
    }
  });
});
