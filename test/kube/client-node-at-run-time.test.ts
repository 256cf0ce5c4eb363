/**
 * The reconciler and the webhook talk to the API server through kube/ and never load @kubernetes/client-node (about
 * 70 MB of RSS, mostly generated API classes) for an ordinary kubeconfig: kube/cluster-access.ts loads it only for a
 * user that needs an exec plugin or an auth provider. This walks what each command's module loads at run time (the
 * imports that are not type-only) and fails on any other value import of client-node.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { buildImportGraph, readImports } from '../../scripts/lint/import-graph.js';
import { PRODUCT_FOLDERS } from '../../scripts/lint/import-boundaries.js';
import { listSourceFiles } from '../../scripts/lint/source-files.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Loads client-node lazily, and only for the kubeconfigs the built-in loader does not cover. */
const LAZY_LOADER = 'kube/cluster-access.ts';

const files = listSourceFiles(ROOT, PRODUCT_FOLDERS);
const runtimeEdges = buildImportGraph(ROOT, files).filter((edge) => !edge.typeOnly);

function loadedAtRunTime(entry: string): string[] {
  const seen = new Set([entry]);
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    for (const edge of runtimeEdges) {
      if (edge.from === file && !seen.has(edge.to)) {
        seen.add(edge.to);
        pending.push(edge.to);
      }
    }
  }
  return [...seen].sort();
}

function clientNodeValueImports(file: string): string[] {
  return readImports(file, readFileSync(join(ROOT, file), 'utf8'))
    .filter((written) => written.specifier.startsWith('@kubernetes/client-node') && !written.typeOnly)
    .map((written) => `${file}:${written.line}`);
}

describe('client-node at run time', () => {
  for (const entry of ['cli/run-reconciler.ts', 'cli/run-webhook.ts']) {
    it(`${entry} loads it only through ${LAZY_LOADER}`, () => {
      const loaded = loadedAtRunTime(entry);
      assert.ok(loaded.includes('kube/client.ts'), `${entry} talks through kube/ (the walk found ${loaded.length} files)`);
      const offenders = loaded.filter((file) => file !== LAZY_LOADER).flatMap(clientNodeValueImports);
      assert.deepEqual(offenders, []);
      assert.notDeepEqual(clientNodeValueImports(LAZY_LOADER), [], 'the lazy loader is what this test exempts');
    });
  }
});
