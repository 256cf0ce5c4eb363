/**
 * Checks of the files and directories a command was given, before it starts, so a bad path is one clear line naming
 * the flag instead of a stack trace from deep inside, or a hang: `mkdir -p /proc/x` never returns on Linux (Node's
 * recursive mkdir loops on /proc), and a read of a FIFO blocks. Every file system call here is asynchronous and
 * bounded by a deadline; directories are created one level at a time, so a level that cannot exist says so.
 */
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { configuredKubeconfigPath } from './cluster-choice.js';
import type { FlagValues } from './flags.js';
import { errorMessage } from '../shared/error-message.js';

export interface PathCheck {
  /** How the user named it: `--kubeconfig`, `KUBECONFIG`, `--policy`. */
  source: string;
  path: string;
  kind: 'file' | 'directory';
}

/** Thrown for bad input: main.ts prints the message alone, as one line. */
export class StartupError extends Error {}

/** Default of `--startup-timeout`, in seconds; also the bound of the path checks of commands without the flag. */
export const DEFAULT_STARTUP_TIMEOUT_SECONDS = 60;

export function startupTimeoutMs(flags: FlagValues): number {
  const seconds = flags['startup-timeout'];
  return (typeof seconds === 'number' ? seconds : DEFAULT_STARTUP_TIMEOUT_SECONDS) * 1000;
}

/**
 * Rejects with a StartupError once `ms` have passed (the operation itself may stay stuck: the caller exits).
 * `ms` 0 means no deadline.
 */
export function withDeadline<T>(operation: Promise<T>, ms: number, what: string): Promise<T> {
  if (ms <= 0) return operation;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StartupError(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  return Promise.race([operation, deadline]).finally(() => clearTimeout(timer));
}

/** How the user named the kubeconfig: the flag, or KUBECONFIG which stands in for it. */
function kubeconfigSource(flags: FlagValues): string {
  return typeof flags.kubeconfig === 'string' && flags.kubeconfig !== '' ? '--kubeconfig' : 'KUBECONFIG';
}

/**
 * Loads the kubeconfig with `load`; a file that is not a valid kubeconfig becomes one line naming the flag (the
 * parsers' own messages quote YAML but not the file or where it came from).
 */
export async function loadNamedKubeconfig<T>(flags: FlagValues, load: (path: string | undefined) => T | Promise<T>): Promise<T> {
  const path = configuredKubeconfigPath(flags.kubeconfig);
  try {
    return await load(path);
  } catch (error: unknown) {
    if (path === undefined) throw error;
    const message = error instanceof Error ? error.message.replace(/\s*\n\s*/g, ' ') : String(error);
    throw new StartupError(`${kubeconfigSource(flags)} ${path}: not a usable kubeconfig: ${message}`, { cause: error });
  }
}

/** The paths a command will read or create, from its flags (and KUBECONFIG, which stands in for --kubeconfig). */
export function pathChecksFor(command: string, flags: FlagValues, env: NodeJS.ProcessEnv = process.env): PathCheck[] {
  const checks: PathCheck[] = [];
  const kubeconfig = configuredKubeconfigPath(flags.kubeconfig, env);
  if (kubeconfig) {
    const source = kubeconfigSource(flags);
    // KUBECONFIG may list several files; the first one that is set is the one read.
    const path = source === 'KUBECONFIG' ? kubeconfig.split(':').find((entry) => entry !== '') : kubeconfig;
    if (path) checks.push({ source, path, kind: 'file' });
  }
  if (command === 'webhook') {
    for (const file of (flags.policy as string[] | undefined) ?? []) checks.push({ source: '--policy', path: file, kind: 'file' });
    if (typeof flags['cert-dir'] === 'string') checks.push({ source: '--cert-dir', path: flags['cert-dir'], kind: 'directory' });
  }
  return checks;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const known: Record<string, string> = {
    ENOENT: 'does not exist', EACCES: 'permission denied', EPERM: 'operation not permitted', ENOTDIR: 'a parent is not a directory',
    EROFS: 'read-only file system', ELOOP: 'too many symbolic links', ENAMETOOLONG: 'name too long',
  };
  return (code && known[code]) ?? errorMessage(error);
}

async function checkFile(check: PathCheck, ms: number): Promise<void> {
  const path = resolve(check.path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await withDeadline(stat(path), ms, `${check.source} ${check.path}: reading`);
  } catch (error: unknown) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(`${check.source} ${check.path}: ${reason(error)}`, { cause: error });
  }
  if (!info.isFile()) throw new StartupError(`${check.source} ${check.path}: is not a regular file`);
  try {
    await withDeadline(access(path, constants.R_OK), ms, `${check.source} ${check.path}: reading`);
  } catch (error: unknown) {
    if (error instanceof StartupError) throw error;
    throw new StartupError(`${check.source} ${check.path}: cannot be read: ${reason(error)}`, { cause: error });
  }
}

/** Creates `path` one missing level at a time (never `mkdir -p`, which hangs on /proc). */
async function checkDirectory(check: PathCheck, ms: number): Promise<void> {
  const path = resolve(check.path);
  const missing: string[] = [];
  let current = path;
  for (;;) {
    try {
      const info = await withDeadline(stat(current), ms, `${check.source} ${check.path}: reading ${current}`);
      if (!info.isDirectory()) throw new StartupError(`${check.source} ${check.path}: ${current} is not a directory`);
      break;
    } catch (error: unknown) {
      if (error instanceof StartupError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(current) === current) {
        throw new StartupError(`${check.source} ${check.path}: ${reason(error)}`, { cause: error });
      }
      missing.unshift(current);
      current = dirname(current);
    }
  }
  for (const level of missing) {
    try {
      await withDeadline(mkdir(level), ms, `${check.source} ${check.path}: creating ${level}`);
    } catch (error: unknown) {
      if (error instanceof StartupError) throw error;
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new StartupError(`${check.source} ${check.path}: cannot create ${level}: ${reason(error)}`, { cause: error });
    }
  }
}

/** Runs the checks in order; the first problem is thrown as a StartupError naming the flag. */
export async function checkStartupPaths(checks: readonly PathCheck[], timeoutMs: number): Promise<void> {
  for (const check of checks) {
    if (check.kind === 'file') await checkFile(check, timeoutMs);
    else await checkDirectory(check, timeoutMs);
  }
}
