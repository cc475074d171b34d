/**
 * The repository stands alone and speaks of the product: no file of the product, its tests, docs or CI refers to a
 * directory outside the repository, and none calls the formats it implements by anything but their product names
 * (Foretify Manager LicenseSummary, Kong-style deployment report, Instabase-style usage API).
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', 'data', '.git', 'coverage', 'test-artifacts', '.bench-data']);
const TEXT = /\.(ts|js|mjs|cjs|json|md|graphql|yml|yaml|sh|html|css|txt|tsv)$|^run$|^[a-z-]+$/;

function walk(rel: string, out: string[] = []): string[] {
  const abs = path.join(ROOT, rel);
  if (!fs.existsSync(abs)) return out;
  if (fs.statSync(abs).isFile()) return [...out, rel];
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    if (SKIP_DIRS.has(e.name)) continue;
    const child = path.join(rel, e.name);
    if (e.isDirectory()) walk(child, out);
    else if (TEXT.test(e.name) && !child.startsWith(path.join('test', 'fixtures'))) out.push(child);
  }
  return out;
}

function matches(
  files: string[],
  re: RegExp,
  allowed: (file: string, line: string) => boolean = () => false,
): string[] {
  const found: string[] = [];
  for (const f of files) {
    fs.readFileSync(path.join(ROOT, f), 'utf8')
      .split('\n')
      .forEach((line, i) => {
        if (re.test(line) && !allowed(f, line)) found.push(`${f}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
  }
  return found;
}

const PRODUCT = [
  'src',
  'test',
  'docs',
  'scripts',
  'bin',
  'bench',
  '.ci',
  'README.md',
  'CONTRIBUTING.md',
  'schema.graphql',
  'package.json',
  'codegen.yml',
];

describe('the repository stands alone', () => {
  const files = PRODUCT.flatMap((p) => walk(p));

  test('it reads real files (the walk found the sources, the tests and the CI script)', () => {
    expect(files).toEqual(
      expect.arrayContaining([path.join('src', 'server.ts'), path.join('.ci', 'run'), 'README.md']),
    );
    expect(files.length).toBeGreaterThan(100);
  });

  test('nothing refers to a directory beside the repository', () => {
    expect(matches(files, /\.\.\/shared|\/shared\//)).toEqual([]);
  });

  test('formats are named by product, never by where they came from', () => {
    const allowed = (f: string, line: string) =>
      f === path.join('test', 'helpers', 'fuzz.ts') && /^\s*return \{ numRuns, \w+: start \};$/.test(line);
    const scope = files.filter((f) => /^(src|test|docs)\//.test(f) || f === 'README.md' || f === 'schema.graphql');
    expect(matches(scope, /\bseeds?\b/i, allowed)).toEqual([]);
  });
});
