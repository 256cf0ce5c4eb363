import type { ImportEdge } from './import-graph.js';

/** A rule over the top-level folders: what `from` may not import, or, with `onlyFrom`, all that it may import. */
export interface BoundaryRule {
  name: string;
  why: string;
  from: readonly string[];
  mayNotImport?: readonly string[];
  /** The only other folders (of PRODUCT_FOLDERS, test/ and bench/) it may import; packages are always allowed. */
  mayImportOnly?: readonly string[];
  /** Files of other folders it may import all the same, each with its reason in `why`. */
  exceptFiles?: readonly string[];
  /**
   * Files that still break the rule, a debt named in docs/decisions.md: listed so that the rule holds for every other
   * file now. Remove a file from the list when it is fixed; a listed file that no longer breaks the rule is reported.
   */
  notYetFixed?: readonly string[];
}

export interface BoundaryViolation {
  edge: ImportEdge;
  rule: BoundaryRule;
}

/** The folders that ship; bench/, harness/, test/ and scripts/ do not. */
export const PRODUCT_FOLDERS = ['shared', 'policy', 'kube', 'certs', 'webhook', 'reconciler', 'sandbox', 'cli', 'console'] as const;
const PRODUCT_EXCEPT_CLI = PRODUCT_FOLDERS.filter((folder) => folder !== 'cli');

/** Every folder the rules place; TypeScript in any other top-level folder is reported until it is placed here. */
export const KNOWN_FOLDERS: readonly string[] = [...PRODUCT_FOLDERS, 'bench', 'harness', 'test', 'scripts'];

export const BOUNDARY_RULES: readonly BoundaryRule[] = [
  {
    name: 'webhook-reconciler-apart',
    why: 'the two processes share code through shared/, policy/ and kube/, never through each other',
    from: ['webhook'],
    mayNotImport: ['reconciler'],
  },
  {
    name: 'webhook-reconciler-apart',
    why: 'the two processes share code through shared/, policy/ and kube/, never through each other',
    from: ['reconciler'],
    mayNotImport: ['webhook'],
  },
  {
    name: 'only-cli-imports-sandbox',
    why: 'the sandbox is a development cluster; the product runs without it',
    from: PRODUCT_EXCEPT_CLI.filter((folder) => folder !== 'sandbox'),
    mayNotImport: ['sandbox'],
  },
  {
    name: 'shared-imports-nothing',
    why: 'shared/ is the types and pure data every other folder builds on',
    from: ['shared'],
    mayImportOnly: [],
  },
  {
    name: 'policy-over-shared',
    why: 'the engine is pure and both processes evaluate KVPolicies with it; reading them (I/O) is each process\'s own',
    from: ['policy'],
    mayImportOnly: ['shared'],
  },
  {
    name: 'kube-over-shared',
    why: 'the Kubernetes I/O layer sits under every role and knows none of them',
    from: ['kube'],
    mayImportOnly: ['shared'],
  },
  {
    name: 'console-over-shared-and-kube',
    why: 'the console acts as its user through the one client layer; it must not run operator code (webhook/, ' +
      'reconciler/) or the development cluster',
    from: ['console'],
    mayImportOnly: ['shared', 'kube'],
  },
  {
    name: 'sandbox-over-shared-and-kube',
    why: 'the sandbox emulates a cluster; it must not run on the code it is there to test (certs/authority.ts, ' +
      'pure node-forge CA and certificate generation, is the one exception: the sandbox needs a CA as a cluster has one)',
    from: ['sandbox'],
    mayImportOnly: ['shared', 'kube'],
    exceptFiles: ['certs/authority.ts'],
  },
  {
    name: 'product-never-imports-tests',
    why: 'what ships must not need test/, bench/ or harness/',
    from: PRODUCT_FOLDERS,
    mayNotImport: ['test', 'bench', 'harness'],
  },
  {
    name: 'harness-never-imports-tests',
    why: 'harness/ is what tests and benchmarks both drive, so it leans on neither',
    from: ['harness'],
    mayNotImport: ['test', 'bench'],
  },
  {
    name: 'bench-never-imports-tests',
    why: 'a benchmark measures the product; what it shares with the tests lives in harness/',
    from: ['bench'],
    mayNotImport: ['test'],
  },
];

/** The top-level folder of a root-relative path (`reconciler/apply/x.ts` -> `reconciler`). */
export function topFolder(path: string): string {
  return path.split('/', 1)[0]!;
}

export function findBoundaryViolations(edges: readonly ImportEdge[], rules: readonly BoundaryRule[] = BOUNDARY_RULES): BoundaryViolation[] {
  return edges.flatMap((edge) => {
    const from = topFolder(edge.from);
    const to = topFolder(edge.to);
    if (from === to) return [];
    return rules
      .filter((rule) => rule.from.includes(from) && breaks(rule, to) && !rule.exceptFiles?.includes(edge.to))
      .map((rule) => ({ edge, rule }));
  });
}

/** Splits the violations into the ones to report and the files of `notYetFixed` lists (among `files`) that broke nothing. */
export function applyNotYetFixed(violations: readonly BoundaryViolation[], files: readonly string[], rules: readonly BoundaryRule[] = BOUNDARY_RULES): {
  violations: BoundaryViolation[];
  fixedButListed: Array<{ rule: BoundaryRule; file: string }>;
} {
  const listed = (violation: BoundaryViolation): boolean => violation.rule.notYetFixed?.includes(violation.edge.from) ?? false;
  const fixedButListed = rules.flatMap((rule) => (rule.notYetFixed ?? [])
    .filter((file) => files.includes(file) && !violations.some((violation) => violation.rule === rule && violation.edge.from === file))
    .map((file) => ({ rule, file })));
  return { violations: violations.filter((violation) => !listed(violation)), fixedButListed };
}

function breaks(rule: BoundaryRule, to: string): boolean {
  if (rule.mayNotImport?.includes(to)) return true;
  return rule.mayImportOnly !== undefined && !rule.mayImportOnly.includes(to);
}
