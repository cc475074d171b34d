/**
 * The fields of one event line after its keyword, read in place (ranges of the input, no regular expression on the
 * hot path):
 *
 *   "Spectre" maria@ws-101  (3 licenses)
 *   "MSCONE" user_01@machine_01 [MSCONE:NASTRAN] (60 licenses) (SHUTDOWN)
 *   "Spectre" tom@farm-02  (Licensed number of users already reached. (-4,342:10054 ""))
 *   "f" (PORT_AT_HOST_PLUS   ) John Doe@PC01  (License server system does not support this feature. (-18,327))
 *
 * i.e. a quoted feature, optional parenthesised detail, user@host (the user may hold spaces; the host ends at
 * whitespace; the last "@" of that run splits them), an optional [token], then parenthesised groups: "(N licenses)"
 * is the count, every other group is reason text. Parentheses nest and are not counted inside double quotes.
 */

export interface EventFields {
  featureA: number;
  featureB: number;
  userA: number;
  userB: number;
  hostA: number;
  hostB: number;
  tokenA: number;
  tokenB: number;
  count: number;
  reason: string | null;
  detail: string | null;
}

export function newEventFields(): EventFields {
  return {
    featureA: 0,
    featureB: 0,
    userA: 0,
    userB: 0,
    hostA: 0,
    hostB: 0,
    tokenA: -1,
    tokenB: -1,
    count: 1,
    reason: null,
    detail: null,
  };
}

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 0xa0 || c === 0xfeff || (c < 32 && c !== 0);
}

function skipWs(t: string, k: number, e: number): number {
  while (k < e && isWs(t.charCodeAt(k))) k++;
  return k;
}

/** Index just past the ")" closing the "(" at k, or -1. Nested groups and double-quoted text are skipped. */
function groupEnd(t: string, k: number, e: number): number {
  let depth = 0;
  let quoted = false;
  for (; k < e; k++) {
    const c = t.charCodeAt(k);
    if (c === 34) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return k + 1;
  }
  return -1;
}

/** "(13 licenses)" / "(1 license)" / "(2 licences)" between a and b (the parentheses included): N, else -1. */
function countGroup(t: string, a: number, b: number): number {
  let k = skipWs(t, a + 1, b - 1);
  let n = 0;
  const d0 = k;
  while (k < b - 1 && k - d0 < 10) {
    const c = t.charCodeAt(k);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
    k++;
  }
  if (k === d0 || k - d0 > 9) return -1;
  const w = skipWs(t, k, b - 1);
  if (w === k || !t.startsWith('licen', w)) return -1;
  let z = w + 5;
  const c1 = t.charCodeAt(z);
  if (c1 !== 115 && c1 !== 99) return -1; // s / c
  z++;
  if (t.charCodeAt(z) !== 101) return -1; // e
  z++;
  if (t.charCodeAt(z) === 115) z++;
  return skipWs(t, z, b - 1) === b - 1 ? n : -1;
}

function addReason(f: EventFields, text: string): void {
  f.reason = f.reason === null ? text : `${f.reason} ${text}`;
}

/** Read the fields from k (just past "OUT: ") to e into f. False when there is no quoted feature or no user@host. */
export function readEventFields(t: string, k: number, e: number, f: EventFields): boolean {
  f.tokenA = -1;
  f.count = 1;
  f.reason = null;
  f.detail = null;
  k = skipWs(t, k, e);
  if (t.charCodeAt(k) !== 34) return false;
  const q = t.indexOf('"', k + 1);
  if (q < 0 || q >= e || q === k + 1) return false;
  f.featureA = k + 1;
  f.featureB = q;
  k = skipWs(t, q + 1, e);
  while (t.charCodeAt(k) === 40 && k < e) {
    const g = groupEnd(t, k, e);
    if (g < 0) return false;
    const d = t.slice(k + 1, g - 1).trim();
    f.detail = f.detail === null ? d : `${f.detail} ${d}`;
    k = skipWs(t, g, e);
  }
  if (!readUserHost(t, k, e, f)) return false;
  k = skipWs(t, f.hostB, e);
  if (t.charCodeAt(k) === 91 && k < e) {
    const c = t.indexOf(']', k + 1);
    if (c > k && c < e) {
      f.tokenA = k + 1;
      f.tokenB = c;
      k = skipWs(t, c + 1, e);
    }
  }
  readGroups(t, k, e, f);
  return true;
}

/** user@host starting at k: the first "@" begins the host's run, which ends at whitespace; the run's last "@" splits. */
function readUserHost(t: string, k: number, e: number, f: EventFields): boolean {
  let at = -1;
  let j = k;
  for (; j < e; j++) {
    const c = t.charCodeAt(j);
    if (c === 64) {
      at = j;
      break;
    }
    if (c === 40 || c === 91 || c === 34) return false; // a group before any "@": no user@host here
  }
  if (at < 0) return false;
  let end = at + 1;
  for (; end < e; end++) {
    const c = t.charCodeAt(end);
    if (isWs(c)) break;
    if (c === 64) at = end;
  }
  let ua = k;
  let ub = at;
  while (ub > ua && isWs(t.charCodeAt(ub - 1))) ub--;
  while (ua < ub && isWs(t.charCodeAt(ua))) ua++;
  if (ub === ua || end === at + 1) return false;
  f.userA = ua;
  f.userB = ub;
  f.hostA = at + 1;
  f.hostB = end;
  return true;
}

/** The parenthesised groups after user@host (and token): the first "(N licenses)" is the count, the rest reasons. */
function readGroups(t: string, k: number, e: number, f: EventFields): void {
  let counted = false;
  while (k < e) {
    if (t.charCodeAt(k) !== 40) {
      addReason(f, t.slice(k, e).trim()); // trailing text outside parentheses: kept verbatim as reason
      return;
    }
    const g = groupEnd(t, k, e);
    if (g < 0) {
      addReason(f, t.slice(k + 1, e).trim()); // an unclosed group: its text is still the reason
      return;
    }
    const n = counted ? -1 : countGroup(t, k, g);
    if (n >= 0) {
      f.count = n;
      counted = true;
    } else {
      addReason(f, t.slice(k + 1, g - 1).trim());
    }
    k = skipWs(t, g, e);
  }
}

const ERROR_CODE_RE = /\((-\d{1,4},\d{1,6}(?::-?\d{1,9})?)/g;

/** The last FlexLM error code "(-4,342:10054" in a reason: "-4,342:10054", or null. */
export function errorCodeOf(reason: string): string | null {
  let code: string | null = null;
  ERROR_CODE_RE.lastIndex = 0;
  for (let m = ERROR_CODE_RE.exec(reason); m; m = ERROR_CODE_RE.exec(reason)) code = m[1];
  return code;
}
