/**
 * Security issue, point 4: the data directory was world-writable (968 of 1,050 PGlite files mode 0666). Now the
 * directory and its subdirectories are 0700 and files 0600 after a start, after a close, and after the modes of
 * an existing directory (an older install) are repaired at start, which is logged.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStore, type StoreLogger } from '../../src/store';
import { looseModes } from '../helpers/cli-process';

jest.setTimeout(120_000);

describe('PGlite data directory modes', () => {
  let base: string;
  beforeAll(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-sec-modes-'));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  it('a new directory is 0700 with 0600 files, while open and after close; loose modes are repaired and logged', async () => {
    const dir = path.join(base, 'data');
    const store = await openStore({ dataDir: dir });
    await store.users.create({ username: 'bob', role: 'VIEWER' });
    expect(looseModes(dir)).toEqual([]);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    await store.close();
    expect(looseModes(dir)).toEqual([]);

    // An older install: everything group/world accessible, as PGlite used to leave it.
    const loosen = (p: string) => {
      const st = fs.statSync(p);
      fs.chmodSync(p, st.isDirectory() ? 0o777 : 0o666);
      if (st.isDirectory()) for (const n of fs.readdirSync(p)) loosen(path.join(p, n));
    };
    loosen(dir);
    expect(looseModes(dir).length).toBeGreaterThan(900);

    const warnings: string[] = [];
    const logger: StoreLogger = { info() {}, warn: (m) => warnings.push(m), error() {} };
    const again = await openStore({ dataDir: dir, logger });
    expect(looseModes(dir)).toEqual([]);
    expect(warnings.find((w) => w.includes('tightened the modes of'))).toMatch(
      new RegExp(
        `tightened the modes of \\d{3,} entries \\(\\., .*\\) in ${dir.replace(/[/.]/g, '\\$&')} to 0700/0600`,
      ),
    );
    expect((await again.users.list()).map((u) => u.username)).toContain('bob');
    await again.close();
    expect(looseModes(dir)).toEqual([]);
  });
});
