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
  return [at, e.vendor, e.type, e.feature, e.user, e.host, String(e.count), e.token ?? '', String(occurrence)].join(
    KEY_SEPARATOR,
  );
}

/** The 64-bit hash of a key as 16 hex digits (reference definition). */
export function hashKey(key: string): string {
  const h = new IdHasher();
  h.str(key);
  return h.hex();
}

const H1 = 0xdeadbeef | 0;
const H2 = 0x41c6ce57 | 0;

/** ASCII code of a hex digit. */
function hx(n: number): number {
  return n < 10 ? 48 + n : 87 + n;
}

/** 16 hex digits of two 32-bit values, as one flat string (no intermediate strings). */
function hex16(a: number, b: number): string {
  return String.fromCharCode(
    hx((a >>> 28) & 15),
    hx((a >>> 24) & 15),
    hx((a >>> 20) & 15),
    hx((a >>> 16) & 15),
    hx((a >>> 12) & 15),
    hx((a >>> 8) & 15),
    hx((a >>> 4) & 15),
    hx(a & 15),
    hx((b >>> 28) & 15),
    hx((b >>> 24) & 15),
    hx((b >>> 20) & 15),
    hx((b >>> 16) & 15),
    hx((b >>> 12) & 15),
    hx((b >>> 8) & 15),
    hx((b >>> 4) & 15),
    hx(b & 15),
  );
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
    return hex16(h2, h1);
  }
}

/**
 * Counts per 64-bit key (h1, h2), in an open-addressing table of typed arrays: no boxed numbers and no per-entry
 * object, so counting a million events' keys costs neither garbage nor a Map's overhead.
 */
export class OccurrenceTable {
  private h1 = new Int32Array(1 << 12);
  private h2 = new Int32Array(1 << 12);
  private n = new Int32Array(1 << 12); // count + 1; 0 = empty slot
  private size = 0;

  /** How many times (h1, h2) was counted before; counts this one. */
  next(h1: number, h2: number): number {
    const mask = this.n.length - 1;
    let i = (h1 ^ Math.imul(h2, 0x9e3779b1)) & mask;
    for (;;) {
      const c = this.n[i];
      if (c === 0) break;
      if (this.h1[i] === h1 && this.h2[i] === h2) {
        this.n[i] = c + 1;
        return c;
      }
      i = (i + 1) & mask;
    }
    this.h1[i] = h1;
    this.h2[i] = h2;
    this.n[i] = 1;
    if (++this.size * 2 > this.n.length) this.grow();
    return 0;
  }

  private grow(): void {
    const [o1, o2, on] = [this.h1, this.h2, this.n];
    const len = on.length * 2;
    this.h1 = new Int32Array(len);
    this.h2 = new Int32Array(len);
    this.n = new Int32Array(len);
    const mask = len - 1;
    for (let j = 0; j < on.length; j++) {
      if (on[j] === 0) continue;
      let i = (o1[j] ^ Math.imul(o2[j], 0x9e3779b1)) & mask;
      while (this.n[i] !== 0) i = (i + 1) & mask;
      this.h1[i] = o1[j];
      this.h2[i] = o2[j];
      this.n[i] = on[j];
    }
  }
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
