// `npm run build`: compiles the TypeScript to dist/ (gitignored), which `bin/redwing.js` then runs with plain Node
// instead of tsx (tsx costs about 100 MB of RSS in a long-running process and slows every start).
//   node scripts/build.mjs [--if-stale]
// Type errors are reported but do not stop the build: tsc still emits, `npm test` is where types are enforced, and
// `npm start` must not fail because another part of the tree is mid-edit. A failed emit does stop it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDistFresh, STAMP_FILE } from './dist-freshness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

if (process.argv.includes('--if-stale') && isDistFresh(root)) process.exit(0);

// The package's exports map hides bin/, so locate it from package.json.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
rmSync(dist, { recursive: true, force: true });
const startedMs = Date.now();
const result = spawnSync(process.execPath, [tsc, '-p', root, '--noEmit', 'false', '--outDir', dist, '--sourceMap', 'true'], { cwd: root, encoding: 'utf8' });
if (result.error) throw new Error('could not run tsc', { cause: result.error });
if (!existsSync(join(dist, 'cli', 'main.js'))) {
  process.stderr.write(result.stdout + result.stderr);
  console.error('[redwing] build failed: tsc emitted nothing');
  process.exit(1);
}
if (result.status !== 0) {
  const errors = result.stdout.split('\n').filter((line) => / error TS\d+/.test(line));
  console.error(`[redwing] build: ${errors.length} type error(s), JavaScript emitted anyway (npm run typecheck lists them)`);
}
// Code that finds files next to its source (cli/local-install.ts reads ../manifests/…) finds them from dist too.
for (const dir of ['manifests']) {
  if (existsSync(join(root, dir))) symlinkSync(join('..', dir), join(dist, dir));
}
mkdirSync(dist, { recursive: true });
writeFileSync(join(dist, 'package.json'), '{ "type": "module" }\n');
writeFileSync(join(dist, STAMP_FILE), `${new Date().toISOString()}\n`);
console.error(`[redwing] built dist/ in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
