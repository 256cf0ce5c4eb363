import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findImportCycles } from '../../../scripts/lint/import-cycles.js';
import type { ImportEdge } from '../../../scripts/lint/import-graph.js';

function edges(...pairs: Array<[string, string, boolean?]>): ImportEdge[] {
  return pairs.map(([from, to, typeOnly]) => ({ from, to, specifier: `./${to}`, line: 1, typeOnly: typeOnly ?? false }));
}

describe('scripts/lint/import-cycles', () => {
  it('finds nothing in a graph without a way back', () => {
    assert.deepEqual(findImportCycles(edges(['a.ts', 'b.ts'], ['b.ts', 'c.ts'], ['a.ts', 'c.ts'])), []);
  });

  it('shows the shortest loop of a tangle and how many files the tangle holds', () => {
    const found = findImportCycles(edges(['a.ts', 'b.ts'], ['b.ts', 'c.ts'], ['c.ts', 'a.ts'], ['c.ts', 'b.ts'], ['d.ts', 'a.ts']));
    assert.deepEqual(found, [{ chain: ['b.ts', 'c.ts', 'b.ts'], tangledFiles: 3 }]);
  });

  it('counts a type-only way back, and a file that imports itself', () => {
    assert.deepEqual(findImportCycles(edges(['a.ts', 'b.ts'], ['b.ts', 'a.ts', true], ['s.ts', 's.ts'])), [
      { chain: ['a.ts', 'b.ts', 'a.ts'], tangledFiles: 2 },
      { chain: ['s.ts', 's.ts'], tangledFiles: 1 },
    ]);
  });

  it('reports each separate tangle once', () => {
    const found = findImportCycles(edges(['a.ts', 'b.ts'], ['b.ts', 'a.ts'], ['x.ts', 'y.ts'], ['y.ts', 'x.ts'], ['b.ts', 'x.ts']));
    assert.deepEqual(found.map((cycle) => cycle.chain), [['a.ts', 'b.ts', 'a.ts'], ['x.ts', 'y.ts', 'x.ts']]);
  });
});
