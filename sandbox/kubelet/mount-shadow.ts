// Mount points that do not exist on the host, made inside the container's mount namespace only. A mount namespace
// shares the host's filesystems, so a plain `mkdir -p /auth` there creates /auth on the host. Instead, the deepest
// existing ancestor of each missing mount point (`/` for /auth, `/etc` for /etc/only.conf) is shadowed: a tmpfs
// receives a bind mount of every entry of that directory (symlinks are copied), the missing paths are created in
// the tmpfs, and the tmpfs replaces the directory (`mount --move`). `/` cannot be covered by a mount the process
// would see, so a shadowed root is entered with `chroot` and the rest of the script runs there; the view is the
// host's everywhere else. The tmpfs mount points live in the container's own directory, inside the sandbox dir.
import { existsSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Mount {
  hostPath: string;
  containerPath: string;
  readOnly: boolean;
}

export interface ShadowPlan {
  /** The existing host directory to shadow (resolved, no symlinks). */
  target: string;
  /** Missing mount points below it, relative to it; `file` for a file mount point (subPath to a file). */
  missing: { relative: string; file: boolean }[];
}

export interface HostView {
  exists(path: string): boolean;
  realpath(path: string): string;
  isFile(path: string): boolean;
}

const HOST: HostView = {
  exists: (path) => existsSync(path),
  realpath: (path) => realpathSync(path),
  isFile: (path) => { try { return statSync(path).isFile(); } catch { return false; } },
};

function trimSlash(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

function isUnder(path: string, dir: string): boolean {
  return dir === '/' ? path.startsWith('/') : path === dir || path.startsWith(`${dir}/`);
}

/**
 * Which host directories to shadow. A mount point inside another volume is made in that volume's directory (in the
 * sandbox dir) by the usual mkdir, so only mount points outside every other mount count.
 */
export function planShadows(mounts: Mount[], host: HostView = HOST): ShadowPlan[] {
  const plans = new Map<string, ShadowPlan>();
  for (const mount of mounts) {
    const path = trimSlash(mount.containerPath);
    if (!path.startsWith('/') || path === '/') continue;
    const inOther = mounts.some((other) => other !== mount && trimSlash(other.containerPath) !== path && isUnder(path, trimSlash(other.containerPath)));
    if (inOther || host.exists(path)) continue;
    let ancestor = dirname(path);
    while (ancestor !== '/' && !host.exists(ancestor)) ancestor = dirname(ancestor);
    const target = host.realpath(ancestor);
    const relative = path.slice(ancestor === '/' ? 1 : ancestor.length + 1);
    const plan = plans.get(target) ?? { target, missing: [] };
    if (!plan.missing.some((m) => m.relative === relative)) plan.missing.push({ relative, file: host.isFile(mount.hostPath) });
    plans.set(target, plan);
  }
  // Outer directories first: a shadow of /etc/ssl is built from what /etc's shadow shows.
  return [...plans.values()].sort((a, b) => a.target.length - b.target.length);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Lines that build the tmpfs copy of `plan.target` at `stage`, with the missing mount points in it. */
function buildShadow(plan: ShadowPlan, stage: string): string[] {
  const s = shellQuote(stage);
  const source = plan.target === '/' ? '' : shellQuote(plan.target);
  const lines = [
    `mkdir -p ${s} && mount -t tmpfs -o mode=755 redwing-shadow ${s} || exit 97`,
    `for e in ${source}/* ${source}/.[!.]* ${source}/..?*; do`,
    '  [ -e "$e" ] || [ -L "$e" ] || continue',
    `  n=\${e##*/}`,
    `  if [ -L "$e" ]; then ln -s "$(readlink "$e")" ${s}/"$n"`,
    `  elif [ -d "$e" ]; then mkdir ${s}/"$n" && mount --rbind "$e" ${s}/"$n"`,
    `  else touch ${s}/"$n" && mount --bind "$e" ${s}/"$n"; fi && continue`,
    // The host directory is live (/run, /tmp): an entry removed since the glob is skipped, its placeholder too.
    `  [ -e "$e" ] || [ -L "$e" ] || { rm -f ${s}/"$n" 2>/dev/null || rmdir ${s}/"$n"; continue; }`,
    '  exit 97',
    'done',
  ];
  for (const missing of plan.missing) {
    const inside = shellQuote(join(stage, missing.relative));
    lines.push(missing.file ? `mkdir -p "$(dirname ${inside})" && touch ${inside} || exit 97` : `mkdir -p ${inside} || exit 97`);
  }
  if (plan.target !== '/') lines.push(`chmod --reference=${source} ${s} && mount --move ${s} ${source} || exit 97`);
  return lines;
}

/**
 * The script with the shadows in front of `rest` (the bind mounts and the exec). A shadowed root ends in
 * `exec chroot`, which runs everything after it as a new shell inside the new root, with the same arguments.
 */
export function withShadows(plans: ShadowPlan[], stageDir: string, rest: string[]): string {
  const root = plans.find((p) => p.target === '/');
  const others = plans.filter((p) => p !== root).flatMap((plan, index) => buildShadow(plan, join(stageDir, String(index + 1))));
  const inner = [...others, ...rest].join('\n');
  if (!root) return inner;
  const stage = join(stageDir, '0');
  return [...buildShadow(root, stage), `cd ${shellQuote(stage)} && exec chroot . /bin/sh -c ${shellQuote(inner)} sandbox-init "$@"`, 'exit 97'].join('\n');
}
