#!/usr/bin/env node
'use strict';
// Reports files in src/ over 500 lines and functions (declarations, methods, arrows, function expressions) over 100
// lines, using the TypeScript parser. Exit 1 when any is found, so CI can hold the line; --list prints the largest
// ten of each either way. Generated files (a "@generated" marker in the first lines) are skipped.
const fs = require('fs');
const path = require('path');
const ts = require('typescript');

const MAX_FILE = 500;
const MAX_FUNCTION = 100;
const root = path.resolve(__dirname, '..');

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function functionName(node, sf) {
  if (node.name) return node.name.getText(sf);
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText(sf);
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText(sf);
  return '(anonymous)';
}

const bigFiles = [];
const bigFunctions = [];
for (const file of files(path.join(root, 'src'))) {
  const text = fs.readFileSync(file, 'utf8');
  if (/@generated/.test(text.split('\n').slice(0, 5).join('\n'))) continue;
  const rel = path.relative(root, file);
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  bigFiles.push({ where: rel, lines });
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionLike(node) && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      bigFunctions.push({ where: `${rel}:${start + 1} ${functionName(node, sf)}`, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

const over = (list, max) => list.filter((x) => x.lines > max).sort((a, b) => b.lines - a.lines);
const filesOver = over(bigFiles, MAX_FILE);
const functionsOver = over(bigFunctions, MAX_FUNCTION);
const show = (title, list) => {
  console.log(`${title}: ${list.length}`);
  for (const x of list) console.log(`  ${String(x.lines).padStart(5)}  ${x.where}`);
};
show(`files in src/ over ${MAX_FILE} lines`, filesOver);
show(`functions in src/ over ${MAX_FUNCTION} lines`, functionsOver);
if (process.argv.includes('--list')) {
  show('largest files', [...bigFiles].sort((a, b) => b.lines - a.lines).slice(0, 10));
  show('largest functions', [...bigFunctions].sort((a, b) => b.lines - a.lines).slice(0, 10));
}
process.exitCode = filesOver.length + functionsOver.length > 0 ? 1 : 0;
