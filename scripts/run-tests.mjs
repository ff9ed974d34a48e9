#!/usr/bin/env node
// Runs the built tests (dist/test/**/*.test.js) with Node's runner, one file at a time, on the Node that runs
// this script. Files are listed explicitly because `node --test DIR` means "this directory" on Node 20 but
// "this glob" on Node 22 and later (where a bare directory matches no test file).
// Usage: node scripts/run-tests.mjs [path-prefix ...]   e.g. dist/test/conformance dist/test/http/writer.test.js
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const base = join(root, 'dist/test');

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(relative(root, p));
  }
  return out;
}

const prefixes = process.argv.slice(2).map((p) => p.replace(/^\.\//, '').replace(/\/$/, ''));
// tsc never deletes an output: a test whose source was removed or renamed would still run from dist/.
const source = (f) => join(root, f.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
const built = walk(base);
const stale = built.filter((f) => !existsSync(source(f)));
if (stale.length !== 0) console.error(`skipping ${stale.length} compiled test(s) whose source is gone (rm -rf dist to clean): ${stale.join(', ')}`);
const files = built.filter((f) => !stale.includes(f) && (prefixes.length === 0 || prefixes.some((p) => f === p || f.startsWith(`${p}/`))));
if (files.length === 0) {
  console.error(`no test files under dist/test match ${prefixes.join(' ') || '(all)'}: run npm run build first`);
  process.exit(1);
}
const run = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...files], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
