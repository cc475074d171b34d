/** Worker-thread entry of the ingest parser (see parse-worker.ts): one request at a time, answered by id. */
import { parentPort } from 'worker_threads';
import { checkIngest } from './checked';
import type { ParseRequest } from './parse-worker';

parentPort?.on('message', (m: ParseRequest) => {
  try {
    const result = checkIngest(
      m.text,
      m.format,
      { serverId: m.serverId, now: new Date(m.nowMs), timeZone: m.timeZone },
      m.limits,
    );
    parentPort!.postMessage({ id: m.id, result });
  } catch (e) {
    parentPort!.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) });
  }
});
