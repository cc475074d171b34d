/**
 * Security issue, point 10 (lows): hung lmutil processes survived a kill -9 of the server and piled up. Now each
 * server records the process groups it has running in the data directory, and the next start kills those of a
 * process that is gone. Real processes: the CLI, a stand-in lmutil that hangs, kill -9.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runCli, type CliProcess } from '../helpers/cli-process';

jest.setTimeout(180_000);

/** Live (non-zombie) processes whose command line mentions `marker`. */
function processesWith(marker: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (cmd.includes(marker) && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

const alive = (pid: number) => processesWith('').includes(pid);

describe('lmutil processes left hung by a server killed with SIGKILL', () => {
  let dir: string;
  const procs: CliProcess[] = [];
  let script: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-sec-stale-'));
    script = path.join(dir, 'lmutil-stuck');
    fs.writeFileSync(script, '#!/bin/sh\necho "lmutil - Copyright (c) 1989-2019 Flexera."\nsleep 600 &\nwait\n', {
      mode: 0o755,
    });
    fs.writeFileSync(
      path.join(dir, 'config.yaml'),
      `servers:\n  - id: eda\n    type: flexlm\n    address: 27000@localhost\n    binary: ${script}\n    timeoutSeconds: 600\n    pollIntervalSeconds: 1\n`,
    );
  });
  afterAll(() => {
    for (const p of procs) p.kill();
    for (const pid of processesWith(script)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('are killed at the next start', async () => {
    const env = {
      PORT: '0',
      LICENSEGRAPH_DATA_DIR: path.join(dir, 'data'),
      LICENSEGRAPH_CONFIG: path.join(dir, 'config.yaml'),
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
    };
    const first = runCli(['serve'], env);
    procs.push(first);
    // The poller starts lmutil, which hangs (with a child).
    let stuck: number[] = [];
    expect(await first.waitFor(() => (stuck = processesWith(script)).length >= 1, 90_000)).toBe(true);
    first.child.kill('SIGKILL');
    expect(await first.waitExit(10_000)).not.toBeNull();
    // The reproduction: after kill -9 they are still there.
    stuck = processesWith(script);
    expect(stuck.length).toBeGreaterThanOrEqual(1);

    const second = runCli(['serve'], env);
    procs.push(second);
    expect(await second.waitFor(() => second.stdout().includes('"msg":"licensegraph listening"'), 90_000)).toBe(true);
    // Killed before the new server listened (bounded wait: the kernel may take a moment to report them gone).
    let left = stuck;
    for (const deadline = Date.now() + 5000; left.length > 0 && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 20));
      left = stuck.filter(alive);
    }
    expect(left).toEqual([]);
    expect(second.stdout()).toContain(
      'killed license-server utilities left running by a previous licensegraph process',
    );
    // (A graceful stop would wait for the hung poll up to its 600 s timeout; this one's leftovers go in afterAll.)
    second.kill();
    await second.waitExit(10_000);
  });
});
