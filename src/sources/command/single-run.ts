/**
 * At most one run at a time per source. A caller that arrives while a run is in flight joins it (and gets its
 * result) instead of starting another process or request. Each caller may abort its own wait; the run itself is
 * aborted only when every caller waiting on it has aborted. A run whose abort is still being carried out (its
 * process being killed) is waited for before the next one starts, so runs never overlap.
 */
import { SourceError } from '../source';

/** How long the last caller to abort waits for the run to wind down (process killed) before giving up on it. */
const ABORT_WAIT_MS = 2000;

interface Flight<T> {
  promise: Promise<T>;
  controller: AbortController;
  waiters: number;
}

export class SingleRun<T> {
  private current: Flight<T> | null = null;
  private started = 0;

  /** True while a run is in flight. */
  get busy(): boolean {
    return this.current !== null;
  }

  /** Runs started so far (joins do not count). */
  get runs(): number {
    return this.started;
  }

  run(signal: AbortSignal | undefined, start: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (signal?.aborted) return Promise.reject(new SourceError('aborted before it started', 'ABORTED'));
    let flight = this.current;
    if (!flight || flight.controller.signal.aborted) {
      const controller = new AbortController();
      // a dying run (aborted, process being killed) finishes before the next one starts
      const previous = flight ? flight.promise.then(noop, noop) : null;
      const launch = () => {
        this.started++;
        return start(controller.signal);
      };
      const f: Flight<T> = {
        controller,
        waiters: 0,
        promise: (previous ? previous.then(launch) : launch()).finally(() => {
          if (this.current === f) this.current = null;
        }),
      };
      this.current = flight = f;
    }
    return this.wait(flight, signal);
  }

  private wait(flight: Flight<T>, signal: AbortSignal | undefined): Promise<T> {
    flight.waiters++;
    if (!signal) return flight.promise;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const onAbort = () => {
        flight.waiters--;
        const why = new SourceError(`aborted (${reasonText(signal.reason)})`, 'ABORTED');
        if (flight.waiters === 0) {
          // the last one waiting: stop the run, and settle only once it is over (its process gone)
          flight.controller.abort(signal.reason);
          flight.promise.then(
            () => settle(() => reject(why)),
            (e: unknown) => settle(() => reject(e instanceof SourceError ? e : why)),
          );
          // a run that ignores its abort (I/O stuck in the kernel) must not hold the caller forever
          setTimeout(() => settle(() => reject(why)), ABORT_WAIT_MS).unref?.();
        } else {
          // others still wait: the run goes on. Settle a tick later, so an aborter that rejects with its own
          // reason right after aborting (a timeout) is heard first.
          setImmediate(() => settle(() => reject(why)));
        }
      };
      const settle = (fn: () => void) => {
        if (done) return;
        done = true;
        signal.removeEventListener('abort', onAbort);
        fn();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (v) => {
          if (!signal.aborted) settle(() => resolve(v));
        },
        (e: unknown) => {
          if (!signal.aborted) settle(() => reject(e));
        },
      );
    });
  }
}

function reasonText(r: unknown): string {
  if (typeof r === 'string') return r;
  // not `instanceof Error`: a DOMException (or an error from another realm) is not always one
  if (r && typeof r === 'object' && typeof (r as { message?: unknown }).message === 'string')
    return (r as { message: string }).message;
  return 'no reason given';
}

function noop(): void {}
