// Loaded with `node --import` before the CLI: at exit, writes every loaded package file (CommonJS cache and ES
// module resolutions) to the file named by HEARTH_MODULE_PROBE, so a test can tell what a command loaded.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const out = process.env.HEARTH_MODULE_PROBE;
if (out) {
  register('./module-probe-hooks.mjs', import.meta.url, { data: { out } });
  process.on('exit', () => {
    const cache = createRequire(import.meta.url).cache;
    appendFileSync(out, Object.keys(cache).join('\n') + '\n');
  });
}
