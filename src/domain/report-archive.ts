/**
 * The deployment report as a TAR archive holding report.json (built with node-tar), and reading one back.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tar from 'tar';

export const REPORT_ENTRY = 'report.json';

export async function reportTar(json: string, mtime: Date): Promise<Buffer> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'lg-report-'));
  try {
    const file = path.join(dir, REPORT_ENTRY);
    await fs.promises.writeFile(file, json, { mode: 0o644 });
    await fs.promises.utimes(file, mtime, mtime);
    const chunks: Buffer[] = [];
    const stream = tar.create({ cwd: dir, portable: true, noDirRecurse: true }, [REPORT_ENTRY]);
    for await (const chunk of stream as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** report.json from a TAR file (null when the archive has no such entry). */
export async function readReportFromTar(file: string): Promise<string | null> {
  let text: string | null = null;
  const pending: Array<Promise<void>> = [];
  await tar.t({
    file,
    onReadEntry(entry) {
      if (entry.path.replace(/^\.\//, '') !== REPORT_ENTRY) {
        entry.resume();
        return;
      }
      const parts: Buffer[] = [];
      pending.push(
        new Promise<void>((resolve, reject) => {
          entry.on('data', (c: Buffer) => parts.push(c));
          entry.on('end', () => {
            text = Buffer.concat(parts).toString('utf8');
            resolve();
          });
          entry.on('error', reject);
        }),
      );
    },
  });
  await Promise.all(pending);
  return text;
}
