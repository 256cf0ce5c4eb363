// The install tests' cluster: a fresh sandbox whose kubelet runs the operator image, and kubectl as a user runs it
// (asynchronously: the API server answers from this same process). The image is the Dockerfile's final stage,
// assembled into the sandbox's folder by scripts/assemble-image.mjs: compiled dist/ and production dependencies only,
// so the pods run exactly what a cluster would pull (the checkout itself may have no fresh dist/).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '../../kube/client.js';
import { sandboxTestLogger } from '../../harness/sandbox-logger.js';
import { waitFor } from '../../harness/wait-for.js';
import type { Writer } from '../../harness/writer.js';
import { startSandbox, type RunningSandbox } from '../../sandbox/cluster.js';
import { OPERATOR_IMAGE_DIR_ENV } from '../../sandbox/kubelet/operator-image.js';
import { checkRbacUsage, REDWING_ACCOUNT_PREFIX } from '../helpers/rbac-usage.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const DEFAULT_OVERLAY = join(REPO_ROOT, 'deploy', 'kustomize', 'default');
export const OPERATOR_NAMESPACE = 'redwing-system';
/** Why a test skips, or false: kubectl v1.32 is what the install is proved with. */
export const KUBECTL_MISSING: string | false = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0 ? false : 'kubectl is not on PATH';

const execFileAsync = promisify(execFile);

export interface InstallCluster {
  sandbox: RunningSandbox;
  dir: string;
  /** The sandbox admin's client (the user installing the operator). */
  client: KubeClient;
  kubectl(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Assembles the image's final stage into `imageDir` (about 15 s: a tsc build and the production node_modules). */
export async function assembleImage(imageDir: string): Promise<void> {
  try {
    await execFileAsync(process.execPath, ['scripts/assemble-image.mjs', imageDir], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 240_000 });
  } catch (error: unknown) {
    throw new Error(`assemble-image failed: ${(error as { stderr?: string }).stderr ?? ''}`, { cause: error });
  }
}

/**
 * A sandbox whose kubelet runs the operator image from a freshly assembled folder (REDWING_OPERATOR_IMAGE_DIR, read by
 * the kubelet when it starts a pod: one sandbox per test file, each file its own process). On stop, any request of
 * Redwing's ServiceAccounts that RBAC refused fails the test (the manifests' roles are the ones in force).
 */
export async function startInstallCluster(prefix: string): Promise<InstallCluster> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let sandbox: RunningSandbox;
  try {
    await assembleImage(join(dir, 'image'));
    process.env[OPERATOR_IMAGE_DIR_ENV] = join(dir, 'image');
    sandbox = await startSandbox({ dir, logger: sandboxTestLogger(), restartBackoffBaseMs: 500 });
  } catch (error: unknown) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const kc = new KubeConfig();
  kc.loadFromFile(sandbox.kubeconfigPath);
  const client = new KubeClient(kc);
  const kubectl = (args: string[], stdin?: string) => runKubectl(['--kubeconfig', sandbox.kubeconfigPath, ...args], stdin);
  return {
    sandbox, dir, client, kubectl,
    async stop() {
      client.close();
      await sandbox.stop();
      const usage = sandbox.rbacUsage();
      rmSync(dir, { recursive: true, force: true });
      checkRbacUsage(usage, prefix);
      // The pods spoke as their own ServiceAccounts: nothing else here holds a token of these accounts (the test's
      // own requests are the sandbox admin's), so their requests are the pods' projected tokens at work.
      for (const account of ['redwing-webhook', 'redwing-reconciler']) {
        if ((usage.allowed[`${REDWING_ACCOUNT_PREFIX}${account}`] ?? []).length === 0) {
          throw new Error(`no request of ${account} reached the API server under its own ServiceAccount`);
        }
      }
    },
  };
}

/** Runs kubectl; a failure throws an Error whose message holds kubectl's stderr (admission messages are there). */
export async function runKubectl(args: string[], stdin?: string): Promise<{ stdout: string; stderr: string }> {
  if (stdin === undefined) {
    try {
      return await execFileAsync('kubectl', args, { encoding: 'utf8', timeout: 120_000 });
    } catch (error: unknown) {
      const stderr = (error as { stderr?: string }).stderr ?? '';
      throw new Error(`kubectl ${args.slice(2).join(' ')} failed: ${stderr}`, { cause: error });
    }
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn('kubectl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString('utf8'); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString('utf8'); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise({ stdout, stderr });
      else reject(new Error(`kubectl ${args.slice(2).join(' ')} failed: ${stderr}`));
    });
    child.stdin.end(stdin);
  });
}

/** The claims of the ServiceAccount token the kubelet projected into a pod (read from the pod's volume on the host). */
export function projectedTokenClaims(sandboxDir: string, namespace: string, podName: string): { sub: string; 'kubernetes.io': { pod?: { name: string } } } {
  const podDir = readdirSync(join(sandboxDir, 'pods')).find((entry) => entry.startsWith(`${namespace}_${podName}_`));
  if (!podDir) throw new Error(`no directory for pod ${namespace}/${podName}`);
  const token = readFileSync(join(sandboxDir, 'pods', podDir, 'volumes', 'kube-api-access-sandbox', 'token'), 'utf8');
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as ReturnType<typeof projectedTokenClaims>;
}

/**
 * Waits until `writer` has `count` acknowledged writes; a timeout names the writer's last errors (a WAIT that no
 * replica confirmed, a refused connection), which is what tells a slow machine from a broken store.
 */
export async function waitForAcknowledged(what: string, writer: Writer, count: number, timeoutMs: number): Promise<void> {
  try {
    await waitFor(what, () => writer.report.acknowledged.length >= count, timeoutMs);
  } catch (error: unknown) {
    const last = writer.report.errors.slice(-3).map((entry) => entry.message).join('; ');
    throw new Error(`${what}: ${writer.report.acknowledged.length} of ${count} acknowledged in ${timeoutMs} ms; last errors: ${last || 'none'}`, { cause: error });
  }
}
