/** `redwing reconciler` */
import { runReconciler } from '../reconciler/controller/main.js';
import { createLogger } from '../shared/logger.js';
import type { FlagValues } from './flags.js';
import { loadClusterAccess } from '../reconciler/controller/cluster-access.js';
import { configuredKubeconfigPath } from './cluster-choice.js';
import { waitForShutdownSignal } from './shutdown.js';

export async function runReconcilerCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('reconciler');
  const reconciler = await runReconciler({
    // Not client-node's KubeConfig: the reconciler runs without loading client-node (see cluster-access.ts).
    kubeConfig: await loadClusterAccess(configuredKubeconfigPath(flags.kubeconfig)),
    metricsPort: Number(flags['metrics-port']),
    leaderElect: flags['leader-elect'] === true,
    logger,
    ...(typeof flags.namespace === 'string' ? { namespace: flags.namespace } : {}),
  });
  await waitForShutdownSignal(logger);
  await reconciler.stop();
}
