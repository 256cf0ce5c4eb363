// Maps a container image (plus its command/args) to a program on this host. The sandbox has no container runtime:
// a "redis" image means "run redis-server from the host", much as a real runtime would run the image's entrypoint.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { isOperatorImage, operatorArgv, operatorFilesystem, type OperatorFilesystem } from './operator-image.js';

export type ImageFamily = 'redis' | 'valkey' | 'dragonfly' | 'redis-exporter' | 'redwing-operator' | 'other';

export type ResolvedEntrypoint =
  /** `filesystem`: the image's own files, mounted for the container (the operator image only). */
  | { runnable: true; family: ImageFamily; argv: string[]; filesystem?: OperatorFilesystem }
  | { runnable: false; reason: 'ImageNotRunnable'; message: string };

export function imageFamily(image: string): ImageFamily {
  const repo = image.split('@')[0]!.replace(/:[^/]*$/, '').toLowerCase();
  const last = repo.split('/').pop() ?? repo;
  if (isOperatorImage(image)) return 'redwing-operator';
  // Before the redis rule: `oliver006/redis_exporter` contains "/redis" but runs the metrics exporter, not a server.
  if (last === 'redis_exporter') return 'redis-exporter';
  if (last === 'dragonfly' || repo.includes('dragonflydb')) return 'dragonfly';
  if (last === 'valkey' || repo.includes('valkey/')) return 'valkey';
  if (last === 'redis' || last.startsWith('redis-') || repo.includes('/redis')) return 'redis';
  return 'other';
}

/** Finds `name` on a PATH string; absolute names are checked as they are. */
export function findOnPath(name: string, pathValue: string): string | undefined {
  const candidates = name.includes('/') ? [name] : pathValue.split(':').filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** The name the exporter shim is installed under (the image's entrypoint), and the Debian program it wraps. */
export const EXPORTER_PROGRAM = 'redis_exporter';
export const EXPORTER_HOST_PROGRAM = 'prometheus-redis-exporter';

const DEFAULT_SERVER: Record<Exclude<ImageFamily, 'other' | 'redwing-operator'>, string> = {
  redis: 'redis-server',
  valkey: 'valkey-server',
  dragonfly: 'dragonfly',
  // The image's entrypoint is /redis_exporter; the shim of that name runs the host's prometheus-redis-exporter.
  'redis-exporter': EXPORTER_PROGRAM,
};

/** The environment variable naming the Dragonfly binary the sandbox runs for dragonfly images (none ships here). */
export const DRAGONFLY_BIN_ENV = 'REDWING_DRAGONFLY_BIN';

/** How to get each family's program onto this host, for the pod's waiting message. */
const INSTALL_HINT: Record<Exclude<ImageFamily, 'other' | 'redwing-operator'>, string> = {
  redis: 'apt-get install redis-server, or scripts/ensure-deps.mjs as root',
  valkey: 'apt-get install -t bookworm-backports valkey-server, or scripts/ensure-deps.mjs as root',
  dragonfly: `set ${DRAGONFLY_BIN_ENV} to the path of a dragonfly binary`,
  'redis-exporter': `apt-get install ${EXPORTER_HOST_PROGRAM}, or scripts/ensure-deps.mjs as root`,
};

/**
 * Why the image's own program cannot run here, or undefined. An engine image runs only its own server: a valkey image
 * never falls back to redis-server. A dragonfly binary counts only through the kubelet's shim (installed when
 * DRAGONFLY_BIN_ENV is set), which bounds its threads; the shim directory is the first entry of the container PATH.
 */
function missingServerMessage(image: string, family: ImageFamily, program: string, pathValue: string): string | undefined {
  const isServer = family !== 'other' && family !== 'redwing-operator' && program === DEFAULT_SERVER[family];
  const searchPath = family === 'dragonfly' && isServer ? pathValue.split(':')[0] ?? '' : pathValue;
  if (findOnPath(program, searchPath)) return undefined;
  if (family === 'other' || family === 'redwing-operator' || !isServer) return `image "${image}": program "${program}" is not installed on this host`;
  const server = DEFAULT_SERVER[family];
  const what = family === 'redis-exporter' ? EXPORTER_HOST_PROGRAM : server;
  return `image "${image}" needs "${what}", which is not installed on this host (${INSTALL_HINT[family]})`;
}

/**
 * The argv a container runs, following the images' own entrypoints: the redis/valkey entrypoint prefixes the server
 * when the first argument is an option or a `.conf` file; dragonfly's always runs `dragonfly` with the args.
 * `pathValue` is the container PATH (the kubelet's shim directory first, then the host's PATH).
 */
export function resolveEntrypoint(
  image: string,
  command: string[] | undefined,
  args: string[] | undefined,
  pathValue: string,
): ResolvedEntrypoint {
  const family = imageFamily(image);
  if (family === 'redwing-operator') {
    const argv = operatorArgv(command, args);
    const missing = missingServerMessage(image, family, argv[0]!, pathValue);
    if (missing) return { runnable: false, reason: 'ImageNotRunnable', message: missing };
    return { runnable: true, family, argv, filesystem: operatorFilesystem() };
  }
  let argv: string[];
  if (command && command.length > 0) {
    argv = [...command, ...(args ?? [])];
  } else if (family === 'other') {
    if (args && args.length > 0) {
      argv = [...args];
    } else {
      return {
        runnable: false,
        reason: 'ImageNotRunnable',
        message: `image "${image}" has no local equivalent in the sandbox and the container sets no command`,
      };
    }
  } else {
    const server = DEFAULT_SERVER[family];
    const rest = args ?? [];
    const first = rest[0];
    // dragonfly's and redis_exporter's entrypoints always run their program with the args.
    if (family === 'dragonfly' || family === 'redis-exporter' || first === undefined || first.startsWith('-') || first.endsWith('.conf')) {
      argv = [server, ...rest];
    } else {
      argv = [...rest];
    }
  }
  // The image's entrypoint by its absolute name runs the shim too.
  if (family === 'redis-exporter' && argv[0] === `/${EXPORTER_PROGRAM}`) argv = [EXPORTER_PROGRAM, ...argv.slice(1)];
  const program = argv[0]!;
  const missing = missingServerMessage(image, family, program, pathValue);
  if (missing) return { runnable: false, reason: 'ImageNotRunnable', message: missing };
  return { runnable: true, family, argv };
}
