/**
 * The reconciler as a child process (`node bin/redwing.js reconciler`), so a test can SIGKILL it at a chosen moment
 * or run it under another uid (for a network partition of the operator alone). Its JSON log lines are parsed and
 * can be waited on or reacted to the moment they arrive.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

export interface LogEntry {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface ChildReconcilerOptions {
  kubeconfigPath: string;
  uid?: number;
  gid?: number;
  /** More flags for `redwing reconciler` (e.g. --leader-elect). */
  args?: string[];
}

export class ChildReconciler {
  readonly entries: LogEntry[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private readonly listeners = new Set<(entry: LogEntry) => void>();
  private exitCode: number | null | undefined;
  private readonly exited: Promise<void>;
  private pending = '';

  constructor(options: ChildReconcilerOptions) {
    const env: NodeJS.ProcessEnv = { ...process.env, REDWING_LOG_LEVEL: 'info', HOME: '/tmp' };
    // Under node --test the logger would go silent; the child's log is what the tests read.
    delete env.NODE_TEST_CONTEXT;
    this.child = spawn(process.execPath, ['bin/redwing.js', 'reconciler', '--kubeconfig', options.kubeconfigPath, '--metrics-port', '0', ...(options.args ?? [])], {
      cwd: REPO_ROOT, env, uid: options.uid, gid: options.gid, stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => this.onData(chunk.toString('utf8')));
    this.child.stderr!.on('data', (chunk: Buffer) => { this.stderr.push(chunk.toString('utf8')); });
    this.exited = new Promise((resolvePromise) => this.child.once('exit', (code) => {
      this.exitCode = code;
      resolvePromise();
    }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  private onData(text: string): void {
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let entry: LogEntry;
      try {
        entry = JSON.parse(line) as LogEntry;
      } catch {
        continue;
      }
      this.entries.push(entry);
      for (const listener of this.listeners) listener(entry);
    }
  }

  /** Called synchronously for every log line as it arrives (to act before the child goes on). */
  onLog(listener: (entry: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async waitForLog(what: string, predicate: (entry: LogEntry) => boolean, timeoutMs = 60_000): Promise<LogEntry> {
    return waitFor(what, () => {
      if (!this.running && !this.entries.some(predicate)) throw new Error(`the reconciler exited (${this.exitCode}): ${this.stderr.join('').slice(-2000)}`);
      return this.entries.find(predicate);
    }, timeoutMs, 50);
  }

  /** SIGKILL now: no shutdown, no lease release, whatever it was doing stops half-way. */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }

  /** SIGSTOP / SIGCONT: the process freezes with its connections open, as a starved or paused machine does. */
  freeze(): void {
    if (this.running) this.child.kill('SIGSTOP');
  }

  thaw(): void {
    if (this.running) this.child.kill('SIGCONT');
  }

  /** Graceful stop (SIGTERM), SIGKILL after 15 s; resolves once the process is gone. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.killNow(), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  async waitForExit(): Promise<void> {
    await this.exited;
  }
}

/** A copy of the kubeconfig that another uid can read (the sandbox dir is private to root). Returns it and a cleanup. */
export function readableKubeconfig(kubeconfigPath: string): { path: string; remove(): void } {
  const dir = mkdtempSync(join('/var/tmp', 'redwing-failover-kubeconfig-'));
  chmodSync(dir, 0o755);
  const path = join(dir, 'kubeconfig');
  copyFileSync(kubeconfigPath, path);
  chmodSync(path, 0o644);
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
