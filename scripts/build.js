#!/usr/bin/env node
'use strict';
// Compile src/ to dist/ (run by `npm run build` and, through "prepare", by `npm install` / `npm ci`).
// bin/licensegraph.js runs dist/ when this build is newer than every file in src/, else the TypeScript sources,
// so a stale build is never used. With --soft (prepare), a failed build warns instead of failing the install:
// the CLI then runs from the sources; type errors are caught by `npm run typecheck` in CI.
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const soft = process.argv.includes('--soft');
const dist = path.join(root, 'dist');
const started = Date.now();
fs.rmSync(dist, { recursive: true, force: true });
let tscPath;
try {
  tscPath = require.resolve('typescript/bin/tsc');
} catch {
  tscPath = null; // e.g. `npm install --package-lock-only`: nothing is installed yet
}
const tsc = tscPath ? spawnSync(process.execPath, [tscPath, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' }) : { status: 1 };
if (tsc.status !== 0) {
  fs.rmSync(dist, { recursive: true, force: true });
  const msg = 'licensegraph: the TypeScript build failed; the CLI will run from the sources (slower start). Run `npm run typecheck`.';
  if (soft) {
    console.warn(msg);
    process.exit(0);
  }
  console.error(msg);
  process.exit(1);
}
fs.cpSync(path.join(root, 'src/store/migrations'), path.join(dist, 'store/migrations'), { recursive: true });
fs.cpSync(path.join(root, 'src/http/public'), path.join(dist, 'http/public'), { recursive: true });
fs.writeFileSync(path.join(dist, '.buildstamp'), new Date(started).toISOString() + '\n');
// The stamp's mtime is the build's start: a source edited during the build counts as newer.
fs.utimesSync(path.join(dist, '.buildstamp'), new Date(started), new Date(started));
console.log(`licensegraph: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
