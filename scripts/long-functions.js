#!/usr/bin/env node
/**
 * Functions longer than a limit (default 80 lines) under src/ (or the folder given), longest first:
 * `node scripts/long-functions.js [limit] [folder]`. A function that stays long says why in a comment starting
 * "long:" just above it; tables are long by nature and need none (`…Routes` in src/server/routes: one short
 * handler per route; `declare…` in src/commands: one commander declaration per command). Exit 1 when one is
 * found without a reason (test/lint/long-functions.test.ts runs it, so `npm test` fails then).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const limit = Number(process.argv[2] ?? 80);
const root = new URL('..', import.meta.url).pathname;
const folder = process.argv[3] ? resolve(process.argv[3]) : join(root, 'src');

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

function nameOf(node) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

const found = [];
for (const file of files(folder)) {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > limit) {
        const above = text.split('\n').slice(Math.max(0, start - 6), start).join('\n');
        const where = relative(dirname(folder), file);
        const name = nameOf(node);
        const table = (/^src\/server\/routes\//.test(where) && /Routes$/.test(name)) || (/^src\/commands\//.test(where) && /^declare/.test(name));
        found.push({ where: `${where}:${start + 1}`, name, lines, reason: table ? 'a table' : /\blong:/.test(above) ? 'given' : '' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
}
found.sort((a, b) => b.lines - a.lines);
for (const f of found) console.log(`${String(f.lines).padStart(4)}  ${f.name.padEnd(28)} ${f.where}${f.reason ? `  (reason: ${f.reason})` : ''}`);
process.exitCode = found.some((f) => !f.reason) ? 1 : 0;
