/**
 * Stable identities for debug-log events, so that importing the same log (or an overlapping rotation of it) twice
 * records each event once. The identity is what the event says, never where it was read (a line number shifts when
 * a log rotates):
 *
 *   key = at | vendor | type | feature | user | host | count | token | occurrence      (joined with U+001F)
 *
 * where `at` is the ISO UTC instant (or "local:" + the printed time of day when the date is unknown), `token` the
 * bracketed `[VENDOR:SUB]` part or "", and `occurrence` the number of identical earlier events (same everything
 * else) at the same second in the same text: 0, 1, 2... The id is a 64-bit hash of the key's UTF-16 code units
 * (two 32-bit multiply-xor lanes with a final avalanche, as in cyrb53, both lanes kept), as 16 hex digits: fast
 * enough for millions of events per second, and with 64 bits a collision among ten million events has a chance
 * near one in a million. `eventKey` and `hashKey` are the reference definition; the parser computes the same
 * value incrementally (the test suite checks that they agree).
 */

export const KEY_SEPARATOR = '\u001f';

export interface IdFields {
  at: string | null;
  time: string;
  vendor: string;
  type: string;
  feature: string;
  user: string;
  host: string;
  count: number;
  token: string | null;
}

/** The identity key of an event (reference definition). */
export function eventKey(e: IdFields, occurrence: number): string {
  const at = e.at ?? `local:${e.time}`;
  return [at, e.vendor, e.type, e.feature, e.user, e.host, String(e.count), e.token ?? '', String(occurrence)].join(KEY_SEPARATOR);
}

/** The 64-bit hash of a key as 16 hex digits (reference definition). */
export function hashKey(key: string): string {
  const h = new IdHasher();
  h.str(key);
  return h.hex();
}

const H1 = 0xdeadbeef | 0;
const H2 = 0x41c6ce57 | 0;

function hex8(n: number): string {
  const s = (n >>> 0).toString(16);
  return s.length === 8 ? s : '00000000'.slice(s.length) + s;
}

/** Incremental form of hashKey: feed the key's pieces in order, then read hex(). */
export class IdHasher {
  h1 = H1;
  h2 = H2;

  reset(): void {
    this.h1 = H1;
    this.h2 = H2;
  }

  str(s: string): void {
    let h1 = this.h1;
    let h2 = this.h2;
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    this.h1 = h1;
    this.h2 = h2;
  }

  /** A separator followed by s. */
  field(s: string): void {
    this.h1 = Math.imul(this.h1 ^ 0x1f, 2654435761);
    this.h2 = Math.imul(this.h2 ^ 0x1f, 1597334677);
    this.str(s);
  }

  /** A separator followed by the decimal digits of a non-negative integer. */
  int(n: number): void {
    this.field(n < 10 ? DIGITS[n] : String(n));
  }

  hex(): string {
    let h1 = this.h1;
    let h2 = this.h2;
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    return hex8(h2) + hex8(h1);
  }
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
