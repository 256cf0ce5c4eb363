import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parseSync, type StaticExport, type StaticImport } from 'oxc-parser';

/** One import of one source file by another, both as root-relative paths. */
export interface ImportEdge {
  from: string;
  to: string;
  specifier: string;
  line: number;
  /** Erased at run time (`import type`, `export type ... from`): it ties the types, not the module loading. */
  typeOnly: boolean;
}

/** An import as written, before it is resolved to a file. */
export interface WrittenImport {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

/** The edges between `files`; imports of packages and of files outside the list are left out. */
export function buildImportGraph(rootDir: string, files: readonly string[]): ImportEdge[] {
  const known = new Set(files);
  return files.flatMap((from) => {
    const source = readFileSync(join(rootDir, from), 'utf8');
    return readImports(from, source).flatMap((written) => {
      const to = resolveRelativeImport(from, written.specifier, (candidate) => known.has(candidate) || existsSync(join(rootDir, candidate)));
      return to !== undefined && known.has(to) ? [{ from, to, ...written }] : [];
    });
  });
}

/** The static imports, re-exports and literal dynamic imports of one file. */
export function readImports(fileName: string, source: string): WrittenImport[] {
  const parsed = parseSync(fileName, source);
  if (parsed.errors.length > 0) {
    throw new Error(`${fileName}: cannot parse: ${parsed.errors.map((error) => error.message).join('; ')}`);
  }
  const lineAt = lineLocator(source);
  const statics = parsed.module.staticImports.map((statement) => ({
    specifier: statement.moduleRequest.value,
    line: lineAt(statement.start),
    typeOnly: isTypeOnlyImport(statement),
  }));
  const reExports = parsed.module.staticExports.flatMap((statement) => reExportOf(statement, lineAt));
  const dynamics = parsed.module.dynamicImports.flatMap((expression) => {
    const literal = /^(['"`])([^'"`$]+)\1$/.exec(source.slice(expression.moduleRequest.start, expression.moduleRequest.end));
    return literal?.[2] === undefined ? [] : [{ specifier: literal[2], line: lineAt(expression.start), typeOnly: false }];
  });
  return [...statics, ...reExports, ...dynamics];
}

// `import './x.js'` has no entries and runs the module, so only a non-empty all-type list is type-only.
function isTypeOnlyImport(statement: StaticImport): boolean {
  return statement.entries.length > 0 && statement.entries.every((entry) => entry.isType);
}

function reExportOf(statement: StaticExport, lineAt: (offset: number) => number): WrittenImport[] {
  const specifier = statement.entries.find((entry) => entry.moduleRequest !== null)?.moduleRequest?.value;
  if (specifier === undefined) return [];
  return [{ specifier, line: lineAt(statement.start), typeOnly: statement.entries.every((entry) => entry.isType) }];
}

/**
 * The root-relative file a relative specifier names, as NodeNext resolution with tsx finds it: `./x.js` is `./x.ts`
 * when that exists. Package specifiers resolve to undefined.
 */
export function resolveRelativeImport(from: string, specifier: string, exists: (path: string) => boolean): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  const candidates = [target.replace(/\.(m?)js$/, '.$1ts'), target, `${target}.ts`, `${target}/index.ts`];
  return candidates.find(exists);
}

function lineLocator(source: string): (offset: number) => number {
  const lineStarts = [0];
  for (let index = source.indexOf('\n'); index !== -1; index = source.indexOf('\n', index + 1)) lineStarts.push(index + 1);
  return (offset) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  };
}
