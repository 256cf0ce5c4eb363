/**
 * `redwing webhook`. Policies come from `--policy` files when given (standalone mode), otherwise from a watch of
 * the cluster's KVPolicies; with `--cert-dir` and no cluster configured, it runs without any cluster at all.
 */
import { resolve } from 'node:path';
import { createPolicyEngine, type PolicyEngine } from '../policy/engine.js';
import { loadPolicyFilesInto, watchPolicySources, type PolicySources } from '../webhook/policy/sources.js';
import { runWebhook } from '../webhook/main.js';
import { createLogger, type Logger } from '../shared/logger.js';
import type { FlagValues } from './flags.js';
import { loadClusterAccess, type ClusterSource } from '../kube/cluster-access.js';
import { configuredKubeconfigPath, isInCluster } from './cluster-choice.js';
import { stopInOrder, waitForShutdownSignal } from './shutdown.js';
import { loadNamedKubeconfig, startupTimeoutMs, withDeadline } from './startup-checks.js';

export interface WebhookPolicySetup {
  engine: PolicyEngine;
  sources?: PolicySources;
}

/** `cluster` is undefined when the webhook runs without one (standalone). */
export function setUpPolicies(flags: FlagValues, logger: Logger, cluster: ClusterSource | undefined): WebhookPolicySetup {
  const engine = createPolicyEngine();
  const files = (flags.policy as string[] | undefined) ?? [];
  if (files.length > 0) {
    const count = loadPolicyFilesInto(engine, files.map((file) => resolve(file)));
    logger.info({ files, policies: count }, 'policies loaded from files');
    return { engine };
  }
  if (!cluster) {
    logger.info('standalone: no cluster configured and no --policy files, so no policies apply');
    return { engine };
  }
  return { engine, sources: watchPolicySources(engine, cluster, { logger }) };
}

export async function runWebhookCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('webhook');
  const standalone = !configuredKubeconfigPath(flags.kubeconfig) && !isInCluster() && typeof flags['cert-dir'] === 'string';
  // Read once up front so that a broken file is reported against its flag, not from deep inside a client.
  const cluster = standalone ? undefined : await loadNamedKubeconfig(flags, loadClusterAccess);
  const policies = setUpPolicies(flags, logger, cluster);
  const webhook = await withDeadline(runWebhook({
    port: Number(flags.port),
    metricsPort: Number(flags['metrics-port']),
    namespace: String(flags.namespace),
    service: String(flags.service),
    policy: policies.engine,
    logger,
    ...(typeof flags['cert-dir'] === 'string' ? { certDir: resolve(flags['cert-dir']) } : {}),
    ...(cluster ? { kubeConfig: cluster } : {}),
  }), startupTimeoutMs(flags), 'starting the webhook (certificates, listening)');
  await waitForShutdownSignal(logger);
  await stopInOrder(logger, [
    ['webhook', () => webhook.stop()],
    ['policy sources', async () => policies.sources?.stop()],
  ]);
}
