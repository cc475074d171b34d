/**
 * JSON source (type 'json'): GET config.url, a LicenseSummary endpoint like Foretify Manager's /api/licenses/report
 * (another licensegraph, a Foretify Manager), with an optional bearer token, and map the document with
 * mapLicenseSummary (./map.ts).
 *
 *  - the fetch's AbortSignal cancels the request; config.timeoutSeconds bounds it too;
 *  - the body is read up to maxOutputBytes (TOO_LARGE past that; a Content-Length over the cap fails at once);
 *  - a non-2xx answer -> SourceError HTTP with the status (and the start of the body); redirects are not followed
 *    (the token would travel with them) but reported with their target;
 *  - a network failure -> SourceError HTTP with the cause; malformed JSON or a wrong shape -> PARSE with the path.
 * The token never appears in messages, nor do credentials embedded in the URL.
 * At most one request per source is in flight: concurrent fetches join it.
 */
import type { ServerConfig } from '../../config/types';
import type { Snapshot } from '../../domain/snapshot';
import { SingleRun } from '../command/single-run';
import { SourceError, type LicenseSource } from '../source';
import { parseLicenseSummaryJson } from './map';

export interface JsonSourceOptions {
  now?: () => Date;
  /** For tests: a fetch implementation (default: the global fetch). */
  fetch?: typeof fetch;
}

/** The URL without user:password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      u.username = '';
      u.password = '';
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

function causeOf(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  const cause = err?.cause;
  if (cause?.code) return cause.message ? `${cause.code} (${cause.message})` : cause.code;
  return cause?.message ?? err?.message ?? String(e);
}

/** Read a response body up to maxBytes. */
async function readCapped(res: Response, maxBytes: number, what: string): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new SourceError(
      `${what} declares ${declared} bytes, more than maxOutputBytes (${maxBytes} bytes)`,
      'TOO_LARGE',
    );
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new SourceError(`${what} is more than maxOutputBytes (${maxBytes} bytes)`, 'TOO_LARGE');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

export class JsonSource implements LicenseSource {
  readonly id: string;
  readonly type = 'json' as const;
  private readonly single = new SingleRun<Snapshot>();
  private readonly now: () => Date;
  private readonly doFetch: typeof fetch;

  constructor(
    readonly config: ServerConfig,
    opts: JsonSourceOptions = {},
  ) {
    if (!config.url) throw new Error(`server ${config.id}: type json needs a url`);
    this.id = config.id;
    this.now = opts.now ?? (() => new Date());
    this.doFetch = opts.fetch ?? fetch;
  }

  /** Requests sent so far (joined fetches do not send one). */
  get requests(): number {
    return this.single.runs;
  }

  fetch(signal: AbortSignal): Promise<Snapshot> {
    return this.single.run(signal, (s) => this.requestOnce(s));
  }

  private async requestOnce(signal: AbortSignal): Promise<Snapshot> {
    const url = this.config.url!;
    const shown = redactUrl(url);
    const polledAt = this.now();
    const timeout = AbortSignal.timeout(this.config.timeoutSeconds * 1000);
    const both = AbortSignal.any([signal, timeout]);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.config.token) headers.authorization = `Bearer ${this.config.token}`;
    const failed = (e: unknown): SourceError => {
      if (e instanceof SourceError) return e;
      if (timeout.aborted)
        return new SourceError(`GET ${shown} timed out after ${this.config.timeoutSeconds} s`, 'TIMEOUT');
      if (signal.aborted) return new SourceError(`GET ${shown} aborted`, 'ABORTED');
      return new SourceError(`GET ${shown} failed: ${causeOf(e)}`, 'HTTP');
    };
    let res: Response;
    try {
      // redirects are not followed: the bearer token must not travel to another address than the one configured
      res = await this.doFetch(url, { headers, signal: both, redirect: 'manual' });
    } catch (e) {
      throw failed(e);
    }
    let text: string;
    try {
      if (res.status >= 300 && res.status < 400) {
        await res.body?.cancel().catch(() => undefined);
        const to = res.headers.get('location');
        throw new SourceError(
          `GET ${shown} answered HTTP ${res.status}, a redirect${to ? ` to ${redactUrl(new URL(to, url).toString())}` : ''}; set servers[].url to the final address`,
          'HTTP',
        );
      }
      if (!res.ok) {
        const body = await readCapped(res, 64 * 1024, `the error body of ${shown}`).catch(() => '');
        const snippet = body.replace(/\s+/g, ' ').trim().slice(0, 200);
        throw new SourceError(
          `GET ${shown} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${snippet ? `: ${snippet}` : ''}`,
          'HTTP',
        );
      }
      text = await readCapped(res, this.config.maxOutputBytes, `the response of ${shown}`);
    } catch (e) {
      throw failed(e);
    }
    try {
      return parseLicenseSummaryJson(text, {
        serverId: this.id,
        now: polledAt,
        timeZone: this.config.timeZone,
        sourceType: 'json',
      });
    } catch (e) {
      const err = e as SourceError;
      throw new SourceError(`${shown}: ${err.message}`, 'PARSE');
    }
  }
}
