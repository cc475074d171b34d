/**
 * Property tests for parseRlmstat: whatever the text, it returns a well-formed Snapshot and never throws.
 * Inputs: random strings, soups of real fixture lines (shuffled, re-indented, CRLF), and fixture texts with
 * characters and digits mutated. Fixed generator start values keep runs reproducible; the whole file stays within a few seconds.
 */
import * as fs from 'fs';
import fc from 'fast-check';
import { parseRlmstat, MAX_WARNINGS } from '../../src/sources/rlm';
import type { Snapshot } from '../../src/domain/snapshot';
import { validate } from '../../src/domain/validate';
import { fixtureFiles } from '../helpers/fixtures';
import { cpuTimed } from '../helpers/clock';
import { reproducible } from '../helpers/fuzz';

const NOW = new Date('2021-11-03T13:00:00Z');
const OPTS = { now: NOW, timeZone: 'Europe/Berlin', serverId: 'fuzz' };

function corpus(): string[] {
  const texts: string[] = [];
  for (const dir of ['rlmstat', 'hand-made/rlm']) {
    for (const f of fixtureFiles(dir)) if (f.endsWith('.txt')) texts.push(fs.readFileSync(f, 'utf8'));
  }
  return texts;
}

const TEXTS = corpus();
const LINES = [...new Set(TEXTS.flatMap((t) => t.split(/\r?\n/)))];

const isCount = (n: unknown) =>
  n === null || n === undefined || (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0);

/** The invariants every snapshot keeps. */
function checkSnapshot(s: Snapshot): void {
  expect(['UP', 'DOWN', 'UNKNOWN']).toContain(s.status);
  expect(s.sourceType).toBe('rlm');
  expect(Number.isFinite(Date.parse(s.fetchedAt))).toBe(true);
  if (s.status !== 'UP') expect(typeof s.error).toBe('string');
  expect(s.warnings.length).toBeLessThanOrEqual(MAX_WARNINGS + 1);
  for (const w of s.warnings) {
    expect(typeof w.code).toBe('string');
    if (w.text !== undefined) expect(w.text.length).toBeLessThanOrEqual(200);
    if (w.line !== undefined) expect(Number.isInteger(w.line) && w.line >= 1).toBe(true);
  }
  for (const v of s.vendorDaemons) {
    expect(['UP', 'DOWN', 'UNKNOWN']).toContain(v.status);
    expect(isCount(v.denials)).toBe(true);
    expect(isCount(v.port)).toBe(true);
  }
  const names = new Set<string>();
  for (const f of s.features) {
    expect(names.has(f.name)).toBe(false);
    names.add(f.name);
    expect(isCount(f.issued)).toBe(true);
    expect(isCount(f.used)).toBe(true);
    if (f.uncounted) expect(f.issued).toBeNull();
    for (const p of f.pools) {
      expect(isCount(p.issued)).toBe(true);
      expect(isCount(p.used)).toBe(true);
      expect(isCount(p.reserved)).toBe(true);
      if (p.expiry !== null && p.expiry !== undefined) expect(p.expiry).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    for (const c of [...f.checkouts, ...f.queued]) {
      expect(Number.isFinite(c.count) && c.count > 0).toBe(true);
      expect(typeof c.username).toBe('string');
      expect(typeof c.hostname).toBe('string');
      // never after the anchor: the capture's own time when it states one (domain/capture-time), else NOW
      const anchor = s.capturedAt ? Date.parse(s.capturedAt) : NOW.getTime();
      if (c.startedAt) expect(Date.parse(c.startedAt)).toBeLessThanOrEqual(anchor + 5 * 60_000);
    }
  }
  // validation is total over whatever the parser returns
  expect(() => validate(s)).not.toThrow();
}

function parseChecked(text: string): Snapshot {
  let s: Snapshot | undefined;
  expect(() => {
    s = parseRlmstat(text, OPTS);
  }).not.toThrow();
  checkSnapshot(s!);
  // pure: same input, same output
  expect(parseRlmstat(text, OPTS)).toEqual(s);
  return s!;
}

describe('parseRlmstat properties', () => {
  it('has a corpus to mutate', () => {
    expect(TEXTS.length).toBeGreaterThanOrEqual(3);
    expect(LINES.length).toBeGreaterThan(50);
  });

  it('random strings never throw', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.string({ unit: 'grapheme', maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 200 }),
        ),
        (text) => {
          parseChecked(text);
        },
      ),
      reproducible(300, 4242),
    );
  });

  it('soups of fixture lines never throw and keep counts sane', () => {
    const indent = fc.constantFrom('', '\t', '\t\t', '    ', '        ', ' \t ');
    const line = fc.tuple(indent, fc.constantFrom(...LINES));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 120 }), fc.constantFrom('\n', '\r\n', '\r'), (ls, eol) => {
        parseChecked(ls.map(([i, l]) => i + l.trim()).join(eol));
      }),
      reproducible(250, 7),
    );
  });

  it('mutated fixture texts never throw and keep counts sane', () => {
    const edit = fc.record({
      at: fc.nat(),
      kind: fc.constantFrom('delete', 'insert', 'replace', 'digit', 'dupline', 'cutline'),
      str: fc.oneof(
        fc.string({ maxLength: 6 }),
        fc.constantFrom(
          '0',
          '9',
          '99999999999999999999',
          '-1',
          ':',
          ',',
          '@',
          '/',
          '(',
          ')',
          ' at ',
          '\t',
          '\n',
          'count: ',
          'inuse: ',
          'UNCOUNTED',
          'v1.0',
        ),
      ),
    });
    fc.assert(
      fc.property(fc.constantFrom(...TEXTS), fc.array(edit, { minLength: 1, maxLength: 8 }), (text, edits) => {
        let t = text;
        for (const e of edits) {
          const i = t.length ? e.at % t.length : 0;
          switch (e.kind) {
            case 'delete':
              t = t.slice(0, i) + t.slice(i + 1 + (e.str.length % 5));
              break;
            case 'insert':
              t = t.slice(0, i) + e.str + t.slice(i);
              break;
            case 'replace':
              t = t.slice(0, i) + e.str + t.slice(i + e.str.length);
              break;
            case 'digit': {
              const m = /\d/.exec(t.slice(i));
              if (m) {
                const j = i + m.index;
                t = t.slice(0, j) + e.str + t.slice(j + 1);
              }
              break;
            }
            case 'dupline':
            case 'cutline': {
              const ls = t.split('\n');
              const k = e.at % Math.max(1, ls.length);
              if (e.kind === 'dupline') ls.splice(k, 0, ls[k] ?? '');
              else ls.splice(k, 1);
              t = ls.join('\n');
              break;
            }
          }
        }
        parseChecked(t);
      }),
      reproducible(300, 99),
    );
  });

  it('checkout lines with arbitrary fields never throw; counts stay positive', () => {
    const token = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !/\s/.test(s));
    fc.assert(
      fc.property(
        token,
        token,
        fc.string({ maxLength: 20 }),
        token,
        fc.oneof(fc.nat(), fc.constant(0), fc.bigInt({ min: 0n, max: 10n ** 30n })),
        fc.nat(99),
        fc.string({ maxLength: 12 }),
        (prod, ver, user, host, n, res, time) => {
          const text = `\tx license usage status on h (port 1)\n\t${prod} v${ver}: ${user}@${host} ${n}/${res} at ${time}  (handle: 1)\n`;
          parseChecked(text);
        },
      ),
      reproducible(300, 3),
    );
  });

  it('very long lines are handled without quadratic blow-up', () => {
    const long = 'a@'.repeat(50_000) + ' at ' + '1/'.repeat(50_000);
    // CPU time, not wall time: a bound on the work, whatever else the machine runs
    const [s, cpuMs] = cpuTimed(() =>
      parseChecked(`\tdemo license usage status on h (port 1)\n${long}\n${'x '.repeat(100_000)}`),
    );
    expect(cpuMs).toBeLessThan(2000);
    expect(s.warnings.length).toBe(2);
  });
});
