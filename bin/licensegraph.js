#!/usr/bin/env node
'use strict';
// Runs the compiled build (dist/) only: never TypeScript sources, never a build older than them. `npm install` and
// `npm start` build it; after editing src/, run `npm run build` (a type error fails the build).
const path = require('path');

const root = path.join(__dirname, '..');
let state = 'fresh';
try {
  state = require('../scripts/build-state').buildState(root);
} catch {
  // an installed package ships dist/ without scripts/: nothing to compare with
}
if (state === 'missing') {
  console.error('licensegraph: no build in dist/. Run `npm run build` (npm install runs it too).');
  process.exit(1);
}
if (state === 'stale') {
  console.error('licensegraph: dist/ is older than src/ (sources edited since the last build). Run `npm run build`.');
  process.exit(1);
}
require('../dist/cli/index.js').runCli(process.argv);
