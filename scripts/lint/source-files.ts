import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The top-level folders of `rootDir` the linter reads: all but dot-folders, dependencies and build output. */
export function listTopLevelFolders(rootDir: string): string[] {
  return readdirSync(rootDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/**
 * The TypeScript files under `folders` of `rootDir`, as root-relative paths with forward slashes (the form every
 * report prints). `fixtures/` folders are passed over, as the test runner passes them over: the linter's own fixture
 * trees hold a forbidden import and a cycle on purpose.
 */
export function listSourceFiles(rootDir: string, folders: readonly string[]): string[] {
  return folders.flatMap((folder) => walk(rootDir, folder)).sort();
}

function walk(rootDir: string, relativeDir: string): string[] {
  let entries;
  try {
    entries = readdirSync(join(rootDir, relativeDir), { withFileTypes: true });
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
    throw new Error(`cannot list ${relativeDir}`, { cause: error });
  }
  return entries.flatMap((entry) => {
    const path = `${relativeDir}/${entry.name}`;
    if (entry.isDirectory()) return SKIPPED_FOLDERS.has(entry.name) || entry.name.startsWith('.') ? [] : walk(rootDir, path);
    return entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const SKIPPED_FOLDERS = new Set(['node_modules', 'fixtures', 'dist']);
