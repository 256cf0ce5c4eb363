import type { ImportEdge } from './import-graph.js';

/** One cycle: the files in import order, the first repeated at the end, and how many files its tangle holds. */
export interface ImportCycle {
  chain: string[];
  tangledFiles: number;
}

/**
 * One shortest cycle per strongly connected group of files (Tarjan). A group can hold several cycles; the one shown
 * is a place to cut, and the next shows once it is cut. Type-only edges count too: erased before the modules load,
 * they cannot misorder an initialisation, but two files that name each other's types still cannot be read apart.
 */
export function findImportCycles(edges: readonly ImportEdge[]): ImportCycle[] {
  const successors = new Map<string, string[]>();
  for (const edge of edges) {
    const list = successors.get(edge.from) ?? [];
    if (!list.includes(edge.to)) list.push(edge.to);
    successors.set(edge.from, list);
  }
  return stronglyConnectedGroups(successors)
    .filter((group) => group.length > 1 || (successors.get(group[0]!) ?? []).includes(group[0]!))
    .map((group) => ({ chain: shortestCycleWithin(group, successors), tangledFiles: group.length }))
    .sort((a, b) => a.chain[0]!.localeCompare(b.chain[0]!));
}

function stronglyConnectedGroups(successors: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    lowLink.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of successors.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(node, Math.min(lowLink.get(node)!, lowLink.get(next)!));
      } else if (onStack.has(next)) {
        lowLink.set(node, Math.min(lowLink.get(node)!, index.get(next)!));
      }
    }
    if (lowLink.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    groups.push(group.sort());
  };
  for (const node of [...successors.keys()].sort()) if (!index.has(node)) visit(node);
  return groups;
}

// Breadth-first from each member back to itself, inside the group; the shortest loop is the easiest to read.
function shortestCycleWithin(group: readonly string[], successors: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(group);
  let best: string[] | undefined;
  for (const start of group) {
    const cameFrom = new Map<string, string>();
    const queue = [start];
    for (let head = 0; head < queue.length && !cameFrom.has(start); head++) {
      const node = queue[head]!;
      for (const next of successors.get(node) ?? []) {
        if (!members.has(next) || cameFrom.has(next)) continue;
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
    const chain = [start];
    for (let node = cameFrom.get(start); node !== undefined && node !== start; node = cameFrom.get(node)) chain.unshift(node);
    chain.unshift(start);
    if (best === undefined || chain.length < best.length) best = chain;
  }
  return best ?? [...group];
}
