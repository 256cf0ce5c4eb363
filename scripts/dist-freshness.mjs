// Whether dist/ (the compiled JavaScript of `npm run build`) matches the TypeScript sources. Plain JavaScript: the
// `redwing` executable asks before it has loaded tsx, and a fresh clone runs it before anything is built.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const SOURCE_DIRS = ['shared', 'policy', 'kube', 'webhook', 'certs', 'reconciler', 'sandbox', 'cli', 'console', 'bench'];
export const STAMP_FILE = '.build-stamp';

function newestMtimeMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtimeMs(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** The stamp is written after a complete build; a source edited since (or a missing stamp) makes dist stale. */
export function isDistFresh(root) {
  const stamp = join(root, 'dist', STAMP_FILE);
  if (!existsSync(stamp)) return false;
  const builtAtMs = statSync(stamp).mtimeMs;
  for (const dir of SOURCE_DIRS) {
    const path = join(root, dir);
    if (existsSync(path) && newestMtimeMs(path) > builtAtMs) return false;
  }
  for (const file of ['package.json', 'tsconfig.json']) {
    if (existsSync(join(root, file)) && statSync(join(root, file)).mtimeMs > builtAtMs) return false;
  }
  return true;
}
