/**
 * Headless Debian chromium through playwright-core, with every request that would leave 127.0.0.1 blocked and
 * recorded, so a test can assert that a page works offline and never tried to reach the internet.
 */
import { existsSync, mkdirSync } from 'fs';
import path from 'path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS_DIR = path.resolve(__dirname, '..', '..', 'test-artifacts');

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLocal(url: string): boolean {
  try {
    const u = new URL(url);
    if (u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'about:') return true;
    return LOCAL_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}

export interface GuardedPage {
  context: BrowserContext;
  page: Page;
  /** Requests (and WebSockets) to anything but 127.0.0.1/localhost: each was aborted. */
  blocked: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  /** Content-Security-Policy violations reported by the page. */
  cspViolations: string[];
  close(): Promise<void>;
}

/** A fresh context and page whose network is limited to the local server. */
export async function guardedPage(
  browser: Browser,
  opts: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {},
): Promise<GuardedPage> {
  const context = await browser.newContext({
    viewport: opts.viewport ?? { width: 1360, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
    locale: 'en-US',
    timezoneId: 'UTC',
    serviceWorkers: 'block',
  });
  const blocked: string[] = [];
  const errors: string[] = [];
  const cspViolations: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  page.on('websocket', (ws) => {
    if (!isLocal(ws.url())) blocked.push(ws.url());
  });
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/Content.Security.Policy|Refused to/i.test(text)) cspViolations.push(text);
    else errors.push(text);
  });
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  await page.exposeFunction('__lgCsp', (v: string) => cspViolations.push(v));
  // A string, not a function: the test tsconfig has no DOM types.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => {
    window.__lgCsp(e.violatedDirective + ' blocked ' + e.blockedURI + ' (' + e.sourceFile + ':' + e.lineNumber + ')');
  });`);
  return { context, page, blocked, errors, cspViolations, close: () => context.close() };
}

export async function screenshot(page: Page, name: string, fullPage = false): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  if (fullPage) await page.evaluate('window.scrollTo(0, 0)'); // a sticky header would otherwise show mid-page
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}
