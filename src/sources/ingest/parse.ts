/**
 * Push mode: raw license-server status text sent by an agent next to the license server (lmstat, rlmstat or
 * LicenseSummary JSON), turned into a Snapshot. Pure: text in, data out, no I/O; bad input gives a result with an
 * error, never a throw.
 */
import type { Snapshot } from '../../domain/snapshot';
import { parseLmstat } from '../flexlm';
import { tryMapLicenseSummary } from '../json/map';
import { parseRlmstat } from '../rlm';

export type IngestFormat = 'lmstat' | 'rlmstat' | 'json';
export const INGEST_FORMATS: readonly IngestFormat[] = ['lmstat', 'rlmstat', 'json'];

/** Largest text accepted (bytes of UTF-8); the REST route's body limit is the same. */
export const MAX_INGEST_BYTES = 16 * 1024 * 1024;

const RLM_MARKERS =
  /\brlmutil\b|\brlm status on\b|\bISV servers\b|Reprise Software|\brlmstat\b|Error connecting to "rlm" server/i;
const LMSTAT_MARKERS =
  /\blmutil\b|License server status:|^Users of [^:\r\n]+:|Flexible License Manager status|\blmgrd\b|\blmstat\b|Vendor daemon status/im;

/** Which format a text is in, or null when it cannot be told. */
export function detectFormat(text: string): IngestFormat | null {
  const head = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = /\S/.exec(head);
  if (first && (first[0] === '{' || first[0] === '[')) return 'json';
  const sample = head.length > 200_000 ? head.slice(0, 200_000) : head;
  if (RLM_MARKERS.test(sample)) return 'rlmstat';
  if (LMSTAT_MARKERS.test(sample)) return 'lmstat';
  return null;
}

export interface IngestParseOptions {
  serverId: string;
  /** The instant start times are inferred against, and the snapshot's fetchedAt. */
  now: Date;
  /** IANA zone the server prints times in. */
  timeZone?: string;
}

export type IngestParseResult =
  { ok: true; format: IngestFormat; snapshot: Snapshot } | { ok: false; field: 'format' | 'text'; message: string };

/** Parse pushed text; format 'auto' (or undefined) detects it. */
export function parseIngest(
  text: string,
  format: IngestFormat | 'auto' | undefined,
  opts: IngestParseOptions,
): IngestParseResult {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, field: 'text', message: 'is empty' };
  const fmt = !format || format === 'auto' ? detectFormat(text) : format;
  if (!fmt) {
    return {
      ok: false,
      field: 'format',
      message: 'cannot tell the format from the text; pass format lmstat, rlmstat or json',
    };
  }
  const base = { serverId: opts.serverId, now: opts.now, timeZone: opts.timeZone };
  let snapshot: Snapshot;
  switch (fmt) {
    case 'lmstat':
      snapshot = parseLmstat(text, base);
      break;
    case 'rlmstat':
      snapshot = parseRlmstat(text, { ...base, sourceType: 'ingest' });
      break;
    case 'json': {
      let value: unknown;
      try {
        value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch (e) {
        return {
          ok: false,
          field: 'text',
          message: `is not valid JSON${/ at position \d+/.exec((e as Error).message)?.[0] ?? ''}`,
        }; // never echo the body
      }
      const r = tryMapLicenseSummary(value, { ...base, sourceType: 'ingest' });
      if (!r.ok) return { ok: false, field: 'text', message: `is not a LicenseSummary document: ${r.message}` };
      snapshot = r.snapshot;
      break;
    }
  }
  return {
    ok: true,
    format: fmt,
    snapshot: { ...snapshot, serverId: opts.serverId, sourceType: 'ingest', fetchedAt: opts.now.toISOString() },
  };
}
