/**
 * bin/redwing.js runs dist/ while it is fresh, so a source folder the freshness check does not watch would let an
 * edit there run stale compiled code (policy/ was missed when it left webhook/).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** Folders of TypeScript that the product never runs from dist/. */
const NOT_SHIPPED = new Set(['test', 'harness', 'scripts', 'node_modules', 'dist']);

interface DistFreshness {
  SOURCE_DIRS: readonly string[];
  STAMP_FILE: string;
  isDistFresh(root: string): boolean;
}

async function loadDistFreshness(): Promise<DistFreshness> {
  // A plain .mjs without type declarations: imported by URL and narrowed here.
  const loaded: unknown = await import(pathToFileURL(join(root, 'scripts', 'dist-freshness.mjs')).href);
  const module = loaded as Partial<DistFreshness>;
  assert.ok(Array.isArray(module.SOURCE_DIRS) && typeof module.STAMP_FILE === 'string' && typeof module.isDistFresh === 'function');
  return module as DistFreshness;
}

function holdsTypeScript(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((entry) =>
    entry.isDirectory() ? holdsTypeScript(join(dir, entry.name)) : entry.name.endsWith('.ts'));
}

describe('dist freshness', () => {
  it('watches every top-level folder of shipped TypeScript', async () => {
    const { SOURCE_DIRS } = await loadDistFreshness();
    const shipped = readdirSync(root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !NOT_SHIPPED.has(entry.name))
      .map((entry) => entry.name)
      .filter((name) => holdsTypeScript(join(root, name)));
    assert.ok(shipped.includes('policy'), 'the scan finds policy/');
    assert.deepEqual(shipped.filter((name) => !SOURCE_DIRS.includes(name)), []);
  });

  it('calls dist stale once a policy/ source is newer than the build stamp', async () => {
    const { isDistFresh, STAMP_FILE } = await loadDistFreshness();
    const fakeRoot = mkdtempSync(join(tmpdir(), 'redwing-dist-freshness-'));
    try {
      mkdirSync(join(fakeRoot, 'dist'));
      mkdirSync(join(fakeRoot, 'policy'));
      const stamp = join(fakeRoot, 'dist', STAMP_FILE);
      const source = join(fakeRoot, 'policy', 'engine.ts');
      writeFileSync(stamp, 'built\n');
      writeFileSync(source, 'export {};\n');
      const builtAt = new Date('2026-01-01T00:00:00Z');
      utimesSync(source, builtAt, new Date(builtAt.getTime() - 60_000));
      utimesSync(stamp, builtAt, builtAt);
      assert.equal(isDistFresh(fakeRoot), true);
      utimesSync(source, builtAt, new Date(builtAt.getTime() + 60_000));
      assert.equal(isDistFresh(fakeRoot), false);
    } finally {
      rmSync(fakeRoot, { recursive: true, force: true });
    }
  });
});
