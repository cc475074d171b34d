/**
 * The client SDK (src/client, the package entry) against a real server on port 0 serving a scripted snapshot with
 * the Foretify Manager example's numbers, and `licensegraph report show` spawned as a process: both print exactly
 * the sample lines of Foretify Manager's "Python SDK for License Usage Report".
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { promisify } from 'util';
import { createClient, formatReport, LicensegraphError, type FeatureUsageChangeEvent } from '../../src';
import { serverConfig, startTestApp, type TestApp } from '../helpers/app';
import { ManualClock, until } from '../helpers/clock';
import { checkout, feature, ScriptedSource, snapshot } from '../helpers/snapshots';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');

/** Foretify Manager's example output (its Python SDK). Its print() is f" - {username}@{hostname} since {startTime}": one leading space. */
const SDK_EXAMPLE_LINES = [
  'FTX_DEVELOPER: 25/100 in use (75 free)',
  ' - john.doe@workstation-123 since Mon 1/20 10:30',
  ' - jane.smith@dev-machine since Mon 1/20 11:45',
  'shared_runtime_pool: 0/10000 in use (10000 free)',
];

const exampleSnapshot = (ftxUsed = 25, extra: ReturnType<typeof checkout>[] = []) =>
  snapshot('license02', [
    feature('FTX_DEVELOPER', 100, ftxUsed, [
      checkout('john.doe', 'workstation-123', {
        count: 20,
        startTime: 'Mon 1/20 10:30',
        startedAt: '2025-01-20T10:30:00.000Z',
        serverInfo: 'license02.foretellix.local/30001 48856',
        handle: '48856',
      }),
      checkout('jane.smith', 'dev-machine', {
        count: 5,
        startTime: 'Mon 1/20 11:45',
        startedAt: '2025-01-20T11:45:00.000Z',
        serverInfo: 'license02.foretellix.local/30001 48857',
        handle: '48857',
      }),
      ...extra,
    ]),
    feature('shared_runtime_pool', 10000, 0),
  ]);

describe('the Foretify Manager SDK sample lines, from the SDK and from `report show`', () => {
  let t: TestApp;
  let current = exampleSnapshot();
  let token: string;
  /** The app's clock: the usage test moves it between two polls instead of sleeping. */
  const clock = new ManualClock();
  beforeAll(async () => {
    t = await startTestApp({
      servers: [serverConfig('license02', { type: 'flexlm', maxAgeSeconds: 0, pollIntervalSeconds: 3600 })],
      sources: { license02: new ScriptedSource('license02', () => current) },
      build: { now: clock.now },
    });
    token = await t.tokenFor('UPLOADER', 'fm-uploader');
  });
  afterAll(() => t?.close());

  test("createClient(...).licenses().report() and formatReport print the SDK's sample lines exactly", async () => {
    const calls: string[] = [];
    const client = createClient({
      url: t.url,
      token,
      fetch: (input, init) => {
        calls.push(String(input));
        return fetch(input, init);
      },
    });
    const report = await client.licenses().report();
    expect(calls).toEqual([`${t.url}/graphql`]);
    expect(report.valid).toBe(true);
    expect(report.summaryByFeature[0].info).toEqual({ name: 'FTX_DEVELOPER', issued: 100, used: 25, free: 75 });
    expect(report.summaryByFeature[0].checkouts[0]).toEqual({
      username: 'john.doe',
      hostname: 'workstation-123',
      startTime: 'Mon 1/20 10:30',
      serverInfo: 'license02.foretellix.local/30001 48856',
    });
    expect(formatReport(report)).toEqual(SDK_EXAMPLE_LINES);

    const filtered = await createClient({ url: `${t.url}/graphql`, token })
      .licenses()
      .report({ features: ['shared_*'] });
    expect(formatReport(filtered)).toEqual([SDK_EXAMPLE_LINES[3]]);
  });

  test("errors are LicensegraphError with the server's code", async () => {
    const bad = createClient({ url: t.url, token: 'lg_notavalidtokennotavalidtokennotavalid' });
    await expect(bad.licenses().report()).rejects.toMatchObject({
      name: 'LicensegraphError',
      code: 'UNAUTHENTICATED',
      status: 401,
    });
    const input = createClient({ url: t.url, token });
    await expect(input.licenses().report({ servers: ['nope'] })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(createClient({ url: 'http://127.0.0.1:1', token }).licenses().report()).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
      status: 0,
    });
    expect(() => createClient({ url: 'ftp://x', token })).toThrow(LicensegraphError);
  });

  test('subscribe() and events() deliver live events over graphql-ws; a bad token is refused', async () => {
    const client = createClient({ url: t.url, token });
    await t.app.services.snapshots.refresh('license02'); // baseline
    const got: FeatureUsageChangeEvent[] = [];
    const errors: unknown[] = [];
    const stop = client
      .licenses()
      .subscribe(
        'featureUsageChanged',
        { features: ['FTX_DEVELOPER'] },
        { next: (e) => got.push(e), error: (e) => errors.push(e) },
      );
    const it = client.licenses().events('checkoutEvents', { users: ['alice'] });
    const first = it.next();
    await until(
      () => t.app.services.events.bus.subscriberCount === 2,
      () => `${t.app.services.events.bus.subscriberCount} of 2 subscribers`,
    );

    current = exampleSnapshot(26, [checkout('alice', 'ws-1', { handle: '48858', startTime: 'Mon 1/20 12:00' })]);
    await t.app.services.snapshots.refresh('license02');
    const event = await first;
    expect(event.value).toMatchObject({
      type: 'CHECKED_OUT',
      serverId: 'license02',
      feature: 'FTX_DEVELOPER',
      checkout: { username: 'alice', hostname: 'ws-1', handle: '48858' },
    });
    await until(
      () => got.length >= 1,
      () => `no featureUsageChanged event; errors ${JSON.stringify(errors)}`,
    );
    expect(got[0]).toMatchObject({
      serverId: 'license02',
      feature: 'FTX_DEVELOPER',
      previous: { issued: 100, used: 25, free: 75 },
      current: { issued: 100, used: 26, free: 74 },
      usedDelta: 1,
    });
    expect(errors).toEqual([]);
    stop();
    await it.return!();
    await client.close();

    const refused = createClient({ url: t.url, token: 'lg_notavalidtokennotavalidtokennotavalid' });
    const failed = await new Promise<unknown>((resolve) =>
      refused.licenses().subscribe('licenseAlerts', {}, { next: () => undefined, error: resolve }),
    );
    expect(failed).toMatchObject({ name: 'LicensegraphError', code: 'FORBIDDEN' });
    await refused.close();
    current = exampleSnapshot();
    await t.app.services.snapshots.refresh('license02');
  });

  test('usage() reads the recorded history with the typed usage document', async () => {
    const client = createClient({ url: t.url, token });
    await t.app.services.poller.pollOnce('license02');
    clock.advance(20);
    await t.app.services.poller.pollOnce('license02');
    const rows = await client
      .licenses()
      .usage({ groupBy: ['FEATURE', 'USER'], filter: { servers: ['license02'], features: ['FTX_DEVELOPER'] } });
    expect(rows.map((r) => [r.feature, r.user, r.sessions, r.server]).sort()).toEqual([
      ['FTX_DEVELOPER', 'jane.smith', 1, null],
      ['FTX_DEVELOPER', 'john.doe', 1, null],
    ]);
    await expect(client.licenses().usage({ groupBy: ['FEATURE', 'FEATURE'] })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
  });

  test("`licensegraph report show` prints the SDK's sample lines; --feature filters; the token may come from the environment; bad and missing tokens fail clearly", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.LICENSEGRAPH_TOKEN;
    delete env.LICENSEGRAPH_URL;
    const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
      run(process.execPath, ['bin/licensegraph.js', 'report', 'show', ...args], {
        cwd: ROOT,
        env: { ...env, ...extraEnv },
        timeout: 120_000,
      }).then(
        (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code?: number; stdout?: string; stderr?: string }) => ({
          code: e.code ?? -1,
          stdout: e.stdout ?? '',
          stderr: e.stderr ?? '',
        }),
      );
    const [all, some, bad, none] = await Promise.all([
      cli(['--url', t.url, '--token', token]),
      cli(['--feature', 'FTX_*'], { LICENSEGRAPH_URL: t.url, LICENSEGRAPH_TOKEN: token }),
      cli(['--url', t.url, '--token', 'lg_notavalidtokennotavalidtokennotavalid']),
      cli(['--url', t.url]),
    ]);
    expect(all).toEqual({ code: 0, stdout: SDK_EXAMPLE_LINES.join('\n') + '\n', stderr: '' });
    expect(some).toEqual({ code: 0, stdout: SDK_EXAMPLE_LINES.slice(0, 3).join('\n') + '\n', stderr: '' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^licensegraph: .* refused the token/);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no token');
  }, 240_000); // four CLI processes at once (from the TypeScript sources when dist/ is stale): slow on a loaded machine
});
