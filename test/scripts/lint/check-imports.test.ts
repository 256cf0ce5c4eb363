import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkImports, formatImportReport } from '../../../scripts/lint/check-imports.js';

const fixtures = join(import.meta.dirname, 'fixtures');

function runCli(rootDir: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/lint/check-imports.ts', rootDir], { encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

describe('scripts/lint/check-imports', () => {
  it('names the file, the import and the rule of each forbidden import, and each cycle as a chain of files', () => {
    const lines = formatImportReport(checkImports(join(fixtures, 'tangled')));
    assert.deepEqual(lines.map((line) => line.replace(/: rule ([\w-]+).*$/, ': rule $1')), [
      "bench/run.ts:2: imports '../test/helpers/wait.js' (test/helpers/wait.ts): rule bench-never-imports-tests",
      "sandbox/cluster.ts:2: imports '../reconciler/plan.js' (reconciler/plan.ts): rule sandbox-over-shared-and-kube",
      "webhook/admit.ts:2: imports '../reconciler/plan.js' (reconciler/plan.ts): rule webhook-reconciler-apart",
      'extras/: holds TypeScript that no boundary rule places: rule known-folders',
      'import cycle: reconciler/plan.ts -> reconciler/status.ts -> reconciler/plan.ts: rule no-import-cycle',
    ]);
  });

  it('passes a tree that keeps every boundary, with the sandbox using certs/authority.ts', () => {
    const report = checkImports(join(fixtures, 'clean'));
    assert.equal(report.files, 9);
    assert.deepEqual(formatImportReport(report), []);
  });

  it('as a command, exits 1 on a tangled tree and 0 on a clean one', () => {
    const tangled = runCli(join(fixtures, 'tangled'));
    assert.equal(tangled.status, 1);
    assert.match(tangled.stderr, /^webhook\/admit\.ts:2: imports '\.\.\/reconciler\/plan\.js'.*rule webhook-reconciler-apart/m);
    assert.equal(runCli(join(fixtures, 'clean')).status, 0);
  });

  it('reads every TypeScript file of this repository (the findings themselves are for `npm run lint`)', () => {
    const report = checkImports(join(import.meta.dirname, '../../..'));
    assert.ok(report.files > 300, `read ${report.files} files`);
  });
});
