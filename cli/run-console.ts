/** `redwing console`: the web console, acting with the user's kubeconfig or the bearer token they log in with. */
import { startConsole, type RunningConsole } from '../console/server.js';
import { loadClusterAccess, resolveClusterAccess, type ClusterSource } from '../kube/cluster-access.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { configuredKubeconfigPath, isInCluster } from './cluster-choice.js';
import type { FlagValues } from './flags.js';
import { waitForShutdownSignal } from './shutdown.js';

export interface ConsoleStartOptions {
  /** the user's credentials; in a pod, only the cluster's address and CA are taken from it (see offerKubeconfig) */
  source: ClusterSource;
  port: number;
  host: string;
  readOnly: boolean;
  /** false in a pod: its credentials are the console's ServiceAccount, which the console must never act as */
  offerKubeconfig: boolean;
  logger: Logger;
}

export async function startConsoleFrom(options: ConsoleStartOptions): Promise<RunningConsole> {
  const access = await resolveClusterAccess(options.source);
  return startConsole({ access, offerKubeconfig: options.offerKubeconfig, readOnly: options.readOnly, port: options.port, host: options.host, logger: options.logger });
}

export async function runConsoleCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('console');
  const kubeconfigPath = configuredKubeconfigPath(flags.kubeconfig);
  const console_ = await startConsoleFrom({
    source: await loadClusterAccess(kubeconfigPath),
    port: Number(flags.port), host: String(flags.host), readOnly: flags['read-only'] === true,
    offerKubeconfig: kubeconfigPath !== undefined || !isInCluster(), logger,
  });
  process.stdout.write(`redwing console: ${console_.url}${flags['read-only'] === true ? ' (read-only)' : ''}\n`);
  await waitForShutdownSignal(logger);
  await console_.stop();
}
