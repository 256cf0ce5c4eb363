/** `redwing reconciler` */
import { runReconciler } from '../reconciler/controller/main.js';
import { createLogger } from '../shared/logger.js';
import type { FlagValues } from './flags.js';
import { loadClusterAccess } from '../kube/cluster-access.js';
import { waitForShutdownSignal } from './shutdown.js';
import { loadNamedKubeconfig, startupTimeoutMs, withDeadline } from './startup-checks.js';

export async function runReconcilerCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('reconciler');
  const timeoutMs = startupTimeoutMs(flags);
  // Not client-node's KubeConfig: the reconciler runs without loading client-node (see cluster-access.ts).
  const kubeConfig = await withDeadline(loadNamedKubeconfig(flags, loadClusterAccess), timeoutMs, 'reading the kubeconfig');
  const reconciler = await withDeadline(runReconciler({
    kubeConfig,
    metricsPort: Number(flags['metrics-port']),
    leaderElect: flags['leader-elect'] === true,
    logger,
    ...(typeof flags.namespace === 'string' ? { namespace: flags.namespace } : {}),
  }), timeoutMs, 'starting the reconciler (metrics port, first list of the cluster)');
  await waitForShutdownSignal(logger);
  await reconciler.stop();
}
