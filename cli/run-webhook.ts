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
import { configuredKubeconfigPath, isInCluster, loadKubeConfig } from './kubeconfig.js';
import { stopInOrder, waitForShutdownSignal } from './shutdown.js';
import { loadNamedKubeconfig, startupTimeoutMs, withDeadline } from './startup-checks.js';

export interface WebhookPolicySetup {
  engine: PolicyEngine;
  sources?: PolicySources;
}

export function setUpPolicies(flags: FlagValues, logger: Logger): WebhookPolicySetup {
  const engine = createPolicyEngine();
  const files = (flags.policy as string[] | undefined) ?? [];
  if (files.length > 0) {
    const count = loadPolicyFilesInto(engine, files.map((file) => resolve(file)));
    logger.info({ files, policies: count }, 'policies loaded from files');
    return { engine };
  }
  const kubeconfigPath = configuredKubeconfigPath(flags.kubeconfig);
  if (!kubeconfigPath && !isInCluster() && typeof flags['cert-dir'] === 'string') {
    logger.info('standalone: no cluster configured and no --policy files, so no policies apply');
    return { engine };
  }
  return { engine, sources: watchPolicySources(engine, loadKubeConfig(kubeconfigPath), { logger }) };
}

export async function runWebhookCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('webhook');
  // Parsed once up front so that a broken file is reported against its flag, not from deep inside a client.
  if (configuredKubeconfigPath(flags.kubeconfig)) await loadNamedKubeconfig(flags, loadKubeConfig);
  const policies = setUpPolicies(flags, logger);
  const kubeconfigPath = configuredKubeconfigPath(flags.kubeconfig);
  const webhook = await withDeadline(runWebhook({
    port: Number(flags.port),
    metricsPort: Number(flags['metrics-port']),
    namespace: String(flags.namespace),
    service: String(flags.service),
    policy: policies.engine,
    logger,
    ...(typeof flags['cert-dir'] === 'string' ? { certDir: resolve(flags['cert-dir']) } : {}),
    ...(kubeconfigPath ? { kubeConfig: kubeconfigPath } : {}),
  }), startupTimeoutMs(flags), 'starting the webhook (certificates, listening)');
  await waitForShutdownSignal(logger);
  await stopInOrder(logger, [
    ['webhook', () => webhook.stop()],
    ['policy sources', async () => policies.sources?.stop()],
  ]);
}
