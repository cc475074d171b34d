/**
 * Security issue, point 3: a damaged data directory used to be silently wiped. Without PG_VERSION the next start
 * created a new cluster over the old files (every user, token and session gone, a new admin token printed);
 * corrupt files gave only "Aborted(). Build with -sASSERTIONS". Now start-up refuses, names the directory and
 * the file, says how to restore it, exits non-zero, and leaves the files as they were.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openStore, DataDirError } from '../../src/store';
import { runCli } from '../helpers/cli-process';

jest.setTimeout(180_000);

function listTree(dir: string): string[] {
  const out: string[] = [];
  const visit = (p: string, rel: string) => {
    for (const n of fs.readdirSync(p).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      out.push(r);
      if (fs.lstatSync(path.join(p, n)).isDirectory()) visit(path.join(p, n), r);
    }
  };
  visit(dir, '');
  return out;
}

describe('a damaged PGlite data directory', () => {
  let base: string;
  let template: string;

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-sec-damaged-'));
    template = path.join(base, 'template');
    const store = await openStore({ dataDir: template });
    await store.users.create({ username: 'alice', role: 'VIEWER' });
    await store.close();
  });

  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const copy = (name: string) => {
    const dir = path.join(base, name);
    fs.cpSync(template, dir, { recursive: true });
    return dir;
  };

  it('without PG_VERSION: openStore refuses, naming the file and what to do, and creates nothing', async () => {
    const dir = copy('no-pg-version');
    fs.rmSync(path.join(dir, 'PG_VERSION'));
    const before = listTree(dir);
    const err = await openStore({ dataDir: dir }).then(
      (s) => s.close().then(() => null),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataDirError);
    const message = (err as Error).message;
    expect(message).toContain(path.join(dir, 'PG_VERSION'));
    expect(message).toContain('will not create a new database over existing files');
    expect(message).toContain('from a backup');
    expect(message).toContain(`mv ${dir} ${dir}.damaged`);
    expect(listTree(dir)).toEqual(before);
  });

  it('with corrupt files: openStore says which directory is damaged and how to restore it', async () => {
    const dir = copy('corrupt');
    const garbage = Buffer.alloc(65536, 0x5a);
    for (const f of [
      'base/5/1259',
      ...fs
        .readdirSync(path.join(dir, 'pg_wal'))
        .filter((n) => /^[0-9A-F]{24}$/.test(n))
        .map((n) => `pg_wal/${n}`),
    ]) {
      const fd = fs.openSync(path.join(dir, f), 'r+');
      fs.writeSync(fd, garbage, 0, garbage.length, 0);
      fs.closeSync(fd);
    }
    const err = await openStore({ dataDir: dir }).then(
      (s) => s.close().then(() => null),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataDirError);
    const message = (err as Error).message;
    expect(message).toContain(`the data directory ${dir} is damaged`);
    expect(message).toContain('from a backup');
    expect(message).toContain(`mv ${dir} ${dir}.damaged`);
    expect(fs.existsSync(path.join(dir, 'licensegraph.lock'))).toBe(false);
  });

  it('licensegraph serve exits non-zero with that message, without printing a new admin token', async () => {
    const dir = copy('cli');
    fs.rmSync(path.join(dir, 'PG_VERSION'));
    const p = runCli(['serve'], { PORT: '0', LICENSEGRAPH_DATA_DIR: dir, LOG_LEVEL: 'warn', DATABASE_URL: '' });
    const exit = await p.waitExit(90_000);
    expect(exit).not.toBeNull();
    expect(exit!.code).toBe(1);
    expect(p.stderr()).toContain(`licensegraph: the data directory ${dir} is not empty`);
    expect(p.stderr()).toContain(path.join(dir, 'PG_VERSION'));
    expect(p.stderr()).not.toContain('first start');
    expect(fs.existsSync(path.join(dir, 'PG_VERSION'))).toBe(false);
  });
});
