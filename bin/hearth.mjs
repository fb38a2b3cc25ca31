#!/usr/bin/env node
// Runs the JavaScript that `npm install` compiled into dist/ (scripts/build-server.mjs), which starts at once; or
// the TypeScript sources through tsx when there is no build or something in src/ changed after it (development:
// an edit takes effect on the next run without a build). HEARTH_FROM_SOURCE=1 always runs the sources.
import { fileURLToPath } from 'node:url';
import { compiledIsCurrent } from '../scripts/compiled.mjs';

let main;
if (compiledIsCurrent(fileURLToPath(new URL('..', import.meta.url)))) {
  ({ main } = await import('../dist/cli/main.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
