// Pod IPs are loopback addresses 127.0.0.2, 127.0.0.3, ... (all of 127/8 reaches lo on Linux). Several sandboxes
// may run on one machine at once (parallel test files), so each address is claimed with a lock file that names the
// owning process; a lock whose process is gone is taken over.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LOCK_DIR = join(tmpdir(), 'redwing-sandbox-pod-ips');
const FIRST = 2;
// 127.0.0.0/16 minus the first address; 127.1.0.0/16 is the Service range.
const LAST = 256 * 256 - 2;

function ipOf(n: number): string {
  return `127.0.${Math.floor(n / 256)}.${n % 256}`;
}

function indexOf(ip: string): number | undefined {
  const m = /^127\.0\.(\d+)\.(\d+)$/.exec(ip);
  return m ? Number(m[1]) * 256 + Number(m[2]) : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class PodIpPool {
  private readonly owned = new Map<string, string>(); // ip -> owner key
  private cursor = FIRST;

  private readonly blockLock?: string;

  constructor() {
    mkdirSync(LOCK_DIR, { recursive: true });
    // Each kubelet reserves its own /24 (127.0.0.x for the first, 127.0.1.x for the next, ...), so an address one
    // sandbox just released is not handed straight to another sandbox's new pod. Per-address locks still apply.
    for (let block = 0; block < 255; block++) {
      const lock = join(LOCK_DIR, `block-${block}`);
      if (this.lockFile(lock)) {
        this.blockLock = lock;
        this.cursor = Math.max(FIRST, block * 256 + 2);
        break;
      }
    }
  }

  /** Takes a lock file, or takes it over when the process that held it is gone. */
  private lockFile(path: string): boolean {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return true;
    } catch {
      let holder = NaN;
      try { holder = Number(readFileSync(path, 'utf8')); } catch { /* released meanwhile */ }
      if (Number.isFinite(holder) && (holder === process.pid || processAlive(holder))) return false;
      writeFileSync(path, String(process.pid));
      return true;
    }
  }

  private tryClaim(n: number, owner: string): string | undefined {
    const last = n % 256;
    if (last === 0 || last === 255 || n === 53) return undefined; // 127.0.0.53 is often systemd-resolved
    const ip = ipOf(n);
    if (this.owned.has(ip)) return undefined;
    if (!this.lockFile(join(LOCK_DIR, ip))) return undefined;
    this.owned.set(ip, owner);
    return ip;
  }

  /** Claims an address for `owner` (a pod uid), preferring `preferred` (the pod's recorded podIP) when it is free. */
  allocate(owner: string, preferred?: string): string {
    for (const [ip, o] of this.owned) if (o === owner) return ip;
    const want = preferred ? indexOf(preferred) : undefined;
    if (want !== undefined) {
      const ip = this.tryClaim(want, owner);
      if (ip) return ip;
    }
    // Round-robin rather than lowest-free, so a recreated pod does not inherit the address of the one it replaces.
    for (let i = 0; i < LAST - FIRST; i++) {
      const n = FIRST + ((this.cursor - FIRST + i) % (LAST - FIRST));
      const ip = this.tryClaim(n, owner);
      if (ip) {
        this.cursor = n + 1;
        return ip;
      }
    }
    throw new Error('no free pod IP left in 127.0.0.0/16');
  }

  release(ip: string): void {
    if (!this.owned.delete(ip)) return;
    rmSync(join(LOCK_DIR, ip), { force: true });
  }

  releaseAll(): void {
    for (const ip of [...this.owned.keys()]) this.release(ip);
    if (this.blockLock) rmSync(this.blockLock, { force: true });
  }
}
