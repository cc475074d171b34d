#!/usr/bin/env node
'use strict';
// Runs the compiled build (dist/) when it is newer than every source file, else the TypeScript sources through
// ts-node (transpile only), so `npx licensegraph` works right after `npm install` and never runs stale code.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');

function newestMtime(dir) {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function buildIsFresh() {
  if (process.env.LICENSEGRAPH_FROM_SOURCE === '1') return false;
  try {
    const stamp = fs.statSync(path.join(root, 'dist', '.buildstamp')).mtimeMs;
    return fs.existsSync(path.join(root, 'dist', 'cli', 'index.js')) && (!fs.existsSync(path.join(root, 'src')) || newestMtime(path.join(root, 'src')) <= stamp);
  } catch {
    return false;
  }
}

if (buildIsFresh()) {
  require('../dist/cli/index.js').runCli(process.argv);
} else {
  process.env.TS_NODE_PROJECT = path.join(root, 'tsconfig.json');
  require('ts-node').register({ transpileOnly: true, project: process.env.TS_NODE_PROJECT });
  require('../src/cli/index.ts').runCli(process.argv);
}
