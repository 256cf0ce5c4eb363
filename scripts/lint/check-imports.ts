// The import rules of the tree (docs/CONTRIBUTING.md "Lint"): folder boundaries and no cycles. oxlint checks the
// rules within a file (.oxlintrc.json); this checks the ones between files, which need the whole graph.
// Usage: tsx scripts/lint/check-imports.ts [rootDir]  (exit 1 and one line per finding when any rule is broken)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  applyNotYetFixed, BOUNDARY_RULES, findBoundaryViolations, KNOWN_FOLDERS, topFolder, type BoundaryRule, type BoundaryViolation,
} from './import-boundaries.js';
import { findImportCycles, type ImportCycle } from './import-cycles.js';
import { buildImportGraph } from './import-graph.js';
import { listSourceFiles, listTopLevelFolders } from './source-files.js';

export interface ImportReport {
  files: number;
  violations: BoundaryViolation[];
  /** Files a rule lists as not yet fixed that no longer break it: the list must shrink with them. */
  fixedButListed: Array<{ rule: BoundaryRule; file: string }>;
  /** Top-level folders with TypeScript that no rule places (a new folder must be placed before it is unchecked). */
  unknownFolders: string[];
  cycles: ImportCycle[];
}

export function checkImports(rootDir: string, rules: readonly BoundaryRule[] = BOUNDARY_RULES): ImportReport {
  const files = listSourceFiles(rootDir, listTopLevelFolders(rootDir));
  const edges = buildImportGraph(rootDir, files);
  const { violations, fixedButListed } = applyNotYetFixed(findBoundaryViolations(edges, rules), files, rules);
  const unknownFolders = [...new Set(files.map(topFolder))].filter((folder) => !KNOWN_FOLDERS.includes(folder));
  return { files: files.length, violations, fixedButListed, unknownFolders, cycles: findImportCycles(edges) };
}

export function formatImportReport(report: ImportReport): string[] {
  return [
    ...report.violations.map(({ edge, rule }) =>
      `${edge.from}:${edge.line}: imports '${edge.specifier}' (${edge.to}): rule ${rule.name}: ${rule.why}`),
    ...report.fixedButListed.map(({ rule, file }) =>
      `${file}: keeps rule ${rule.name} now: remove it from that rule's notYetFixed list (scripts/lint/import-boundaries.ts)`),
    ...report.unknownFolders.map((folder) =>
      `${folder}/: holds TypeScript that no boundary rule places: rule known-folders: add it to KNOWN_FOLDERS and the rules (scripts/lint/import-boundaries.ts)`),
    ...report.cycles.map((cycle) =>
      `import cycle: ${cycle.chain.join(' -> ')}${cycle.tangledFiles > cycle.chain.length - 1 ? ` (${cycle.tangledFiles} files tangled)` : ''}: rule no-import-cycle`),
  ];
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const report = checkImports(resolve(process.argv[2] ?? '.'));
  const findings = formatImportReport(report);
  for (const line of findings) console.error(line);
  console.log(`imports: ${report.files} files, ${report.violations.length} boundary violations, ${report.cycles.length} cycles`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}
