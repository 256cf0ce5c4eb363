// `npm run image:assemble -- <dir>`: assembles into <dir> exactly the files of the container image's final stage
// (the Dockerfile's build stage runs this script and its final stage copies <dir> as it is: one list, here).
//   node scripts/assemble-image.mjs <dir>
// What goes in: the compiled JavaScript of the folders the `redwing` commands run (no tests, no benches, no .ts),
// bin/redwing.js with the one script it imports, the manifests cli/ reads at run time, and the production dependency
// tree of package-lock.json without tsx (the image always runs dist/: REDWING_RUN_FROM=dist). It compiles into a
// staging folder of its own, so it never touches the checkout's dist/ that running processes may use.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SOURCE_DIRS, STAMP_FILE } from './dist-freshness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The folders of shipped TypeScript (the ones dist/ freshness watches, so a new one is never forgotten) but bench/. */
export const RUNTIME_DIRS = SOURCE_DIRS.filter((dir) => dir !== 'bench');
/** Files copied as they are, relative to the repository root. */
export const VERBATIM_FILES = ['bin/redwing.js', 'scripts/dist-freshness.mjs', 'LICENSE'];
/** Production dependencies the image does without: tsx only compiles TypeScript, and the image runs dist/. */
export const EXCLUDED_DEPENDENCIES = ['tsx'];

/**
 * The lockfile paths (`node_modules/a`, `node_modules/a/node_modules/b`) of every package the production dependencies
 * need, resolved the way Node does (nearest node_modules first). Pure: reads only `lock`.
 */
export function productionPackagePaths(lock, excluded = EXCLUDED_DEPENDENCIES) {
  const packages = lock.packages ?? {};
  const needed = new Set();
  const resolveFrom = (from, name) => {
    for (let base = from; ; base = base.includes('/node_modules/') ? base.slice(0, base.lastIndexOf('/node_modules/')) : '') {
      const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
      if (packages[candidate]) return candidate;
      if (!base) return undefined;
    }
  };
  const visit = (from, dependencies, optional) => {
    for (const name of Object.keys(dependencies ?? {})) {
      if (from === '' && excluded.includes(name)) continue;
      const path = resolveFrom(from, name);
      if (!path) {
        if (optional) continue;
        throw new Error(`package-lock.json has no ${name} for ${from || 'the root'}`);
      }
      if (needed.has(path)) continue;
      needed.add(path);
      const entry = packages[path];
      visit(path, entry.dependencies, false);
      visit(path, entry.optionalDependencies, true);
      visit(path, entry.peerDependencies, true);
    }
  };
  const rootEntry = packages[''] ?? {};
  visit('', rootEntry.dependencies, false);
  visit('', rootEntry.optionalDependencies, true);
  return [...needed].sort();
}

/** The package.json of the image: what Node and `npm ls` need, without scripts or dev dependencies. Pure. */
export function imagePackageJson(manifest, excluded = EXCLUDED_DEPENDENCIES) {
  const dependencies = Object.fromEntries(Object.entries(manifest.dependencies ?? {}).filter(([name]) => !excluded.includes(name)));
  const { name, version, description, license, engines, bin } = manifest;
  return { name, version, description, type: 'module', license, engines, bin, dependencies };
}

function compile(stagingDir) {
  const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
  const tsconfig = join(stagingDir, 'tsconfig.image.json');
  writeFileSync(tsconfig, JSON.stringify({
    extends: join(root, 'tsconfig.json'),
    compilerOptions: { noEmit: false, outDir: join(stagingDir, 'out'), rootDir: root, sourceMap: false },
    include: RUNTIME_DIRS.map((dir) => join(root, dir)),
  }));
  const result = spawnSync(process.execPath, [tsc, '-p', tsconfig], { cwd: root, encoding: 'utf8' });
  if (result.error) throw new Error('could not run tsc', { cause: result.error });
  if (!existsSync(join(stagingDir, 'out', 'cli', 'main.js'))) {
    throw new Error(`tsc emitted nothing:\n${result.stdout}${result.stderr}`);
  }
  // As `npm run build`: type errors are reported (npm run typecheck enforces them), the emitted JavaScript is used.
  const errors = result.stdout.split('\n').filter((line) => / error TS\d+/.test(line));
  if (errors.length > 0) console.error(`[redwing] image: ${errors.length} type error(s), JavaScript emitted anyway`);
  return join(stagingDir, 'out');
}

function copyPackage(lockPath, target) {
  // A package's own nested node_modules may hold dev-only packages: nested ones are copied by their own lock path.
  const source = join(root, lockPath);
  cpSync(source, join(target, lockPath), {
    recursive: true,
    filter: (path) => !path.slice(source.length).includes('/node_modules'),
  });
}

export function assembleImage(target) {
  // Never a clean-out of an existing folder: a mistyped target (`.`) must not delete anything.
  if (existsSync(target) && readdirSync(target).length > 0) throw new Error(`${target} is not empty`);
  mkdirSync(target, { recursive: true });
  const staging = mkdtempSync(join(tmpdir(), 'redwing-image-build-'));
  try {
    const compiled = compile(staging);
    for (const dir of RUNTIME_DIRS) cpSync(join(compiled, dir), join(target, 'dist', dir), { recursive: true });
    // dist/ code finds ../manifests next to it, as scripts/build.mjs arranges for the checkout.
    cpSync(join(root, 'manifests'), join(target, 'manifests'), { recursive: true });
    symlinkSync(join('..', 'manifests'), join(target, 'dist', 'manifests'));
    writeFileSync(join(target, 'dist', 'package.json'), '{ "type": "module" }\n');
    for (const file of VERBATIM_FILES) {
      if (existsSync(join(root, file))) cpSync(join(root, file), join(target, file));
    }
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    writeFileSync(join(target, 'package.json'), `${JSON.stringify(imagePackageJson(manifest), null, 2)}\n`);
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
    const packages = productionPackagePaths(lock);
    for (const path of packages) {
      if (existsSync(join(root, path))) copyPackage(path, target);
      else if (!lock.packages[path].optional) throw new Error(`${path} is in package-lock.json but not installed: run npm ci`);
    }
    // Written last: bin/redwing.js then sees dist/ as fresh even without REDWING_RUN_FROM=dist.
    writeFileSync(join(target, 'dist', STAMP_FILE), `${new Date().toISOString()}\n`);
    return { packages: packages.length };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: node scripts/assemble-image.mjs <dir>');
    process.exit(2);
  }
  const startedMs = Date.now();
  const { packages } = assembleImage(resolve(target));
  console.error(`[redwing] image folder ${resolve(target)}: dist/, manifests/, ${packages} packages in ${((Date.now() - startedMs) / 1000).toFixed(1)} s`);
}
