/**
 * Canonical JSON for checksums: object keys sorted (by UTF-16 code units, as Array.prototype.sort does) at every
 * level, no whitespace, strings and numbers escaped exactly as JSON.stringify writes them; undefined members are
 * dropped as JSON.stringify drops them. A recipient recomputes a report's checksum as
 *   sha256_hex(canonicalJson(report without its "checksum" member))
 * e.g. in Python: hashlib.sha256(json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
 * (matching for the ASCII keys and values licensegraph writes).
 */
import { createHash } from 'crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value))
    return (
      '[' + value.map((v) => (v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v))).join(',') + ']'
    );
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return canonicalJson((value as { toJSON(): unknown }).toJSON());
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
    .sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
}

export function checksumOf(reportWithoutChecksum: unknown): string {
  return createHash('sha256').update(canonicalJson(reportWithoutChecksum), 'utf8').digest('hex');
}

/** Returns the checksum a report claims and the one its content gives. */
export function verifyChecksum(report: Record<string, unknown>): { claimed: unknown; actual: string; ok: boolean } {
  const { checksum, ...rest } = report;
  const actual = checksumOf(rest);
  return { claimed: checksum, actual, ok: typeof checksum === 'string' && checksum === actual };
}
