/**
 * Push mode's pure half: format detection on every real lmstat and rlmstat capture (and licensegraph's own JSON),
 * and parsing into an "ingest" snapshot that the history path can record.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pollRecordOf } from '../../src/services/history.service';
import { snapshotToLicenseSummary } from '../../src/sources/json/map';
import { detectFormat, parseIngest } from '../../src/sources/ingest';
import { fixtureFiles } from '../helpers/fixtures';

const EXTRA = path.resolve(__dirname, '../fixtures/hand-made');
const files = (dir: string) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.txt'))
        .map((f) => path.join(dir, f))
    : [];
const lmstat = [...fixtureFiles('lmstat'), ...files(path.join(EXTRA, 'flexlm'))];
const rlmstat = [...fixtureFiles('rlmstat'), ...files(path.join(EXTRA, 'rlm'))];
const NOW = new Date('2026-01-20T12:00:00Z');

describe('push-mode format detection and parsing', () => {
  test.each(lmstat.map((f) => [path.basename(f), f]))('lmstat: %s', (_name, file) => {
    const text = fs.readFileSync(file, 'utf8');
    expect(detectFormat(text)).toBe('lmstat');
    const r = parseIngest(text, 'auto', { serverId: 'up', now: NOW, timeZone: 'UTC' });
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.snapshot).toMatchObject({ serverId: 'up', sourceType: 'ingest', fetchedAt: NOW.toISOString() });
  });

  test.each(rlmstat.map((f) => [path.basename(f), f]))('rlmstat: %s', (_name, file) => {
    const text = fs.readFileSync(file, 'utf8');
    expect(detectFormat(text)).toBe('rlmstat');
    expect(parseIngest(text, undefined, { serverId: 'up', now: NOW }).ok).toBe(true);
  });

  test('JSON, our own output round trip, garbage and explicit formats', () => {
    const text = fs.readFileSync(lmstat.find((f) => f.includes('lmstat_app2')) ?? lmstat[0], 'utf8');
    const lm = parseIngest(text, 'lmstat', { serverId: 'up', now: NOW, timeZone: 'UTC' });
    if (!lm.ok) throw new Error('lmstat did not parse');
    const json = JSON.stringify(snapshotToLicenseSummary(lm.snapshot));
    expect(detectFormat(json)).toBe('json');
    expect(detectFormat('\ufeff  ' + json)).toBe('json');
    const again = parseIngest(json, 'auto', { serverId: 'up', now: NOW, timeZone: 'UTC' });
    if (!again.ok) throw new Error(again.message);
    expect(again.format).toBe('json');
    const counts = (s: typeof lm.snapshot) => s.features.map((f) => [f.name, f.issued, f.used, f.checkouts.length]);
    expect(counts(again.snapshot)).toEqual(counts(lm.snapshot));
    // the same checkouts, the same history identities
    const ids = (s: typeof lm.snapshot) =>
      pollRecordOf(s, false, NOW).sessions.map((o) => [
        o.feature,
        o.username,
        o.hostname,
        o.handle,
        o.startKey,
        o.count,
      ]);
    expect(ids(again.snapshot)).toEqual(ids(lm.snapshot));

    expect(detectFormat('hello\nworld')).toBeNull();
    expect(parseIngest('hello', 'auto', { serverId: 'x', now: NOW })).toMatchObject({ ok: false, field: 'format' });
    expect(parseIngest('   ', 'auto', { serverId: 'x', now: NOW })).toMatchObject({ ok: false, field: 'text' });
    expect(parseIngest('{not json', 'json', { serverId: 'x', now: NOW })).toMatchObject({ ok: false, field: 'text' });
    expect(
      parseIngest('{"summaryByFeature": [{"info": {"name": 3}}]}', 'json', { serverId: 'x', now: NOW }),
    ).toMatchObject({ ok: false, field: 'text' });
  });

  test('what a DOWN server or a stale state records: nothing but the cursor', () => {
    const down = lmstat.find((f) => f.endsWith('lmgrd-down.txt'));
    if (!down) return;
    const r = parseIngest(fs.readFileSync(down, 'utf8'), 'auto', { serverId: 'up', now: NOW });
    if (!r.ok) throw new Error('no parse');
    expect(r.snapshot.status).not.toBe('UP');
    const rec = pollRecordOf(r.snapshot, false, NOW);
    expect(rec).toMatchObject({
      status: r.snapshot.status,
      sessions: [],
      closableFeatures: [],
      closeAbsent: false,
      samples: [],
    });
  });
});
