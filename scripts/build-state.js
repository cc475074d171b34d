'use strict';
// Whether dist/ holds a build at least as new as every file in src/ (shared by bin/licensegraph.js and the build).
const fs = require('fs');
const path = require('path');

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** 'missing' (no build), 'stale' (src/ edited since the build) or 'fresh'. A package without src/ is always fresh. */
function buildState(root) {
  const dist = path.join(root, 'dist');
  let stamp;
  try {
    stamp = fs.statSync(path.join(dist, '.buildstamp')).mtimeMs;
  } catch {
    return 'missing';
  }
  if (!fs.existsSync(path.join(dist, 'cli', 'index.js'))) return 'missing';
  const src = path.join(root, 'src');
  return fs.existsSync(src) && newestMtime(src) > stamp ? 'stale' : 'fresh';
}

module.exports = { buildState, buildIsFresh: (root) => buildState(root) === 'fresh' };
