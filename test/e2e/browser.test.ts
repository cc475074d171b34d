/**
 * The portal (dashboard at /, GraphiQL at /graphiql and GET /graphql from a browser) over HTTP, then in headless
 * Debian chromium with every request that is not for 127.0.0.1 blocked: nothing may try to leave the machine.
 *
 * The browser part skips (with a notice) when /usr/bin/chromium (or $CHROMIUM_PATH) is missing; CI installs it.
 * Screenshots land in test-artifacts/.
 */
import type { Browser, Page } from 'playwright-core';
import { SimulatorSource } from '../../src/sources/simulator/simulator.source';
import { serverConfig, startTestApp, type TestApp } from '../helpers/app';
import { until } from '../helpers/clock';
import {
  CHROMIUM_PATH,
  chromiumAvailable,
  guardedPage,
  launchChromium,
  screenshot,
  type GuardedPage,
} from '../helpers/browser';

// Code passed to page.evaluate/waitForFunction runs in the browser; the test tsconfig has no DOM types.
declare const document: any;
declare const window: any;

const REPORT = /* GraphQL */ `
  query BrowserTestReport {
    licenseReport {
      servers {
        id
        status
        error
      }
      summaryByFeature {
        info {
          name
          issued
          used
          free
        }
        uncounted
        checkouts {
          username
          hostname
          count
        }
        server {
          id
        }
      }
    }
  }
`;

interface ReportFeature {
  info: { name: string; issued: number | null; used: number | null; free: number | null };
  uncounted: boolean;
  checkouts: Array<{ username: string; hostname: string; count: number }>;
  server: { id: string };
}

const fmt = (n: number | null) => (n == null ? '—' : n.toLocaleString('en-US'));

async function report(t: TestApp): Promise<ReportFeature[]> {
  const r = await t.raw(REPORT);
  expect(r.errors).toBeUndefined();
  return r.data.licenseReport.summaryByFeature as ReportFeature[];
}

/** What the dashboard's feature table should show for a report. */
function expectedRows(features: ReportFeature[]) {
  return features.map((f) => ({
    name: f.info.name,
    used: fmt(f.info.used),
    issued: f.uncounted ? 'uncounted' : fmt(f.info.issued),
    free: fmt(f.info.free),
  }));
}

async function shownRows(page: Page) {
  return page.$$eval('#features tbody tr', (trs: any[]) =>
    trs.map((tr) => ({
      name: tr.getAttribute('data-feature'),
      used: tr.querySelector('td.used').textContent.trim(),
      issued: tr.querySelector('td.issued').textContent.trim(),
      free: tr.querySelector('td.free').textContent.trim(),
    })),
  );
}

async function schemaHas(t: TestApp): Promise<{ subscriptions: string[]; featureFields: string[] }> {
  const r = await t.raw(
    '{ __schema { subscriptionType { fields { name } } } __type(name: "Feature") { fields { name } } }',
  );
  return {
    subscriptions: (r.data?.__schema?.subscriptionType?.fields ?? []).map((f: { name: string }) => f.name),
    featureFields: (r.data?.__type?.fields ?? []).map((f: { name: string }) => f.name),
  };
}

/** Console errors a healthy page may still print: 401s we provoke, and the WebSocket when no subscription server runs. */
function unexpectedErrors(errors: string[], opts: { allowWsFailure: boolean }): string[] {
  return errors.filter((e) => {
    if (/status of 401/.test(e)) return false;
    if (opts.allowWsFailure && (/WebSocket connection to .* failed/.test(e) || /status of 400/.test(e))) return false;
    return true;
  });
}

function assertStayedLocal(g: GuardedPage) {
  expect(g.blocked).toEqual([]);
  expect(g.cspViolations).toEqual([]);
}

// -------------------------------------------------------------------------------------------------------------------

const haveChromium = chromiumAvailable();
if (!haveChromium) {
  console.warn(
    `[browser.test] ${CHROMIUM_PATH} not found: skipping the browser tests (install it: apt-get install -y chromium)`,
  );
}
const describeBrowser = haveChromium ? describe : describe.skip;

let t: TestApp;
/** The same app with graphiql: false. */
let off: TestApp;
let sim: SimulatorSource;
let browser: Browser | undefined;

beforeAll(async () => {
  // A simulator whose ticks never come (real clock, ticks of ~30 years): the numbers change only when the test
  // checks licenses out, and each reading still has its own instant (history keeps one sample per instant).
  sim = new SimulatorSource({ id: 'eda', tickMs: 1e12 });
  [t, off, browser] = await Promise.all([
    startTestApp({
      servers: [serverConfig('eda', { label: 'EDA tools', maxAgeSeconds: 0, pollIntervalSeconds: 1 })],
      sources: { eda: sim },
      // A SERVER_DOWN rule: with subscriptions, the dashboard hears of an outage through licenseAlerts.
      config: { alerts: [{ kind: 'SERVER_DOWN' }] },
    }),
    startTestApp({ config: { graphiql: false } }),
    haveChromium ? launchChromium() : Promise.resolve(undefined),
  ]);
});
afterAll(async () => {
  await browser?.close();
  await Promise.all([t?.close(), off?.close()]);
});

describe('portal over HTTP', () => {
  const assetsOf = (html: string) =>
    [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));

  test('the dashboard and GraphiQL pages: HTML with a strict CSP, every asset local with its content type and cache policy', async () => {
    for (const [path, accept] of [
      ['/', 'text/html'],
      ['/graphiql', 'text/html'],
      ['/graphql', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ] as const) {
      const res = await t.get(path, null, { accept });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const html = await res.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
      expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/); // nothing absolute
      expect(html).not.toContain('{{');
      for (const asset of assetsOf(html)) {
        const a = await t.get(asset, null, { 'accept-encoding': 'gzip' });
        expect({ asset, status: a.status }).toEqual({ asset, status: 200 });
        const type = a.headers.get('content-type') ?? '';
        if (asset.includes('.js')) expect(type).toBe('text/javascript; charset=utf-8');
        else if (asset.includes('.css')) expect(type).toBe('text/css; charset=utf-8');
        else if (asset.includes('.svg')) expect(type).toBe('image/svg+xml');
        expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(a.headers.get('etag')).toBeTruthy();
        const body = await a.text();
        if (asset.includes('.css')) expect(body).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//);
        expect(body).not.toMatch(/sourceMappingURL=/);
      }
    }
  });

  test('vendor bundles are versioned, gzipped and revalidate; unknown files are 404', async () => {
    const html = await (await t.get('/graphiql', null, { accept: 'text/html' })).text();
    const js = assetsOf(html).find((a) => a.includes('/vendor/graphiql@') && a.endsWith('.js'))!;
    expect(js).toMatch(/^\/assets\/vendor\/graphiql@\d+\.\d+\.\d+\/graphiql\.min\.js$/);
    // (Every body is read: an unread response would hold its connection open and stall the server's close.)
    const raw = await fetch(`${t.url}${js}`, { headers: { 'accept-encoding': 'gzip' } });
    expect(raw.headers.get('content-encoding')).toBe('gzip');
    expect((await raw.text()).length).toBeGreaterThan(1_000_000); // fetch inflates it
    const etag = raw.headers.get('etag')!;
    const again = await fetch(`${t.url}${js}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    await again.arrayBuffer();
    for (const bad of [
      '/assets/vendor/graphiql@0.0.1/graphiql.min.js',
      '/assets/vendor/react@18.3.1/package.json',
      '/assets/..%2Fportal.ts',
      '/assets/nope.js',
      '/assets/index.html',
      '/assets/vendor/__proto__@1/toString',
      '/assets/__proto__',
    ]) {
      const res = await t.get(bad, null);
      await res.arrayBuffer();
      expect({ bad, status: res.status }).toEqual({ bad, status: 404 });
    }
    // Own assets without the current ?v= hash are revalidated, not cached for a year.
    const own = await t.get('/assets/dashboard.js', null);
    await own.arrayBuffer();
    expect(own.headers.get('cache-control')).toBe('no-cache');
  });

  test('GraphQL over HTTP is untouched: POST, GET for JSON, and 401 without a token', async () => {
    const post = await t.raw('{ licenseServers { id } }');
    expect(post.status).toBe(200);
    expect(post.data.licenseServers).toEqual([{ id: 'eda' }]);
    const get = await t.get('/graphql?query=%7B__typename%7D', undefined, {
      accept: 'application/graphql-response+json, application/json',
      'apollo-require-preflight': 'true',
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const anon = await t.get('/graphql?query=%7B__typename%7D', null, {
      accept: 'application/json',
      'apollo-require-preflight': 'true',
    });
    await anon.arrayBuffer();
    expect(anon.status).toBe(401);
    expect(anon.headers.get('content-type')).toMatch(/json/);
  });

  test('with graphiql: false, GraphiQL is not served and GET /graphql from a browser reaches Apollo', async () => {
    {
      const gq = await off.get('/graphiql', null, { accept: 'text/html' });
      await gq.arrayBuffer();
      expect(gq.status).toBe(404);
      const g = await off.get('/graphql', null, { accept: 'text/html' });
      await g.arrayBuffer();
      expect(g.headers.get('content-type') ?? '').not.toContain('text/html');
      const home = await off.get('/', null, { accept: 'text/html' });
      expect(home.status).toBe(200);
      const html = await home.text();
      expect(html).not.toContain('href="/graphiql"');
      const ws = assetsOf(html).find((a) => a.includes('graphql-ws'))!;
      const wsJs = await off.get(ws, null);
      await wsJs.arrayBuffer();
      expect(wsJs.status).toBe(200);
      const gjs = await off.get(
        ws.replace(/graphql-ws@[^/]+\/graphql-ws\.min\.js/, 'graphiql@3.8.2/graphiql.min.js'),
        null,
      );
      await gjs.arrayBuffer();
      expect(gjs.status).toBe(404);
    }
  });
});

// -------------------------------------------------------------------------------------------------------------------

describeBrowser('in chromium with the network limited to 127.0.0.1', () => {
  let subscriptions: string[] = [];
  let featureFields: string[] = [];

  beforeAll(async () => {
    ({ subscriptions, featureFields } = await schemaHas(t));
  });

  test('GraphiQL at GET /graphql loads offline, takes a pasted token and shows a query result', async () => {
    const g = await guardedPage(browser!);
    try {
      const { page } = g;
      const apiCalls: string[] = [];
      page.on('request', (r) => {
        if (r.method() === 'POST' && new URL(r.url()).pathname === '/graphql') apiCalls.push(r.postData() ?? '');
      });
      await page.goto(`${t.url}/graphql`);
      await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror');
      // Opens clean: no token yet, so no schema request and no error in the result pane; running shows the hint.
      expect(await page.textContent('#token-status')).toBe('No token');
      await page.click('.graphiql-execute-button');
      await page.waitForFunction(() =>
        /No access token yet/.test(document.querySelector('.graphiql-response')?.textContent ?? ''),
      );
      expect(apiCalls).toEqual([]);
      await page.fill('#token', t.adminToken);
      await page.click('#token-apply');
      await page.waitForFunction(() => /Signed in as/.test(document.querySelector('#token-status').textContent));
      expect(await page.evaluate(() => window.sessionStorage.getItem('licensegraph.token'))).toBe(t.adminToken);
      await page.click('.graphiql-execute-button');
      await page.waitForFunction(() =>
        /"FTX_DEVELOPER"/.test(document.querySelector('.graphiql-response')?.textContent ?? ''),
      );
      const text: string = await page.evaluate(() => document.querySelector('.graphiql-response').textContent);
      const dev = (await report(t)).find((f) => f.info.name === 'FTX_DEVELOPER')!;
      expect(text).toContain('"licenseReport"');
      expect(text).toMatch(
        new RegExp(`"name":\\s*"FTX_DEVELOPER",\\s*"issued":\\s*${dev.info.issued},\\s*"used":\\s*${dev.info.used}`),
      );
      await screenshot(page, 'graphiql');

      if (subscriptions.includes('checkoutEvents')) {
        // A subscription through graphql-ws, the token in connection_init.
        const sockets: string[] = [];
        page.on('websocket', (ws) => sockets.push(ws.url()));
        await page.evaluate(() => {
          document
            .querySelector('.graphiql-query-editor .CodeMirror')
            .CodeMirror.setValue(
              'subscription Watch {\n  checkoutEvents(features: ["FTX_COVERAGE"]) {\n    type feature\n    checkout { username hostname }\n  }\n}\n',
            );
        });
        // GraphiQL parses the edited document in a 100 ms debounce timer. A page timer set after it with a longer
        // delay fires after it, however late a busy machine runs them (timers fire in the order of their
        // deadlines): then the click runs the parsed subscription. The checkout waits until the server has it.
        await page.evaluate(() => new Promise((r) => setTimeout(r, 300)));
        await page.click('.graphiql-execute-button');
        const bus = t.app.services.events.bus;
        await until(
          () => bus.subscriberCount === 1,
          () => `${bus.subscriberCount} subscribers`,
        );
        sim.checkout('FTX_COVERAGE', 'graphiql.user', 'graphiql-host', 1);
        await page.waitForFunction(
          () => /"graphiql\.user"/.test(document.querySelector('.graphiql-response')?.textContent ?? ''),
          null,
          { timeout: 10_000 },
        );
        const event: string = await page.evaluate(() => document.querySelector('.graphiql-response').textContent);
        expect(event).toMatch(/"type":\s*"CHECKED_OUT"/);
        expect(event).toMatch(/"hostname":\s*"graphiql-host"/);
        expect(sockets).toEqual([`${t.url.replace('http', 'ws')}/graphql`]);
        await screenshot(page, 'graphiql-subscription');
      }
      assertStayedLocal(g);
      expect(unexpectedErrors(g.errors, { allowWsFailure: subscriptions.length === 0 })).toEqual([]);
    } finally {
      await g.close();
    }
  });

  test('dashboard: sign-in, the report numbers, a live update after a checkout, and the DOWN state', async () => {
    const g = await guardedPage(browser!);
    const live = subscriptions.includes('featureUsageChanged');
    try {
      const { page } = g;
      // With subscriptions the safety re-read is pushed far out, so an update can only come from the subscription.
      await page.goto(`${t.url}/?poll=1&recheck=${live ? 600 : 1}`);

      // A wrong token: a clear 401 message, no dashboard.
      await page.fill('#token', 'lg_wrong_token_000000000000000000000');
      await page.click('#signin-submit');
      await page.waitForFunction(() => /401/.test(document.querySelector('#signin-error').textContent));
      expect(await page.textContent('#signin-error')).toMatch(/not accepted \(401 Unauthorized\)/);
      expect(await page.isHidden('#dashboard')).toBe(true);
      await screenshot(page, 'dashboard-signin-401');

      await page.fill('#token', t.adminToken);
      await page.press('#token', 'Enter');
      await page.waitForSelector('#features tbody tr[data-feature="FTX_DEVELOPER"]');
      expect(await page.evaluate(() => window.sessionStorage.getItem('licensegraph.token'))).toBe(t.adminToken);
      await page.evaluate(() => {
        window.__sameDocument = true;
      });
      if (featureFields.includes('history')) await t.app.services.poller.pollAll(); // history: a sample before

      // Every feature of the simulator, with the report's numbers.
      const before = await report(t);
      expect(before.length).toBe(20);
      expect(await shownRows(page)).toEqual(expectedRows(before));
      const checkoutsShown = await page.$$eval('#checkouts tbody tr[data-user]', (rows: any[]) => rows.length);
      expect(checkoutsShown).toBe(before.reduce((n, f) => n + f.checkouts.length, 0) + 1 /* the queued request */);
      // Uncounted and queued features say so.
      expect(await page.textContent('#features tr[data-feature="TMW_Archive"] .pct')).toMatch(/Uncounted/);
      expect(await page.textContent('#features tr[data-feature="Distrib_Computing_Toolbox"] .badges')).toContain(
        '1 queued',
      );
      expect(await page.textContent('#features tr[data-feature="VCSRuntime_Net"] .badges')).toContain('2 reserved');
      expect(
        await page.getAttribute('#features tr[data-feature="FTX_DEVELOPER"] [role="meter"]', 'aria-valuetext'),
      ).toMatch(/^\d+ of 100 in use, \d+ free$/);
      if (live) {
        await page.waitForSelector('#live[data-mode="live"]');
        expect(await page.textContent('#live')).toBe('Live');
      } else {
        expect(await page.textContent('#live')).toBe('Refreshing every 1 s');
      }
      await screenshot(page, 'dashboard', true);

      // A checkout on the license server shows up without a reload.
      const dev = before.find((f) => f.info.name === 'FTX_DEVELOPER')!;
      sim.checkout('FTX_DEVELOPER', 'e2e.tester', 'e2e-host-01', 3);
      const want = fmt(dev.info.used! + 3);
      await page.waitForFunction(
        (w: string) => document.querySelector('#features tr[data-feature="FTX_DEVELOPER"] td.used').textContent === w,
        want,
        { timeout: 10_000 },
      );
      const after = await report(t);
      expect(await shownRows(page)).toEqual(expectedRows(after));
      expect(await page.textContent('#features tr[data-feature="FTX_DEVELOPER"] td.free')).toBe(
        fmt(dev.info.free! - 3),
      );
      expect(await page.textContent('#t-checkouts')).toBe(String(after.reduce((n, f) => n + f.checkouts.length, 0)));
      expect(await page.evaluate(() => window.__sameDocument)).toBe(true);
      await page.waitForFunction(() =>
        /FTX_DEVELOPER: \d+ of 100 in use/.test(document.querySelector('#announcer').textContent),
      );
      if (featureFields.includes('history')) {
        // Two more polls: a reading counts in history once the next poll confirms how long it lasted.
        await t.app.services.poller.pollAll();
        await new Promise((r) => setTimeout(r, 50));
        await t.app.services.poller.pollAll();
      }

      // The checkout table filters by text.
      await page.fill('#checkout-filter', 'e2e.tester');
      const filtered = await page.$$eval('#checkouts tbody tr[data-user]', (rows: any[]) =>
        rows.map((r) => [...r.querySelectorAll('td')].map((td: any) => td.textContent)),
      );
      expect(filtered.length).toBe(1);
      expect(filtered[0].slice(0, 4)).toEqual(['e2e.tester', 'e2e-host-01', 'FTX_DEVELOPER', '3']);
      expect(await page.textContent('#checkout-count')).toMatch(/^Showing 1 of \d+/);

      // Keyboard: select a feature by its button; its history chart marks a peak.
      await page.focus('#features tr[data-feature="FTX_DEVELOPER"] button.fname');
      await page.keyboard.press('Enter');
      expect(await page.getAttribute('#features tr[data-feature="FTX_DEVELOPER"] button.fname', 'aria-pressed')).toBe(
        'true',
      );
      expect(await page.inputValue('#checkout-feature')).toBe('eda/FTX_DEVELOPER');
      if (featureFields.includes('history')) {
        // Feature.history: the chart's peak is the highest bucket peak the API returns for the same window.
        await page.waitForFunction(() =>
          /Recorded by licensegraph/.test(document.querySelector('#history-note').textContent),
        );
        const h = await t.raw(
          'query($since: DateTime) { feature(name: "FTX_DEVELOPER", server: "eda") { history(since: $since, bucket: HOUR) { peak } } }',
          {
            since: new Date(Date.now() - 24 * 3600_000).toISOString(),
          },
        );
        const peaks = (h.data.feature.history as Array<{ peak: number | null }>)
          .map((b) => b.peak)
          .filter((p): p is number => p != null);
        expect(Math.max(...peaks)).toBe(dev.info.used! + 3);
        await page.waitForSelector('#chart svg .peak-label');
        expect(Number(await page.getAttribute('#chart svg .peak-label', 'data-peak'))).toBe(dev.info.used! + 3);
      } else {
        // No history on the server: the chart shows what the page itself saw, 25 in use and then 28.
        await page.waitForSelector('#chart svg .peak-label');
        expect(Number(await page.getAttribute('#chart svg .peak-label', 'data-peak'))).toBe(dev.info.used! + 3);
      }
      await screenshot(page, 'dashboard-after-checkout', true);

      // The server goes down: a clear alert with the reason, and the features go away.
      const reason = 'Cannot connect to license server system. (-15,570:115 "Operation now in progress")';
      sim.setDown(reason);
      await page.waitForSelector('[data-banner="down:eda"]', { timeout: 10_000 });
      const banner = await page.textContent('[data-banner="down:eda"]');
      expect(banner).toContain('License server EDA tools (eda) is DOWN.');
      expect(banner).toContain(reason);
      expect(await page.getAttribute('[data-banner="down:eda"]', 'role')).toBe('alert');
      expect(await page.textContent('#t-servers')).toBe('0 / 1');
      await page.fill('#checkout-filter', '');
      await screenshot(page, 'dashboard-down', true);

      // And recovers.
      sim.setDown(null);
      await page.waitForSelector('[data-banner="down:eda"]', { state: 'detached', timeout: 10_000 });
      await page.waitForSelector('#features tbody tr[data-feature="FTX_DEVELOPER"]');
      expect(await page.evaluate(() => window.__sameDocument)).toBe(true);

      assertStayedLocal(g);
      expect(unexpectedErrors(g.errors, { allowWsFailure: !live })).toEqual([]);
    } finally {
      await g.close();
    }
  });

  test('dashboard: when the WebSocket fails it keeps updating by polling', async () => {
    const g = await guardedPage(browser!);
    try {
      const { page } = g;
      let attempts = 0;
      await page.routeWebSocket(/\/graphql$/, (ws) => {
        attempts++;
        return ws.close({ code: 1011, reason: 'refused by the test' });
      });
      await page.goto(`${t.url}/?poll=1&recheck=600`);
      await page.evaluate((token: string) => window.sessionStorage.setItem('licensegraph.token', token), t.adminToken);
      await page.reload(); // signs in with the stored token
      await page.waitForSelector('#features tbody tr[data-feature="Verdi"]');
      expect(await page.textContent('#live')).toBe('Refreshing every 1 s');
      const verdi = (await report(t)).find((f) => f.info.name === 'Verdi')!;
      sim.checkout('Verdi', 'poll.user', 'poll-host', 2);
      await page.waitForFunction(
        (w: string) => document.querySelector('#features tr[data-feature="Verdi"] td.used').textContent === w,
        fmt(verdi.info.used! + 2),
        {
          timeout: 10_000,
        },
      );
      expect(await shownRows(page)).toEqual(expectedRows(await report(t)));
      expect(attempts).toBeGreaterThan(0);
      assertStayedLocal(g);
      expect(unexpectedErrors(g.errors, { allowWsFailure: true })).toEqual([]);
    } finally {
      await g.close();
    }
  });
});
