#!/usr/bin/env node
// Compiles src/ to JavaScript in dist/ (part of `npm install`'s prepare step): the server and the CLI then start
// without compiling ~130 modules on every run. Types are checked by `npm run typecheck` and the suite, not here,
// so an install never fails on a type error. dist/.build records the source it was built from:
// bin/hearth.mjs runs dist/ only while no file in src/ is newer than that, and a test
// fails under CI when dist/ does not match src/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceDigest } from './source-digest.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const tsc = join(root, 'node_modules/typescript/bin/tsc');

rmSync(dist, { recursive: true, force: true });
if (!existsSync(tsc)) {
  // An install without the development dependencies (--omit=dev): bin/hearth.mjs then runs the sources through tsx.
  console.log('build: typescript is not installed; Hearth will run from src/ through tsx');
  process.exit(0);
}
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--noCheck'], {
  stdio: 'inherit',
  cwd: root,
});
// What tsc does not emit: plain JavaScript modules loaded by URL (the password hashing worker).
for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.mjs')) continue;
  const from = join(entry.parentPath, entry.name);
  const to = join(dist, from.slice(src.length + 1));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
writeFileSync(
  join(dist, '.build'),
  `${JSON.stringify({ source: sourceDigest(src), built_at: new Date().toISOString() })}\n`,
);
console.log(`build: src/ compiled to dist/`);
