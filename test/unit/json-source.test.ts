/**
 * The json source: the pure LicenseSummary mapper (shape errors name the JSON path), the HTTP fetch (token,
 * status, caps, aborts, timeouts) against a local server, and one licensegraph reading another one's REST report.
 */
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { validate } from '../../src/domain/validate';
import { parseLmstat } from '../../src/sources/flexlm';
import { JsonSource, redactUrl } from '../../src/sources/json/json.source';
import {
  mapLicenseSummary,
  parseLicenseSummaryJson,
  snapshotToLicenseSummary,
  splitServerInfo,
  tryMapLicenseSummary,
} from '../../src/sources/json/map';
import { SourceError } from '../../src/sources/source';
import { SourceReportDocument } from '../generated/graphql';
import { serverConfig, startTestApp } from '../helpers/app';
import { FIXTURES_DIR } from '../helpers/fixtures';

const NOW = new Date('2026-01-21T09:00:00Z');

/** Foretify Manager's LicenseSummary example, completed with the second checkout its SDK output shows. */
const EXAMPLE = {
  summaryByFeature: [
    {
      info: { name: 'FTX_DEVELOPER', issued: 100, used: 2, free: 98 },
      checkouts: [
        {
          username: 'john.doe',
          hostname: 'workstation-123',
          startTime: 'Mon 1/20 10:30',
          serverInfo: 'license02.foretellix.local/30001 48856',
        },
        {
          username: 'jane.smith',
          hostname: 'dev-machine',
          startTime: 'Mon 1/20 11:45',
          serverInfo: 'license02.foretellix.local/30001 48857',
        },
      ],
      valid: true,
    },
    { info: { name: 'shared_runtime_pool', issued: 10000, used: 0, free: 10000 }, checkouts: [], valid: true },
  ],
  valid: true,
};

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const opts = { serverId: 'fmanager', now: NOW, timeZone: 'UTC' };

describe('mapLicenseSummary (pure)', () => {
  test('the Foretify Manager example becomes a valid snapshot', () => {
    const s = mapLicenseSummary(EXAMPLE, opts);
    expect(s).toMatchObject({
      serverId: 'fmanager',
      sourceType: 'json',
      status: 'UP',
      fetchedAt: NOW.toISOString(),
      warnings: [],
    });
    const f = s.features[0];
    expect(f).toMatchObject({ name: 'FTX_DEVELOPER', issued: 100, used: 2, reportedFree: 98, uncounted: false });
    expect(f.checkouts[0]).toEqual({
      username: 'john.doe',
      hostname: 'workstation-123',
      display: null,
      version: null,
      serverInfo: 'license02.foretellix.local/30001 48856',
      serverHost: 'license02.foretellix.local',
      serverPort: 30001,
      handle: '48856',
      count: 1,
      startTime: 'Mon 1/20 10:30',
      startedAt: '2025-01-20T10:30:00.000Z', // 20 January 2026 is a Tuesday: the last Monday 1/20 before NOW
    });
    const v = validate(s);
    expect(v.valid).toBe(true);
    expect(v.features.map((x) => x.free)).toEqual([98, 10000]);
  });

  test("free is checked against issued - used; the source's own valid flags are recomputed", () => {
    const doc = clone(EXAMPLE);
    doc.summaryByFeature[0].info.free = 90;
    doc.summaryByFeature[1].valid = false;
    const s = mapLicenseSummary(doc, opts);
    const v = validate(s);
    expect(v.features[0].issues).toEqual([
      expect.objectContaining({ code: 'FREE_MISMATCH', expected: 98, actual: 90 }),
    ]);
    expect(v.features[1].valid).toBe(true);
    expect(s.warnings).toEqual([
      expect.objectContaining({ code: 'SOURCE_MARKED_INVALID', feature: 'shared_runtime_pool', affectsCounts: false }),
    ]);
    // checkouts that do not add up to used
    doc.summaryByFeature[0].info.used = 3;
    doc.summaryByFeature[0].info.free = 97;
    expect(validate(mapLicenseSummary(doc, opts)).features[0].issues.map((i) => i.code)).toEqual([
      'CHECKOUTS_MISMATCH',
    ]);
  });

  test('nulls, negatives, extended fields and odd serverInfo are kept for validate() to judge', () => {
    const s = mapLicenseSummary(
      {
        summaryByFeature: [
          {
            info: { name: 'A', issued: null, used: 1, free: null },
            checkouts: [{ username: 'u', hostname: 'h', startTime: 'Mon 1/20 10:30', serverInfo: 'SERVER1', count: 1 }],
          },
          { info: { name: 'B', issued: 5, used: -1 } },
          {
            info: { name: 'C', issued: null, used: null, free: null },
            uncounted: true,
            checkouts: [
              {
                username: 'u',
                hostname: 'h',
                startTime: 'garbled',
                serverInfo: null,
                count: 3,
                display: ':0',
                version: 'v2',
                startedAt: '2026-01-19T08:00:00+01:00',
              },
            ],
          },
          {
            info: { name: 'D', issued: 1, used: 1 },
            checkouts: [{ username: 'u', hostname: 'h', startTime: '??', serverInfo: 'h/27000' }],
          },
        ],
      },
      opts,
    );
    expect(s.features[0].checkouts[0]).toMatchObject({
      serverInfo: 'SERVER1',
      serverHost: null,
      serverPort: null,
      handle: null,
    });
    expect(s.features[2].uncounted).toBe(true);
    expect(s.features[2].checkouts[0]).toMatchObject({
      count: 3,
      display: ':0',
      version: 'v2',
      startedAt: '2026-01-19T07:00:00.000Z',
    });
    expect(s.features[3].checkouts[0]).toMatchObject({
      serverHost: 'h',
      serverPort: 27000,
      handle: null,
      startedAt: null,
    });
    expect(s.warnings).toEqual([expect.objectContaining({ code: 'BAD_DATE', feature: 'D', affectsCounts: false })]);
    const v = validate(s);
    expect(v.features[0].issues.map((i) => i.code)).toEqual(['MISSING_ISSUED']);
    expect(v.features[1].issues.map((i) => i.code)).toEqual(['NEGATIVE_USED']);
    expect(v.features[2].valid).toBe(true);
  });

  const wrong: Array<[string, (d: any) => unknown, string]> = [
    [
      'a string where a count goes',
      (d) => ((d.summaryByFeature[1].info.issued = '10000'), d),
      'summaryByFeature[1].info.issued must be a number (got the string "10000")',
    ],
    [
      'a fraction',
      (d) => ((d.summaryByFeature[0].info.used = 2.5), d),
      'summaryByFeature[0].info.used must be a whole number (got 2.5)',
    ],
    [
      'free of the wrong type',
      (d) => ((d.summaryByFeature[0].info.free = true), d),
      'summaryByFeature[0].info.free must be a number (got boolean true)',
    ],
    [
      'no info',
      (d) => (delete d.summaryByFeature[1].info, d),
      'summaryByFeature[1].info must be an object (got nothing)',
    ],
    [
      'no name',
      (d) => (delete d.summaryByFeature[0].info.name, d),
      'summaryByFeature[0].info.name must be a string (got nothing)',
    ],
    [
      'an empty name',
      (d) => ((d.summaryByFeature[0].info.name = ' '), d),
      'summaryByFeature[0].info.name must not be empty',
    ],
    [
      'checkouts not a list',
      (d) => ((d.summaryByFeature[0].checkouts = {}), d),
      'summaryByFeature[0].checkouts must be an array (got an object)',
    ],
    [
      'a checkout without username',
      (d) => (delete d.summaryByFeature[0].checkouts[1].username, d),
      'summaryByFeature[0].checkouts[1].username must be a string (got nothing)',
    ],
    [
      'a checkout count of 0',
      (d) => ((d.summaryByFeature[0].checkouts[0].count = 0), d),
      'summaryByFeature[0].checkouts[0].count must be at least 1 (got 0)',
    ],
    [
      'a bad startedAt',
      (d) => ((d.summaryByFeature[0].checkouts[0].startedAt = 'yesterday'), d),
      'summaryByFeature[0].checkouts[0].startedAt must be an ISO date-time (got the string "yesterday")',
    ],
    ['valid not a boolean', (d) => ((d.valid = 'yes'), d), 'valid must be true or false (got the string "yes")'],
    [
      'a feature that is not an object',
      (d) => ((d.summaryByFeature[1] = 7), d),
      'summaryByFeature[1] must be an object (got number 7)',
    ],
    ['no summaryByFeature', () => ({ features: [] }), 'summaryByFeature must be an array (got nothing)'],
    ['an array document', () => [EXAMPLE], '(root) must be a LicenseSummary object (got an array)'],
    ['null', () => null, '(root) must be a LicenseSummary object (got null)'],
  ];
  test.each(wrong)('a wrong shape names the JSON path: %s', (_name, mutate, message) => {
    const doc = mutate(clone(EXAMPLE));
    const r = tryMapLicenseSummary(doc, opts);
    expect(r).toMatchObject({ ok: false, message });
    expect(() => mapLicenseSummary(doc, opts)).toThrow(new SourceError(message, 'PARSE'));
  });

  test('malformed JSON text is a PARSE error', () => {
    expect(() => parseLicenseSummaryJson('{"summaryByFeature": [', opts)).toThrow(SourceError);
    expect(() => parseLicenseSummaryJson('{"summaryByFeature": [', opts)).toThrow(/^not valid JSON: /);
    expect(parseLicenseSummaryJson('\ufeff' + JSON.stringify(EXAMPLE), opts).features).toHaveLength(2);
  });

  test('splitServerInfo reads "host/port handle"', () => {
    expect(splitServerInfo('license02.foretellix.local/30001 48856')).toEqual({
      host: 'license02.foretellix.local',
      port: 30001,
      handle: '48856',
    });
    expect(splitServerInfo('lic/27000')).toEqual({ host: 'lic', port: 27000, handle: null });
    expect(splitServerInfo('lic/99999 1')).toBeNull();
    expect(splitServerInfo('SERVER1/1713 x y')).toBeNull();
    expect(splitServerInfo(null)).toBeNull();
  });

  test('round trip: a parsed lmstat fixture -> extended LicenseSummary -> the same counts and checkouts', () => {
    const text = fs.readFileSync(`${FIXTURES_DIR}/lmstat/mjtrangoni__flexlm_exporter__lmstat_app3.txt`, 'utf8');
    const snap = parseLmstat(text, { serverId: 'app3', now: NOW, timeZone: 'UTC' });
    const json = JSON.parse(JSON.stringify(snapshotToLicenseSummary(snap)));
    const back = mapLicenseSummary(json, { ...opts, serverId: 'app3' });
    expect(back.features.map((f) => [f.name, f.issued, f.used, f.checkouts.length])).toEqual(
      snap.features.map((f) => [f.name, f.issued, f.used, f.checkouts.length]),
    );
    expect(
      back.features.flatMap((f) => f.checkouts.map((c) => [c.username, c.hostname, c.count, c.handle, c.startedAt])),
    ).toEqual(
      snap.features.flatMap((f) => f.checkouts.map((c) => [c.username, c.hostname, c.count, c.handle, c.startedAt])),
    );
    expect(validate(back).features.map((v) => v.valid)).toEqual(validate(snap).features.map((v) => v.valid));
  });
});

describe('JsonSource over HTTP', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ url: string; auth?: string }> = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url!, auth: req.headers.authorization });
      const send = (status: number, body: string, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body);
      };
      switch (req.url) {
        case '/report':
          return req.headers.authorization === 'Bearer t0ken'
            ? send(200, JSON.stringify(EXAMPLE))
            : send(401, '{"error":"UNAUTHENTICATED"}');
        case '/broken':
          return send(200, '{"summaryByFeature": [ {"info": ');
        case '/shape':
          return send(
            200,
            JSON.stringify({
              summaryByFeature: [
                EXAMPLE.summaryByFeature[0],
                EXAMPLE.summaryByFeature[1],
                EXAMPLE.summaryByFeature[0],
                { info: { name: 'X', issued: 'many', used: 0 } },
              ],
            }),
          );
        case '/error':
          return send(503, 'license service\n  is   restarting');
        case '/big':
          return send(200, JSON.stringify({ ...EXAMPLE, padding: 'x'.repeat(20000) }));
        case '/stream': {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"padding":"');
          const iv = setInterval(() => {
            if (!res.write('y'.repeat(4096))) return;
          }, 1);
          res.on('close', () => clearInterval(iv));
          return;
        }
        case '/moved':
          return send(301, '', { location: '/report' });
        case '/hang':
          return; // never answers
        default:
          return send(404, 'not found');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const source = (pathname: string, extra: Parameters<typeof serverConfig>[1] = {}) =>
    new JsonSource(
      serverConfig('remote', {
        type: 'json',
        url: `${base}${pathname}`,
        token: 't0ken',
        timeZone: 'UTC',
        timeoutSeconds: 2,
        maxOutputBytes: 16 * 1024,
        ...extra,
      }),
      { now: () => NOW },
    );
  const signal = () => new AbortController().signal;

  test('GET with the bearer token: the mapped snapshot', async () => {
    const s = await source('/report').fetch(signal());
    expect(s.status).toBe('UP');
    expect(s.features.map((f) => [f.name, f.issued, f.used])).toEqual([
      ['FTX_DEVELOPER', 100, 2],
      ['shared_runtime_pool', 10000, 0],
    ]);
    expect(seen.at(-1)).toEqual({ url: '/report', auth: 'Bearer t0ken' });
  });

  test('non-2xx: HTTP with the status (and never the token)', async () => {
    const e = (await source('/report', { token: 'wrong' })
      .fetch(signal())
      .catch((x: unknown) => x)) as SourceError;
    expect(e).toMatchObject({
      reason: 'HTTP',
      message: `GET ${base}/report answered HTTP 401 Unauthorized: {"error":"UNAUTHENTICATED"}`,
    });
    expect(e.message).not.toContain('wrong');
    await expect(source('/error').fetch(signal())).rejects.toMatchObject({
      reason: 'HTTP',
      message: `GET ${base}/error answered HTTP 503 Service Unavailable: license service is restarting`,
    });
  });

  test('a redirect is reported, not followed (the token stays where it was configured to go)', async () => {
    const before = seen.length;
    await expect(source('/moved').fetch(signal())).rejects.toMatchObject({
      reason: 'HTTP',
      message: `GET ${base}/moved answered HTTP 301, a redirect to ${base}/report; set servers[].url to the final address`,
    });
    expect(seen.length - before).toBe(1);
  });

  test('malformed JSON and a wrong shape: PARSE naming the path', async () => {
    await expect(source('/broken').fetch(signal())).rejects.toMatchObject({
      reason: 'PARSE',
      message: expect.stringMatching(new RegExp(`^${base}/broken: not valid JSON: `)),
    });
    await expect(source('/shape').fetch(signal())).rejects.toMatchObject({
      reason: 'PARSE',
      message: `${base}/shape: summaryByFeature[3].info.issued must be a number (got the string "many")`,
    });
  });

  test('a body over maxOutputBytes: TOO_LARGE, whether declared or streamed', async () => {
    await expect(source('/big').fetch(signal())).rejects.toMatchObject({
      reason: 'TOO_LARGE',
      message: expect.stringContaining('more than maxOutputBytes (16384 bytes)'),
    });
    await expect(source('/stream').fetch(signal())).rejects.toMatchObject({
      reason: 'TOO_LARGE',
      message: `the response of ${base}/stream is more than maxOutputBytes (16384 bytes)`,
    });
  });

  test('abort and timeout end the request at once', async () => {
    // /hang never answers: settling at all is ending the request at once, and the reason says which ended it
    const ac = new AbortController();
    const p = source('/hang').fetch(ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(p).rejects.toMatchObject({ reason: 'ABORTED' });
    await expect(source('/hang', { timeoutSeconds: 0.2 }).fetch(signal())).rejects.toMatchObject({
      reason: 'TIMEOUT',
      message: `GET ${base}/hang timed out after 0.2 s`,
    });
  });

  test('one request at a time: concurrent fetches share it', async () => {
    const src = source('/report');
    const before = seen.length;
    const [a, b] = await Promise.all([src.fetch(signal()), src.fetch(signal())]);
    expect(a).toBe(b);
    expect(seen.length - before).toBe(1);
    expect(src.requests).toBe(1);
  });

  test('an unreachable server: HTTP with the cause', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const src = new JsonSource(
      serverConfig('gone', { type: 'json', url: `http://127.0.0.1:${port}/r`, timeoutSeconds: 2 }),
    );
    await expect(src.fetch(signal())).rejects.toMatchObject({
      reason: 'HTTP',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  test('credentials in the URL are not shown', () => {
    expect(redactUrl('https://user:pw@h.example.com/r')).toBe('https://h.example.com/r');
  });
});

test('licensegraph reads a licensegraph /api/licenses/report (its own simulator, to start one app only)', async () => {
  // the URL is known once the app listens; the source reads config.url at each fetch
  const mirror = serverConfig('mirror', {
    type: 'json',
    url: 'http://127.0.0.1:1/',
    timeoutSeconds: 5,
    maxAgeSeconds: 0,
  });
  const t = await startTestApp({ servers: [serverConfig('simulator'), mirror] });
  try {
    mirror.url = `${t.url}/api/licenses/report?server=simulator`;
    mirror.token = t.adminToken;
    const res = await t.gql(SourceReportDocument, { server: 'mirror' });
    expect(res.errors).toBeUndefined();
    const r = res.data!.licenseReport;
    expect(r.servers[0]).toMatchObject({ id: 'mirror', type: 'JSON', status: 'UP' });
    const want = (await t.get('/api/licenses/report?server=simulator').then((x) => x.json())) as typeof EXAMPLE;
    expect(r.summaryByFeature.map((f) => f.info)).toEqual(want.summaryByFeature.map((f) => f.info));
    expect(r.summaryByFeature.find((f) => f.info.name === 'FTX_DEVELOPER')!.info).toMatchObject({
      issued: 100,
      used: 25,
      free: 75,
    });
  } finally {
    await t.close();
  }
});
