/** The real `redwing` executable (bin/redwing.js) as a child process, for tests of what a user sees. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

function childEnvironment(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REDWING_LOG_LEVEL: 'info', ...extra };
  // Under node --test the logger would go silent; the tests read the child's log.
  delete env.NODE_TEST_CONTEXT;
  delete env.KUBECONFIG;
  delete env.KUBERNETES_SERVICE_HOST;
  return env;
}

export interface RunningCli {
  child: ChildProcess;
  /** Everything written so far. */
  output(): { stdout: string; stderr: string };
  /** The first JSON log line with this `msg` (rejects after `timeoutMs`). */
  waitForLog(msg: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<CliResult>;
}

/** `root`: the folder holding bin/redwing.js (the checkout, or an assembled image folder), also the working directory. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: readonly string[] = [], root = REPO_ROOT): RunningCli {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, 'bin/redwing.js', ...args], { cwd: root, env: childEnvironment(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const exited = new Promise<CliResult>((resolveExit) => {
    child.once('close', (code, signal) => resolveExit({ code, signal, stdout, stderr, ms: performance.now() - started }));
  });
  const findLog = (msg: string): Record<string, unknown> | undefined => {
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        if (entry.msg === msg) return entry;
      } catch {
        // A line still being written.
      }
    }
    return undefined;
  };
  return {
    child,
    output: () => ({ stdout, stderr }),
    exited,
    async waitForLog(msg, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const entry = findLog(msg);
        if (entry) return entry;
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no "${msg}" log line (exit ${child.exitCode}); stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`);
        }
        await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      }
    },
  };
}

/** Runs to completion; killed (SIGKILL) after `timeoutMs`, which a test then sees as `signal`. */
export async function runCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; root?: string } = {}): Promise<CliResult> {
  const running = startCli(args, options.env, [], options.root);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
  try {
    return await running.exited;
  } finally {
    clearTimeout(timer);
  }
}
