import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readImports, resolveRelativeImport } from '../../../scripts/lint/import-graph.js';

describe('scripts/lint/import-graph', () => {
  it('reads static imports, re-exports and literal dynamic imports with their lines and whether they are type-only', () => {
    const source = [
      "import type { A } from './a.js';",
      "import { type B, c } from './b.js';",
      "import './side-effect.js';",
      "export * from './all.js';",
      "export type { D } from './d.js';",
      'const e = await import("./e.js");',
      'const dynamic = await import(`./${e}.js`);',
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    assert.deepEqual(readImports('x.ts', source), [
      { specifier: './a.js', line: 1, typeOnly: true },
      { specifier: './b.js', line: 2, typeOnly: false },
      { specifier: './side-effect.js', line: 3, typeOnly: false },
      { specifier: 'node:fs', line: 8, typeOnly: false },
      { specifier: './all.js', line: 4, typeOnly: false },
      { specifier: './d.js', line: 5, typeOnly: true },
      { specifier: './e.js', line: 6, typeOnly: false },
    ]);
  });

  it('throws with the file name when a file does not parse', () => {
    assert.throws(() => readImports('broken.ts', 'import {'), /broken\.ts: cannot parse/);
  });

  it('resolves a relative .js specifier to the .ts file, a folder to its index.ts, and no package', () => {
    const files = new Set(['webhook/policy/engine.ts', 'reconciler/apply/index.ts', 'shared/crds.json']);
    const exists = (path: string): boolean => files.has(path);
    assert.equal(resolveRelativeImport('webhook/main.ts', './policy/engine.js', exists), 'webhook/policy/engine.ts');
    assert.equal(resolveRelativeImport('reconciler/controller/main.ts', '../apply/index.js', exists), 'reconciler/apply/index.ts');
    assert.equal(resolveRelativeImport('reconciler/controller/main.ts', '../apply', exists), 'reconciler/apply/index.ts');
    assert.equal(resolveRelativeImport('shared/x.ts', './crds.json', exists), 'shared/crds.json');
    assert.equal(resolveRelativeImport('webhook/main.ts', 'express', exists), undefined);
    assert.equal(resolveRelativeImport('webhook/main.ts', './missing.js', exists), undefined);
  });
});
