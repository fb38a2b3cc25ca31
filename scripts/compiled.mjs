// Whether dist/ (scripts/build-server.mjs) may run instead of src/: it was built after the last change to any file
// or folder in src/. A few ms of stat calls on each start; an edit in development makes the next run use tsx.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function compiledIsCurrent(root, env = process.env) {
  if (env.HEARTH_FROM_SOURCE === '1') return false;
  let built;
  try {
    built = statSync(join(root, 'dist/.build')).mtimeMs;
  } catch {
    return false;
  }
  const src = join(root, 'src');
  if (statSync(src).mtimeMs > built) return false;
  for (const entry of readdirSync(src, { recursive: true, withFileTypes: true })) {
    if (statSync(join(entry.parentPath, entry.name)).mtimeMs > built) return false;
  }
  return true;
}
