import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

const repoRoot = join(import.meta.dirname, '../../..');
const oxlint = join(repoRoot, 'node_modules/.bin/oxlint');

interface OxlintDiagnostic {
  code: string;
  filename: string;
}

// oxlint reads the globs of .oxlintrc.json's overrides relative to the file, so the tree is laid out around a copy.
function lintTree(files: Record<string, string>): OxlintDiagnostic[] {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-oxlint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  copyFileSync(join(repoRoot, '.oxlintrc.json'), join(dir, '.oxlintrc.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const result = spawnSync(oxlint, ['-c', '.oxlintrc.json', '-f', 'json', ...Object.keys(files)], { cwd: dir, encoding: 'utf8' });
  assert.ok(result.status === 0 || result.status === 1, `oxlint exited ${result.status}: ${result.stderr}`);
  const parsed: unknown = JSON.parse(result.stdout);
  assert.ok(parsed !== null && typeof parsed === 'object' && 'diagnostics' in parsed && Array.isArray(parsed.diagnostics));
  return parsed.diagnostics.map((diagnostic: { code: string; filename: string }) => ({ code: diagnostic.code, filename: diagnostic.filename }));
}

const loose = (): string => readFileSync(join(import.meta.dirname, 'fixtures/loose/loose.ts'), 'utf8');
const lines = (count: number): string => Array.from({ length: count }, (_, index) => `export const value${index} = ${index};\n`).join('');

describe('.oxlintrc.json', () => {
  it('rejects an explicit any and too many parameters, naming the file and the rule', () => {
    const found = lintTree({ 'reconciler/loose.ts': loose() });
    assert.deepEqual(found.map((diagnostic) => `${diagnostic.filename} ${diagnostic.code}`).sort(), [
      'reconciler/loose.ts eslint(max-params)',
      'reconciler/loose.ts typescript(no-explicit-any)',
    ]);
  });

  it('holds product files, not tests, to 350 lines', () => {
    const found = lintTree({ 'webhook/long.ts': lines(351), 'webhook/short.ts': lines(350), 'test/webhook/long.test.ts': lines(400) });
    assert.deepEqual(found.map((diagnostic) => `${diagnostic.filename} ${diagnostic.code}`), ['webhook/long.ts eslint(max-lines)']);
  });
});
