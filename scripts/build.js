#!/usr/bin/env node
'use strict';
// Compile src/ to dist/: `npm run build`, and through "prepare" on `npm install` / `npm ci`. A type error fails the
// build (and so the install): the CLI runs dist/ only, so nothing stale or type-broken is ever started.
//   --if-stale   build only when a file in src/ is newer than the last build (used by `npm start` and `npm test`)
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { buildIsFresh } = require('./build-state');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

if (process.argv.includes('--if-stale') && buildIsFresh(root)) process.exit(0);

let tscPath;
try {
  tscPath = require.resolve('typescript/bin/tsc');
} catch {
  console.error('licensegraph: cannot build: TypeScript is not installed (it is a devDependency: run `npm install`).');
  process.exit(1);
}
const started = Date.now();
fs.rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(process.execPath, [tscPath, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (tsc.status !== 0) {
  fs.rmSync(dist, { recursive: true, force: true });
  console.error(
    'licensegraph: the TypeScript build failed (errors above); dist/ was removed, so nothing stale can run.',
  );
  process.exit(1);
}
fs.cpSync(path.join(root, 'src/store/migrations'), path.join(dist, 'store/migrations'), { recursive: true });
fs.cpSync(path.join(root, 'src/http/public'), path.join(dist, 'http/public'), { recursive: true });
const stamp = path.join(dist, '.buildstamp');
fs.writeFileSync(stamp, new Date(started).toISOString() + '\n');
// The stamp's mtime is the build's start: a source edited during the build counts as newer.
fs.utimesSync(stamp, new Date(started), new Date(started));
console.log(`licensegraph: built dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
