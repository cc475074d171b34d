/**
 * Security point 7: one big push stalled everyone (8 MB / 100,000 features: every request waited 11-24 s).
 *
 * Now: one push may hold at most LICENSEGRAPH_INGEST_MAX_BYTES / _MAX_FEATURES / _MAX_CHECKOUTS (413
 * PAYLOAD_TOO_LARGE naming the limit), and the text is parsed on a worker thread, so other requests are answered
 * while a large push is processed. Timing numbers: bench/ingest-stall.bench.ts (not asserted here).
 */
import { loadLimits } from '../../src/config/load';
import { startTestApp, type TestApp } from '../helpers/app';
import { readFixture } from '../helpers/fixtures';
import { historyServer, TestClock } from '../helpers/history';
import { bigLmstat } from '../helpers/big-lmstat';

const SMALL = readFixture('lmstat/mjtrangoni__flexlm_exporter__lmstat_app2.txt');

describe('push limits and a large push off the request path', () => {
  let t: TestApp;
  let uploader: string;
  const clock = new TestClock(Date.UTC(2017, 9, 20, 17, 5));
  const push = (body: string) =>
    fetch(`${t.url}/api/v1/ingest?server=isolated&format=lmstat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader}`, 'content-type': 'text/plain' },
      body,
    });
  const liveFeatures = async () =>
    (await t.raw('{ licenseReport(filter: { servers: ["isolated"] }) { summaryByFeature { info { name } } } }')).data
      .licenseReport.summaryByFeature.length as number;

  beforeAll(async () => {
    t = await startTestApp({
      servers: [historyServer('isolated', { type: 'ingest', address: undefined })],
      config: { ingestLimits: { maxBytes: 2 * 1024 * 1024, maxFeatures: 6000, maxCheckouts: 5000 } },
      build: { now: clock.now },
    });
    uploader = await t.tokenFor('UPLOADER');
    expect((await push(SMALL)).status).toBe(200);
    expect(await liveFeatures()).toBe(10);
  });
  afterAll(() => t?.close());

  test('the limits come from the environment, with defaults', () => {
    expect(loadLimits({}).ingestLimits).toEqual({
      maxBytes: 16 * 1024 * 1024,
      maxFeatures: 10_000,
      maxCheckouts: 50_000,
    });
    const l = loadLimits({
      LICENSEGRAPH_INGEST_MAX_BYTES: '1048576',
      LICENSEGRAPH_INGEST_MAX_FEATURES: '500',
      LICENSEGRAPH_INGEST_MAX_CHECKOUTS: '900',
    });
    expect(l.ingestLimits).toEqual({ maxBytes: 1048576, maxFeatures: 500, maxCheckouts: 900 });
    expect(() => loadLimits({ LICENSEGRAPH_INGEST_MAX_FEATURES: '0' })).toThrow('LICENSEGRAPH_INGEST_MAX_FEATURES');
  });

  test('over a limit: 413 PAYLOAD_TOO_LARGE naming it; the live report is unchanged', async () => {
    const bytes = await push('x'.repeat(2 * 1024 * 1024 + 1));
    expect(bytes.status).toBe(413);
    expect(await bytes.json()).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', limit: 'LICENSEGRAPH_INGEST_MAX_BYTES', max: 2097152 },
    });

    // 7,000 features with no checkouts (checkouts stay under their limit): the feature limit.
    const manyFeatures = bigLmstat(7000).replace(/^ {4}user.*$/gm, '');
    const f = await push(manyFeatures);
    expect(f.status).toBe(413);
    const fb = (await f.json()) as { error: { code: string; message: string; limit: string; max: number } };
    expect(fb.error).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', limit: 'LICENSEGRAPH_INGEST_MAX_FEATURES', max: 6000 });
    expect(fb.error.message).toBe(
      'Push too large: the status holds 7000 features; one push may hold at most 6000 (LICENSEGRAPH_INGEST_MAX_FEATURES)',
    );

    const c = await push(bigLmstat(5500));
    expect(c.status).toBe(413);
    expect(await c.json()).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', limit: 'LICENSEGRAPH_INGEST_MAX_CHECKOUTS', max: 5000 },
    });

    const gql = await t.raw(
      'mutation($text: String!) { ingestLicenseStatus(server: "isolated", text: $text) { features } }',
      { text: manyFeatures },
      uploader,
    );
    expect(gql.errors![0].extensions).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      limit: 'LICENSEGRAPH_INGEST_MAX_FEATURES',
      max: 6000,
      actual: 7000,
    });
    expect(await liveFeatures()).toBe(10);
  });

  test('while a large push under the limits is processed, /healthz keeps answering, and the push is recorded whole', async () => {
    const text = bigLmstat(4800); // ~0.9 MB, 4,800 features and checkouts
    clock.set(clock.ms + 60_000);
    let done = false;
    const answered: number[] = [];
    const pending = push(text).then(async (r) => {
      done = true;
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    });
    // Health checks back to back for as long as the push runs (at least 20 of them).
    while (!done || answered.length < 20) {
      const r = await fetch(`${t.url}/healthz`);
      expect(await r.json()).toEqual({ status: 'ok' });
      answered.push(r.status);
    }
    const result = await pending;
    expect(answered.every((s) => s === 200)).toBe(true);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      server: 'isolated',
      format: 'lmstat',
      status: 'UP',
      features: 4800,
      checkouts: 4800,
      sessionsOpened: 4800,
      skipped: false,
    });
    expect(await liveFeatures()).toBe(4800);
    const sessions = await t.app.services.store.usage.sessions('isolated');
    expect(sessions.filter((s) => s.feature.startsWith('F') && s.endedAt === null)).toHaveLength(4800);
    expect(sessions.find((s) => s.feature === 'F4799')).toMatchObject({
      username: `user${4799 % 97}`,
      hostname: 'ws4799',
      count: 2,
    });
  }, 120_000);
});
