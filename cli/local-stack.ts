/**
 * The operator as `redwing start` and `redwing demo` run it on this machine: the webhook and the reconciler, and with
 * no cluster configured, first the embedded sandbox with the CRDs and webhook configurations installed. Each part's
 * stop is returned (last started first), so a caller stops them with stopInOrder, naming each.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { runReconciler, type RunningReconciler } from '../reconciler/controller/main.js';
import { startSandbox } from '../sandbox/cluster.js';
import type { Logger } from '../shared/logger.js';
import { runWebhook, type RunningWebhook } from '../webhook/main.js';
import { watchPolicySources } from '../webhook/policy/sources.js';
import { createPolicyEngine } from '../policy/engine.js';
import { configuredKubeconfigPath, isInCluster, loadKubeConfig } from './kubeconfig.js';
import { installIntoSandbox } from './local-install.js';
import { identityFromManifests } from './service-account-identity.js';

const OPERATOR_NAMESPACE = 'redwing-system';
const WEBHOOK_SERVICE = 'redwing-webhook';
/** a year: a sandbox lives as long as one `redwing start`, and its components never refresh their tokens */
const SANDBOX_TOKEN_SECONDS = 365 * 24 * 3600;

export interface LocalStackOptions {
  /** --kubeconfig as given (KUBECONFIG and in-cluster are looked at too) */
  kubeconfigFlag: unknown;
  /** the sandbox directory, used when no cluster is configured */
  dir: string;
  /** wipe the sandbox directory first (`--fresh`) instead of resuming what it holds */
  fresh: boolean;
  webhookPort: number;
  webhookMetricsPort: number;
  reconcilerMetricsPort: number;
  logger: Logger;
}

export interface LocalStack {
  useSandbox: boolean;
  sandboxDir?: string;
  kubeconfigPath?: string;
  /** the cluster's admin (sandbox) or the configured user */
  kubeConfig: KubeConfig;
  webhook: RunningWebhook;
  reconciler: RunningReconciler;
  /** last started first: hand to stopInOrder */
  stops: Array<[string, () => Promise<void>]>;
}

/** Starts the stack; on a failure, what already started is stopped (through `stops`, which the caller owns). */
export async function startLocalStack(options: LocalStackOptions, stops: Array<[string, () => Promise<void>]>): Promise<LocalStack> {
  const { logger } = options;
  let kubeconfigPath = configuredKubeconfigPath(options.kubeconfigFlag);
  let certDir: string | undefined;
  const useSandbox = !kubeconfigPath && !isInCluster();
  let sandboxDir: string | undefined;
  if (useSandbox) {
    sandboxDir = resolve(options.dir);
    // The sandbox resumes its objects and the pods' data unless asked for a fresh one (sandbox/README.md).
    if (options.fresh) rmSync(sandboxDir, { recursive: true, force: true });
    const sandbox = await startSandbox({ dir: sandboxDir, logger: logger.child({ component: 'sandbox' }), persist: true });
    stops.unshift(['sandbox', () => sandbox.stop()]);
    kubeconfigPath = sandbox.kubeconfigPath;
    certDir = join(sandboxDir, 'webhook-certs');
  }
  const kubeConfig = loadKubeConfig(kubeconfigPath);
  const policy = createPolicyEngine();
  const webhook = await runWebhook({
    port: options.webhookPort, metricsPort: options.webhookMetricsPort, namespace: OPERATOR_NAMESPACE,
    service: WEBHOOK_SERVICE, policy, logger: logger.child({ component: 'webhook' }),
    ...(certDir ? { certDir, host: '127.0.0.1' } : { kubeConfig }),
  });
  stops.unshift(['webhook', () => webhook.stop()]);
  if (useSandbox && certDir) {
    await installIntoSandbox(kubeConfig, {
      webhookBaseUrl: `https://127.0.0.1:${webhook.port}`,
      caBundlePem: readFileSync(join(certDir, 'ca.crt'), 'utf8'),
      operatorNamespace: OPERATOR_NAMESPACE,
    });
  }
  // In the sandbox, which enforces RBAC, each component acts as its ServiceAccount with the roles of
  // manifests/rbac/, as in a cluster: the webhook then tells the reconciler's own writes from a user's.
  const webhookKubeConfig = useSandbox ? await identityFromManifests(kubeConfig, 'webhook', { tokenSeconds: SANDBOX_TOKEN_SECONDS }) : kubeConfig;
  const reconcilerKubeConfig = useSandbox ? await identityFromManifests(kubeConfig, 'reconciler', { tokenSeconds: SANDBOX_TOKEN_SECONDS }) : kubeConfig;
  // Watch policies only once their CRD exists; until then the (empty) engine admits by the built-in rules alone.
  const policySources = watchPolicySources(policy, webhookKubeConfig, { logger: logger.child({ component: 'policy' }) });
  stops.unshift(['policy sources', () => policySources.stop()]);
  const reconciler = await runReconciler({
    kubeConfig: reconcilerKubeConfig, metricsPort: options.reconcilerMetricsPort, leaderElect: !useSandbox,
    logger: logger.child({ component: 'reconciler' }),
  });
  stops.unshift(['reconciler', () => reconciler.stop()]);
  return { useSandbox, sandboxDir, kubeconfigPath, kubeConfig, webhook, reconciler, stops };
}
