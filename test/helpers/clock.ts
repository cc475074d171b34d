/**
 * Time that tests control, instead of sleeping for a duration and hoping the machine kept up.
 *
 * ManualClock: a clock and timers (src/services/clock.ts Timers) that move only when the test says so. Pass
 * `now` and the clock itself (as `timers`) to a service or to buildApp; `advance(ms)` fires every timer that falls
 * due on the way, in order, synchronously. What the fired callbacks start (I/O, a poll) the test then awaits as an
 * outcome: an event, a deferred promise, or `until()` (a bounded polling loop on a condition).
 */
import type { Timers } from '../../src/services/clock';

export class ManualClock implements Timers {
  private ms: number;
  private seq = 0;
  private readonly due = new Map<number, { at: number; fn: () => void }>();

  constructor(start: Date | number = Date.now()) {
    this.ms = typeof start === 'number' ? start : start.getTime();
  }

  readonly now = (): Date => new Date(this.ms);

  readonly setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.due.set(id, { at: this.ms + Math.max(0, ms || 0), fn });
    return id;
  };

  readonly clearTimeout = (handle: unknown): void => {
    this.due.delete(handle as number);
  };

  /** Timers set and not yet fired or cleared. */
  pending(): number {
    return this.due.size;
  }

  /** Milliseconds until the next timer falls due (null when none is set). */
  nextIn(): number | null {
    let next: number | null = null;
    for (const { at } of this.due.values()) if (next === null || at < next) next = at;
    return next === null ? null : next - this.ms;
  }

  /** Moves the clock forward, firing each timer that falls due on the way at its own time; returns how many fired. */
  advance(ms: number): number {
    const until = this.ms + ms;
    let fired = 0;
    for (;;) {
      let id = 0;
      let at = Infinity;
      for (const [k, v] of this.due) if (v.at <= until && v.at < at) [id, at] = [k, v.at];
      if (!id) break;
      const { fn } = this.due.get(id)!;
      this.due.delete(id);
      this.ms = at;
      fired++;
      fn();
    }
    this.ms = until;
    return fired;
  }
}

/** A promise and the functions that settle it, for a test to settle when it chooses. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// Captured at load, so that polling for real I/O still works in a test that has turned on jest's fake timers.
const realSetTimeout = globalThis.setTimeout;
const realDateNow = Date.now;
const realSetImmediate = globalThis.setImmediate;

/**
 * Waits for a condition that real I/O (a database, a socket, a child process) makes true: checks every 10 ms of
 * real time, and fails with `what()` after timeoutMs (generous: it bounds a hang, it is not a latency assertion).
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: () => string = () => 'condition',
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = realDateNow() + timeoutMs;
  while (!(await cond())) {
    if (realDateNow() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => realSetTimeout(r, 10));
  }
}

/**
 * Runs fn and returns its result with the CPU time this process spent meanwhile (user + system, ms). A bound on
 * work done ("no quadratic blow-up") that, unlike wall time, does not grow when other processes take the CPU.
 */
export function cpuTimed<T>(fn: () => T): [T, number] {
  const before = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(before);
  return [value, (used.user + used.system) / 1000];
}

/** One real setImmediate turn: every callback and microtask already queued has run (fake timers do not move). */
export const flush = (): Promise<void> => new Promise<void>((r) => realSetImmediate(r));

/** Watches a promise: `settled()` says whether it has settled yet. */
export function track<T>(p: Promise<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  return { promise: p, settled: () => done };
}

/**
 * True when `p` settles without any clock moving: by the time pending callbacks have run once (a real
 * setImmediate turn, so no fake timer fires and no real timer is waited for). "Answers at once", without measuring.
 */
export async function settlesAtOnce(p: Promise<unknown>): Promise<boolean> {
  const t = track(p);
  await flush();
  return t.settled();
}
