/**
 * Property-based tests (fast-check) for parseDebugLog: random text, soups of real debug-log lines and mutated real
 * logs never make it throw, and what it returns always holds together: every line in exactly one class, events
 * well-formed (ISO instants or null, counts non-negative integers, 16-hex-digit ids, unique), warnings and samples
 * capped; LF and CRLF give the same result.
 */
import * as fs from 'fs';
import fc from 'fast-check';
import { DEBUG_EVENT_TYPES, parseDebugLog, type DebugLogResult } from '../../src/sources/flexlm/debuglog';
import { fixtureFiles, loadManifest, readFixture } from '../helpers/fixtures';
import { reproducible } from '../helpers/fuzz';

const texts: string[] = [
  ...loadManifest()
    .filter((r) => r.kind === 'debuglog')
    .map((r) => readFixture(r.file)),
  ...fixtureFiles('hand-made/flexlm-log').map((f) => fs.readFileSync(f, 'utf8')),
];
const lines = [...new Set(texts.flatMap((t) => t.split(/\r?\n/)))];
lines.push(
  ' 9:14:02 (cdslmd) OUT: "Spectre" maria@ws-101  (99999999999999999999 licenses)',
  ' 9:14:02 (cdslmd) OUT: "Spectre" maria@ws-101  (0 licenses) (((',
  ' 9:14:02 (cdslmd) DENIED: "" @  ()',
  ' 9:14:02 (cdslmd) IN: "Spectre" @@@ ")" (")")',
  '24:00:00 (cdslmd) OUT: "Spectre" a@b',
  ' 0:00:04 (lmgrd) TIMESTAMP 2/29/2027',
  ' 0:00:04 (lmgrd) TIMESTAMP 12/1/99999',
  ' 1:00:00 (lmgrd) FLEXlm (v9.2) started on h (linux) (0/0/2026)',
  "15:49:07 (lmgrd) Server's System Date and Time: Xyz Foo 99 2018 15:49:07",
  '15:49:10 (lmgrd) (@lmgrd-SLOG@) Start-Date: Sun Feb 30 2021 11:58:22',
);

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/;

function fail(what: string, value: unknown): never {
  throw new Error(`${what}: ${JSON.stringify(value)}`);
}

function check(r: DebugLogResult): void {
  const s = r.summary;
  if (s.events + s.dateLines + s.ignored + s.blank + s.unparsed !== s.lines) fail('lines not all classed', s);
  if (s.events !== r.events.length || r.unparsed.count !== s.unparsed) fail('summary counts', s);
  if (r.unparsed.samples.length > 20 || r.unparsed.samples.length > s.unparsed) fail('samples', r.unparsed);
  if (r.warnings.length > 52) fail('warnings not capped', r.warnings.length);
  const ids = new Set<string>();
  let undated = 0;
  for (const e of r.events) {
    if (!DEBUG_EVENT_TYPES.includes(e.type)) fail('type', e);
    if (e.at === null) undated++;
    else if (!ISO.test(e.at) || new Date(e.at).toISOString() !== e.at) fail('at', e);
    if (!Number.isSafeInteger(e.count) || e.count < 0) fail('count', e);
    if (!/^[0-9a-f]{16}$/.test(e.id) || ids.has(e.id)) fail('id', e);
    ids.add(e.id);
    if (!e.feature || !e.user || !e.host || !e.vendor || !e.time) fail('empty field', e);
    if (/\s$/.test(e.host) || (e.host.includes('@') === false && /\s/.test(e.host))) fail('host', e);
    if (!Number.isSafeInteger(e.line) || e.line < 1 || e.line > s.lines) fail('line', e);
    if ((e.reasonKind === null) !== (e.reason === null)) fail('reasonKind', e);
  }
  if (undated !== s.undated) fail('undated', s);
}

function run(text: string, opts = { timeZone: 'Europe/Berlin' }): DebugLogResult {
  const r = parseDebugLog(text, opts);
  check(r);
  return r;
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 400 }),
  fc.string({
    unit: fc.constantFrom(
      '(',
      ')',
      ' ',
      ':',
      '/',
      '\n',
      '\r\n',
      '"',
      '@',
      '[',
      ']',
      '1',
      '9:14:02 ',
      '(cdslmd) ',
      'OUT: ',
      'IN: ',
      'DENIED: ',
      'TIMESTAMP ',
      '12/1/2026',
      'licenses',
    ),
    maxLength: 200,
  }),
);

const soup = fc
  .tuple(fc.array(fc.constantFrom(...lines), { maxLength: 120 }), fc.constantFrom('\n', '\r\n'))
  .map(([ls, eol]) => ls.join(eol));

type Mutation =
  | { kind: 'flip'; pos: number; ch: string }
  | { kind: 'truncate'; pos: number }
  | { kind: 'dup' | 'del'; idx: number }
  | { kind: 'insert'; pos: number; s: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    pos: fc.nat(),
    ch: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
  fc.record({ kind: fc.constantFrom('dup' as const, 'del' as const), idx: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    pos: fc.nat(),
    s: fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 6 }),
      fc.stringMatching(/^\d{1,12}$/),
      fc.constantFrom('\u0000', '\ufeff', '\r', '"', '(', ')', '@', ' 0:00:00 ', '\n23:59:59 (x) '),
    ),
  }),
);

function mutate(text: string, ops: Mutation[]): string {
  let t = text;
  for (const op of ops) {
    const len = Math.max(t.length, 1);
    if (op.kind === 'flip') t = t.slice(0, op.pos % len) + op.ch + t.slice((op.pos % len) + 1);
    else if (op.kind === 'truncate') t = t.slice(0, op.pos % len);
    else if (op.kind === 'insert') t = t.slice(0, op.pos % len) + op.s + t.slice(op.pos % len);
    else {
      const ls = t.split('\n');
      const i = op.idx % ls.length;
      if (op.kind === 'dup') ls.splice(i, 0, ls[i]);
      else ls.splice(i, 1);
      t = ls.join('\n');
    }
  }
  return t;
}

// the small real logs and the hand-made ones whole; of the large one, windows of 200 lines
const small = texts.filter((t) => t.length < 100_000);
const bigLines = texts.filter((t) => t.length >= 100_000).flatMap((t) => [t.split('\n')]);
const window = fc
  .tuple(fc.constantFrom(...bigLines), fc.nat())
  .map(([ls, i]) => ls.slice(i % ls.length, (i % ls.length) + 200).join('\n'));
const mutated = fc
  .tuple(fc.oneof(fc.constantFrom(...small), window), fc.array(mutation, { minLength: 1, maxLength: 8 }))
  .map(([t, ops]) => mutate(t, ops));

describe('parseDebugLog under random input', () => {
  it('random strings', () => {
    fc.assert(
      fc.property(anyText, (t) => void run(t)),
      reproducible(2000),
    );
  });

  it('soups of real and edge lines, LF or CRLF', () => {
    fc.assert(
      fc.property(soup, (t) => void run(t)),
      reproducible(800),
    );
  });

  it('mutated real logs (byte flips, truncation, duplicated and deleted lines, inserted characters)', () => {
    fc.assert(
      fc.property(mutated, (t) => void run(t)),
      reproducible(400),
    );
  });

  it('LF and CRLF of the same soup give the same result; any zone and fallback date keep the invariants', () => {
    const zones = fc.constantFrom(
      'UTC',
      'Europe/Berlin',
      'America/New_York',
      'Australia/Lord_Howe',
      'Asia/Kathmandu',
      'Pacific/Apia',
      'Not/AZone',
    );
    const fallback = fc.option(fc.constantFrom('2026-11-01', '2026-03-08', '2024-02-29', '2026-02-30', 'x'), {
      nil: undefined,
    });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...lines), { maxLength: 80 }),
        zones,
        fallback,
        (ls, timeZone, fallbackDate) => {
          const lf = run(ls.join('\n'), { timeZone, fallbackDate } as { timeZone: string });
          const crlf = run(ls.join('\r\n'), { timeZone, fallbackDate } as { timeZone: string });
          expect(crlf.events).toEqual(lf.events);
          expect(crlf.summary).toEqual(lf.summary);
        },
      ),
      reproducible(400),
    );
  });

  it('non-string input and absurd options do not throw', () => {
    expect(run(undefined as unknown as string).summary.lines).toBe(0);
    expect(parseDebugLog('', { maxSamples: -1, timeZone: '' }).warnings.map((w) => w.code)).toEqual(['BAD_TIME_ZONE']);
    for (const t of texts) run(t);
  });
});
