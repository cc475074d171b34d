'use strict';
// Jest globalSetup: tests that spawn the CLI (bin/licensegraph.js) run dist/, so build it first when src/ is newer.
// A type error fails the run here, with the compiler's messages.
const { spawnSync } = require('child_process');
const path = require('path');

module.exports = async () => {
  const r = spawnSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'build.js'), '--if-stale'], {
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('the TypeScript build failed: see the errors above (npm run build)');
};
