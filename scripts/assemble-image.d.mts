// Types of scripts/assemble-image.mjs (plain JavaScript so that the image's build stage needs no tsx).
export interface LockfileEntry {
  dev?: boolean;
  optional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
export interface Lockfile {
  packages: Record<string, LockfileEntry>;
}
export const RUNTIME_DIRS: string[];
export const VERBATIM_FILES: string[];
export const EXCLUDED_DEPENDENCIES: string[];
export function productionPackagePaths(lock: Lockfile, excluded?: readonly string[]): string[];
export function imagePackageJson(manifest: Record<string, unknown>, excluded?: readonly string[]): Record<string, unknown>;
export function assembleImage(target: string): { packages: number };
