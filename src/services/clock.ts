/**
 * Timers for services that schedule work (the poller, live polling for subscribers). The system's by default;
 * tests inject a controllable clock (test/helpers/clock.ts) and move it forward instead of sleeping.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** setTimeout/clearTimeout, unref'd so a pending timer never keeps the process alive. */
export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
