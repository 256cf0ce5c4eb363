/** `redwing reconciler` */
import { runReconciler } from '../reconciler/controller/main.js';
import { createLogger } from '../shared/logger.js';
import type { FlagValues } from './flags.js';
import { configuredKubeconfigPath, loadKubeConfig } from './kubeconfig.js';
import { waitForShutdownSignal } from './shutdown.js';

export async function runReconcilerCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('reconciler');
  const reconciler = await runReconciler({
    kubeConfig: loadKubeConfig(configuredKubeconfigPath(flags.kubeconfig)),
    metricsPort: Number(flags['metrics-port']),
    leaderElect: flags['leader-elect'] === true,
    logger,
    ...(typeof flags.namespace === 'string' ? { namespace: flags.namespace } : {}),
  });
  await waitForShutdownSignal(logger);
  await reconciler.stop();
}
