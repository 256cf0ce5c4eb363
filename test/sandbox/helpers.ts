// Shared by the sandbox runtime tests: a started sandbox with typed clients, bounded polling, redis commands.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, DiscoveryV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { sandboxTestLogger } from '../../harness/sandbox-logger.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/cluster.js';

export interface TestSandbox {
  sandbox: RunningSandbox;
  kc: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  discovery: DiscoveryV1Api;
  stop(): Promise<void>;
}

export async function startTestSandbox(): Promise<TestSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'redwing-sandbox-test-'));
  const sandbox = await startSandbox({ dir, logger: sandboxTestLogger(), restartBackoffBaseMs: 200 });
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.kubeconfigPath);
  return {
    sandbox,
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    discovery: kc.makeApiClient(DiscoveryV1Api),
    async stop() {
      await sandbox.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { waitFor } from '../../harness/wait-for.js';

export function isReady(pod: V1Pod | undefined): boolean {
  return !!pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function redisCli(host: string, args: string[], timeoutMs = 5000, port = 6379): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-h', host, '-p', String(port), ...args], { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout) => {
      resolve({ ok: !error, out: stdout.trim() });
    });
  });
}

export const redisContainer = {
  name: 'redis',
  image: 'redis:7.2',
  ports: [{ name: 'redis', containerPort: 6379 }],
  readinessProbe: { exec: { command: ['redis-cli', 'ping'] }, periodSeconds: 1, timeoutSeconds: 2 },
};

/** The host pid behind a container (`containerID: sandbox://<pid>`). */
export function containerPid(pod: V1Pod | undefined, index = 0): number {
  const id = pod?.status?.containerStatuses?.[index]?.containerID ?? '';
  const pid = Number(id.replace('sandbox://', ''));
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no container pid in ${JSON.stringify(id)}`);
  return pid;
}

/**
 * True once the process is gone (or a zombie nobody reaps). Pod IPs are freed with the pod, and another sandbox on
 * the machine may take one over at once, so "nothing answers on the old IP" is not a reliable check; the pid is.
 */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\S+\s+\S+\s+Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/\(.*\)/, 'x'));
  } catch {
    return true;
  }
}
