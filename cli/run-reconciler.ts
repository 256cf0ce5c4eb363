/** `redwing reconciler` */
import { runReconciler } from '../reconciler/controller/main.js';
import { createLogger } from '../shared/logger.js';
import type { FlagValues } from './flags.js';
import { loadClusterAccess } from '../kube/cluster-access.js';
import { waitForShutdownSignal } from './shutdown.js';
import { loadNamedKubeconfig, startupTimeoutMs, withDeadline } from './startup-checks.js';

/**
 * Where the reconciler itself runs. Not the watched namespace: a `--namespace` reconciler still runs in
 * redwing-system, and a store's NetworkPolicy must admit it from there (and the store CA lives there).
 */
export function operatorNamespace(flags: FlagValues, env: NodeJS.ProcessEnv = process.env): { operatorNamespace?: string } {
  const given = typeof flags['operator-namespace'] === 'string' ? flags['operator-namespace'] : env.POD_NAMESPACE;
  return given ? { operatorNamespace: given } : {};
}

function leaseDuration(flags: FlagValues): { leaseDurationSeconds?: number } {
  if (flags['lease-duration'] === undefined) return {};
  const seconds = Number(flags['lease-duration']);
  if (seconds < 1) throw new Error(`--lease-duration must be at least 1 second, got ${seconds}`);
  return { leaseDurationSeconds: seconds };
}

export async function runReconcilerCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('reconciler');
  const timeoutMs = startupTimeoutMs(flags);
  // Not client-node's KubeConfig: the reconciler runs without loading client-node (see cluster-access.ts).
  const kubeConfig = await withDeadline(loadNamedKubeconfig(flags, loadClusterAccess), timeoutMs, 'reading the kubeconfig');
  const reconciler = await withDeadline(runReconciler({
    kubeConfig,
    metricsPort: Number(flags['metrics-port']),
    leaderElect: flags['leader-elect'] === true,
    ...leaseDuration(flags),
    logger,
    ...(typeof flags.namespace === 'string' ? { namespace: flags.namespace } : {}),
    ...operatorNamespace(flags),
  }), timeoutMs, 'starting the reconciler (metrics port, first list of the cluster)');
  await waitForShutdownSignal(logger);
  await reconciler.stop();
}
