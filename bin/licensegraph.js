#!/usr/bin/env node
'use strict';
// Runs the TypeScript sources directly (transpile only: type checking is `npm run typecheck`), so
// `npx licensegraph` works right after `npm install` with no build step.
const path = require('path');
process.env.TS_NODE_PROJECT = path.join(__dirname, '..', 'tsconfig.json');
require('ts-node').register({ transpileOnly: true, project: process.env.TS_NODE_PROJECT });
require('../src/cli/index.ts').runCli(process.argv);
