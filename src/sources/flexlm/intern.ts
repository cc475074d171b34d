/**
 * String interning for the parsers of large outputs (lmstat, rlmstat): versions, server hosts, products repeat on
 * thousands of lines; handing out one string per distinct text instead of one per line removes those strings'
 * allocation and the GC work of keeping them in the Snapshot. Equal strings are indistinguishable in JavaScript,
 * so this never changes a result.
 */

/** 32-bit FNV-1a over the UTF-16 code units of t[a, b): the hash StringInterner keys on. */
export function fnv1a(t: string, a: number, b: number): number {
  let h = 0x811c9dc5 | 0;
  for (let k = a; k < b; k++) h = Math.imul(h ^ t.charCodeAt(k), 0x01000193);
  return h;
}

/** Fields StringInterner.field() remembers (one slot per kind of value). */
export const MAX_SLOTS = 8;

/**
 * Strings of ONE input text, interned: an open-addressing table keyed by the hash of the characters; a slot holds
 * the hash, where the text was first read in the input (start, length) and its string ('' = empty slot), so a
 * lookup compares the input with itself. Only ever use one interner with one text.
 */
export class StringInterner {
  private hashes = new Int32Array(1024);
  private starts = new Int32Array(1024);
  private lens = new Int32Array(1024);
  private strs: string[] = new Array<string>(1024).fill('');
  private count = 0;
  /** Per field (see field()): where it was read last, and its string. */
  private readonly slotStart = new Int32Array(MAX_SLOTS);
  private readonly slotEnd = new Int32Array(MAX_SLOTS);
  private readonly slotValue: string[] = new Array<string>(MAX_SLOTS).fill('');

  /**
   * get() for a field (`slot`, 0 .. MAX_SLOTS-1, one per kind of value: version, server host, product, ...),
   * first comparing t[a, b) with where that field was read last: values such as the server host or the version
   * are the same on most consecutive lines, and that comparison needs no hash and runs on input still in the CPU
   * cache. (Values that change on most lines, like user names, are cheaper sliced: a hash and a comparison per
   * line cost more than the allocation they save.)
   */
  field(slot: number, t: string, a: number, b: number): string {
    const len = b - a;
    if (len <= 0) return '';
    const pa = this.slotStart[slot];
    if (this.slotEnd[slot] - pa === len) {
      let k = 0;
      while (k < len && t.charCodeAt(pa + k) === t.charCodeAt(a + k)) k++;
      if (k === len) return this.slotValue[slot];
    }
    const v = this.getH(t, a, b, fnv1a(t, a, b));
    this.slotStart[slot] = a;
    this.slotEnd[slot] = b;
    this.slotValue[slot] = v;
    return v;
  }

  /** t.slice(a, b), the same string for the same text; h = fnv1a(t, a, b). */
  private getH(t: string, a: number, b: number, h: number): string {
    const len = b - a;
    if (len <= 0) return '';
    const strs = this.strs;
    const mask = strs.length - 1;
    let i = h & mask;
    for (;;) {
      const v = strs[i];
      if (v === '') break;
      if (this.hashes[i] === h && this.lens[i] === len) {
        const p = this.starts[i];
        let k = 0;
        while (k < len && t.charCodeAt(p + k) === t.charCodeAt(a + k)) k++;
        if (k === len) return v;
      }
      i = (i + 1) & mask;
    }
    const v = t.slice(a, b);
    strs[i] = v;
    this.hashes[i] = h;
    this.starts[i] = a;
    this.lens[i] = len;
    if (++this.count * 2 > strs.length) this.grow();
    return v;
  }

  private grow(): void {
    const oldStrs = this.strs;
    const oldHashes = this.hashes;
    const oldStarts = this.starts;
    const oldLens = this.lens;
    const size = oldStrs.length * 2;
    const mask = size - 1;
    const strs = new Array<string>(size).fill('');
    this.hashes = new Int32Array(size);
    this.starts = new Int32Array(size);
    this.lens = new Int32Array(size);
    for (let j = 0; j < oldStrs.length; j++) {
      if (oldStrs[j] === '') continue;
      let i = oldHashes[j] & mask;
      while (strs[i] !== '') i = (i + 1) & mask;
      strs[i] = oldStrs[j];
      this.hashes[i] = oldHashes[j];
      this.starts[i] = oldStarts[j];
      this.lens[i] = oldLens[j];
    }
    this.strs = strs;
  }
}
