// One container = one local process group. As root, each container starts in its own mount namespace
// (`unshare -m`) where the pod's volumes are bind-mounted at their container paths, so `/data` and `/etc/redis` are
// real. Without root, mount paths in the argv (and in config files named on the command line) are rewritten to the
// host directories instead.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { findOnPath } from './images.js';
import { planShadows, withShadows, type Mount } from './mount-shadow.js';

export interface LaunchSpec {
  argv: string[];
  env: Record<string, string>;
  /** Working directory as the container sees it (e.g. `/data`); undefined means the container's private directory. */
  workingDir?: string;
  /** The container's private host directory (logs, rewritten configs, default working directory). */
  containerDir: string;
  mounts: Mount[];
  mountNamespace: boolean;
  /** File name (in containerDir) for this instance's stdout and stderr; default `0.log`. */
  logFileName?: string;
  /** The host directory of the kubelet's wrappers, first on the env's PATH. */
  shimDir?: string;
}

export interface ExitInfo {
  exitCode: number;
  signal?: string;
  finishedAt: Date;
}

export interface ContainerProcess {
  pid: number;
  startedAt: Date;
  exitInfo?: ExitInfo;
  exited: Promise<ExitInfo>;
  /**
   * Resolves once the container's own program runs: in a mount namespace, after its volumes are mounted (the
   * mount script has exec'd it). Probes wait for it, as a kubelet probes only containers the runtime has started;
   * before, an exec probe sees the host's paths ("cannot open /etc/redis/probe.sh"). Resolves on exit too.
   */
  running: Promise<void>;
  /** Signals the whole process group (the container's "cgroup"). */
  signal(signal: NodeJS.Signals): void;
}

export interface ExecResult {
  exitCode: number;
  output: string;
  timedOut: boolean;
}

const liveGroups = new Set<number>();
let exitHookInstalled = false;
let watchdog: ChildProcess | undefined;

// A watchdog outlives a SIGKILLed sandbox for exactly one purpose: when its stdin closes (the sandbox process is
// gone, however it died) it kills every container process group still registered. `--pdeathsig` alone only reaches
// a container's first process, not what that process started.
const WATCHDOG_SCRIPT = `
groups=" "
while IFS= read -r line; do
  case "$line" in
    +*) groups="$groups\${line#+} " ;;
    -*) groups=$(printf '%s' "$groups" | sed "s/ \${line#-} / /") ;;
  esac
done
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
`;

function tellWatchdog(line: string): void {
  try {
    if (!watchdog) {
      watchdog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      watchdog.on('error', () => { watchdog = undefined; });
      watchdog.stdin!.on('error', () => undefined);
      watchdog.unref();
      (watchdog.stdin as unknown as { unref?: () => void }).unref?.();
    }
    watchdog.stdin!.write(`${line}\n`);
  } catch {
    // best effort: stop() and the exit hook still kill everything in the normal cases
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when the sandbox's own process goes away without stop(): no container may outlive it.
  process.on('exit', () => killAllContainers());
}

export function killAllContainers(): void {
  for (const pgid of liveGroups) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  }
  liveGroups.clear();
}

let mountNamespacesWork: boolean | undefined;

/** Root on Linux, with unshare/setpriv/nsenter/chroot present and a trial `unshare -m` that works (not in every container). */
export function canUseMountNamespaces(): boolean {
  if (mountNamespacesWork === undefined) {
    const path = process.env.PATH ?? '/usr/bin:/bin';
    mountNamespacesWork = process.platform === 'linux' && process.getuid?.() === 0
      && ['unshare', 'setpriv', 'nsenter', 'chroot'].every((tool) => !!findOnPath(tool, path))
      && spawnSync('unshare', ['-m', '--propagation', 'private', 'true'], { stdio: 'ignore', timeout: 5000 }).status === 0;
  }
  return mountNamespacesWork;
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Replaces container mount paths with their host directories (the fallback without mount namespaces). */
export function rewriteMountPaths(text: string, mounts: Mount[]): string {
  // One pass, longest path first: a host path put in by one mount must never be rewritten again by another
  // (a sandbox dir under /tmp with a volume mounted at /tmp).
  const byPath = new Map<string, string>();
  for (const mount of mounts) {
    const from = mount.containerPath.replace(/\/+$/, '');
    if (from && !byPath.has(from)) byPath.set(from, mount.hostPath);
  }
  if (byPath.size === 0) return text;
  const alternatives = [...byPath.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|');
  const pattern = new RegExp(`(^|[^A-Za-z0-9_.\\-/])(${alternatives})(?=$|/|[^A-Za-z0-9_.\\-])`, 'g');
  return text.replace(pattern, (_m, lead: string, path: string) => `${lead}${byPath.get(path)}`);
}

function rewriteConfigFiles(argv: string[], mounts: Mount[], containerDir: string): string[] {
  return argv.map((arg) => {
    if (!mounts.some((m) => arg.startsWith(m.hostPath + '/'))) return arg;
    try {
      const info = statSync(arg);
      if (!info.isFile() || info.size > 1024 * 1024) return arg;
      const text = readFileSync(arg, 'utf8');
      const rewritten = rewriteMountPaths(text, mounts);
      if (rewritten === text) return arg;
      const dir = join(containerDir, 'rewritten');
      mkdirSync(dir, { recursive: true });
      const copy = join(dir, basename(arg));
      writeFileSync(copy, rewritten);
      return copy;
    } catch {
      return arg;
    }
  });
}

/** The deepest directory containing every path (`/` when they share nothing else). */
function commonAncestor(paths: string[]): string {
  if (paths.length === 0) return '/';
  let parts = paths[0]!.split('/').filter(Boolean);
  for (const path of paths.slice(1)) {
    const other = path.split('/').filter(Boolean);
    let i = 0;
    while (i < parts.length && i < other.length && parts[i] === other[i]) i++;
    parts = parts.slice(0, i);
  }
  return `/${parts.join('/')}`;
}

function mountScript(mounts: Mount[], workingDir: string | undefined, containerDir: string): string {
  const lines: string[] = [];
  // A volume mounted at, say, /tmp would hide every later source that lives under /tmp (the sandbox dir often
  // does). The shell first moves into the sources' common directory and names them relative to it: a working
  // directory keeps pointing into the original tree even after a mount covers its path.
  const base = commonAncestor(mounts.map((m) => m.hostPath));
  const relative = (path: string) => (base === '/' ? path : `./${path.slice(base.length + 1)}`);
  if (base !== '/') lines.push(`cd ${shellQuote(base)} || exit 97`);
  for (const mount of [...mounts].sort((a, b) => a.containerPath.length - b.containerPath.length)) {
    const src = shellQuote(mount.hostPath === base ? '.' : relative(mount.hostPath));
    const dst = shellQuote(mount.containerPath);
    // A file volume (subPath to a file) needs a file mount point; everything else a directory. Outside other
    // volumes these already exist here (see mount-shadow.ts); inside one, they are made in its sandbox directory.
    lines.push(`if [ -f ${src} ]; then mkdir -p "$(dirname ${dst})" && { [ -e ${dst} ] || touch ${dst}; }; else mkdir -p ${dst}; fi`);
    lines.push(`mount --bind ${src} ${dst} || exit 97`);
    if (mount.readOnly) lines.push(`mount -o remount,bind,ro ${dst} || exit 97`);
  }
  const cwd = workingDir && mounts.some((m) => workingDir === m.containerPath || workingDir.startsWith(m.containerPath + '/'))
    ? workingDir : containerDir;
  lines.push(`cd ${shellQuote(cwd)} 2>/dev/null || cd ${shellQuote(containerDir)}`);
  // fd 3 is the kubelet's "started" pipe (launchContainer): closing it says the mounts are in place.
  lines.push('exec 3>&-');
  lines.push('exec "$@"');
  // Mount points missing on the host are made in a shadow of their parent, never on the host itself.
  return withShadows(planShadows(mounts), join(containerDir, 'mount-shadows'), lines);
}

function hostWorkingDir(spec: LaunchSpec): string {
  if (!spec.workingDir) return spec.containerDir;
  const rewritten = rewriteMountPaths(spec.workingDir, spec.mounts);
  return existsSync(rewritten) ? rewritten : spec.containerDir;
}

/** The host-side argv that runs `argv` as the container does (mount namespace or path rewriting). */
const SHIM_MOUNT_CANDIDATES = ['/run/redwing-sandbox/bin', '/var/lib/redwing-sandbox/bin', '/opt/redwing-sandbox/bin'];

/**
 * In a mount namespace the wrappers are bind-mounted at a fixed path of their own: their host directory lives in
 * the sandbox dir, which a pod's volume (an emptyDir at /tmp, say) may cover. PATH is changed to match.
 */
function namespaceView(spec: LaunchSpec): { mounts: Mount[]; env: Record<string, string> } {
  if (!spec.shimDir) return { mounts: spec.mounts, env: spec.env };
  const covered = (path: string) => spec.mounts.some((m) => path === m.containerPath || path.startsWith(`${m.containerPath.replace(/\/+$/, '')}/`));
  const target = SHIM_MOUNT_CANDIDATES.find((candidate) => !covered(candidate));
  if (!target) return { mounts: spec.mounts, env: spec.env };
  const path = (spec.env.PATH ?? '').split(':').map((entry) => (entry === spec.shimDir ? target : entry)).join(':');
  return { mounts: [{ hostPath: spec.shimDir, containerPath: target, readOnly: true }, ...spec.mounts], env: { ...spec.env, PATH: path } };
}

function hostArgv(spec: LaunchSpec, argv: string[]): { file: string; args: string[]; cwd: string; env: Record<string, string> } {
  if (spec.mountNamespace) {
    const view = namespaceView(spec);
    return {
      file: 'setpriv',
      args: ['--pdeathsig', 'KILL', '--', 'unshare', '-m', '--propagation', 'private', '--', '/bin/sh', '-c',
        mountScript(view.mounts, spec.workingDir, spec.containerDir), 'sandbox-init', ...argv],
      cwd: spec.containerDir,
      env: view.env,
    };
  }
  const rewritten = rewriteConfigFiles(argv.map((a) => rewriteMountPaths(a, spec.mounts)), spec.mounts, spec.containerDir);
  return { file: rewritten[0]!, args: rewritten.slice(1), cwd: hostWorkingDir(spec), env: spec.env };
}

export function launchContainer(spec: LaunchSpec): ContainerProcess {
  installExitHook();
  mkdirSync(spec.containerDir, { recursive: true });
  const logFd = openSync(join(spec.containerDir, spec.logFileName ?? '0.log'), 'a');
  const { file, args, cwd, env } = hostArgv(spec, spec.argv);
  const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', logFd, logFd, spec.mountNamespace ? 'pipe' : 'ignore'] });
  closeSync(logFd);
  const startedPipe = child.stdio[3];
  const running = startedPipe
    ? new Promise<void>((resolve) => { startedPipe.once('close', () => resolve()); startedPipe.once('error', () => resolve()); (startedPipe as Readable).resume(); })
    : Promise.resolve();
  const startedAt = new Date();
  let resolveExit!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => { resolveExit = resolve; });
  const proc: ContainerProcess = {
    pid: child.pid ?? -1,
    startedAt,
    exited,
    running,
    signal(signal) {
      if (proc.exitInfo || proc.pid <= 0) return;
      try { process.kill(-proc.pid, signal); } catch { /* already gone */ }
    },
  };
  if (child.pid) {
    liveGroups.add(child.pid);
    tellWatchdog(`+${child.pid}`);
  }
  const finish = (code: number | null, signal: NodeJS.Signals | null) => {
    if (proc.exitInfo) return;
    if (child.pid) {
      // The container's other processes die with it, as with a cgroup.
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* none left */ }
      liveGroups.delete(child.pid);
      tellWatchdog(`-${child.pid}`);
    }
    const info: ExitInfo = { exitCode: code ?? 128 + signalNumber(signal), signal: signal ?? undefined, finishedAt: new Date() };
    proc.exitInfo = info;
    resolveExit(info);
  };
  child.on('exit', finish);
  child.on('error', () => finish(127, null));
  return proc;
}

function signalNumber(signal: NodeJS.Signals | null): number {
  const table: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15 };
  return signal ? table[signal] ?? 1 : 0;
}

/**
 * Runs a command "inside" a container: in its mount namespace (nsenter) while it runs, otherwise on the host with
 * rewritten paths. Used by exec probes and preStop hooks.
 */
export function execInContainer(spec: LaunchSpec, target: ContainerProcess | undefined, argv: string[], timeoutMs: number): Promise<ExecResult> {
  let file: string;
  let args: string[];
  let cwd: string;
  let env: Record<string, string>;
  if (spec.mountNamespace && target && !target.exitInfo) {
    file = 'nsenter';
    // -r: the container may run chrooted into a shadowed root (mount-shadow.ts); use its root, not the namespace's.
    // -w: and its working directory, as `kubectl exec` does; the host directory we spawn in is not inside that root
    // (a shell there fails with "getcwd() failed").
    args = ['-t', String(target.pid), '-m', '-r', '-w', '--', ...argv];
    cwd = spec.containerDir;
    env = namespaceView(spec).env;
  } else {
    ({ file, args, cwd, env } = hostArgv({ ...spec, mountNamespace: false }, argv));
  }
  return new Promise((resolve) => {
    const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => { if (output.length < 64 * 1024) output += chunk.toString('utf8'); };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, output: String(error), timedOut: false });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ exitCode: code ?? 128 + signalNumber(signal), output, timedOut });
    });
  });
}
