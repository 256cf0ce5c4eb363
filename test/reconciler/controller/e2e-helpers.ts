/**
 * Shared by the controller's end-to-end tests: the sandbox cluster and store reads of harness/sandbox-cluster.ts
 * (which the failover benchmark uses too), with the tests' RBAC check, and a reconciler run for a describe block.
 */
import { after, before } from 'node:test';
import { pino } from 'pino';
import { startSandboxCluster, type E2eCluster } from '../../../harness/sandbox-cluster.js';
import { runReconciler, type ReconcilerOptions, type RunningReconciler } from '../../../reconciler/controller/main.js';
import { checkRbacUsage } from '../../helpers/rbac-usage.js';

export {
  E2E_ENGINE, getStore, installCrds, kvstore, listStorePods, redisCommand, storePassword, waitForPasswordRotated, waitStoreReady,
  type E2eCluster, type PodInfo,
} from '../../../harness/sandbox-cluster.js';
export { waitFor } from '../../../harness/wait-for.js';

/** A sandbox cluster whose stop fails the test when RBAC refused Redwing a request (other than `expectedRefusals`). */
export async function startE2eCluster(options: { holdPodsPending?: boolean; restartBackoffBaseMs?: number; expectedRefusals?: RegExp } = {}): Promise<E2eCluster> {
  return startSandboxCluster({ ...options, afterStop: (usage) => checkRbacUsage(usage, 'e2e', options.expectedRefusals) });
}

export interface ReconcilerOnSandbox {
  cluster: E2eCluster;
  /** Replaced by `restartReconciler`; the after hook stops whichever one runs. */
  reconciler: RunningReconciler;
  /** Stops the reconciler, runs `whileStopped` (a state no reconciler could see forming), and starts a new one. */
  restartReconciler(whileStopped?: () => Promise<void>): Promise<void>;
}

/**
 * Registers before/after hooks (in the calling describe) that start a sandbox with the CRDs and one reconciler, and
 * stop both. Fields are filled in by the before hook.
 */
export function useReconcilerOnSandbox(options: Partial<ReconcilerOptions> = {}): ReconcilerOnSandbox {
  const start = () => runReconciler({
    kubeConfig: e2e.cluster.reconcilerKubeConfig, metricsPort: 0, leaderElect: false,
    logger: pino({ level: process.env.REDWING_TEST_LOG ?? 'silent' }), ...options,
  });
  const e2e = {
    async restartReconciler(whileStopped?: () => Promise<void>) {
      await e2e.reconciler.stop();
      await whileStopped?.();
      e2e.reconciler = await start();
    },
  } as ReconcilerOnSandbox;
  before(async () => {
    e2e.cluster = await startE2eCluster();
    e2e.reconciler = await start();
  });
  after(async () => {
    await e2e.reconciler?.stop();
    await e2e.cluster?.stop();
  });
  return e2e;
}
