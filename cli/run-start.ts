/**
 * `redwing start` (what `npm start` runs): the webhook, the reconciler and the web console. With no cluster configured it first
 * starts a fresh embedded sandbox and installs the CRDs and webhook configurations into it, so that
 * `kubectl --kubeconfig <printed path> apply -f manifests/samples/kvstore-minimal.yaml` works right away.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runReconciler } from '../reconciler/controller/main.js';
import { startSandbox } from '../sandbox/cluster.js';
import { createLogger } from '../shared/logger.js';
import { runWebhook } from '../webhook/main.js';
import { watchPolicySources } from '../webhook/policy/sources.js';
import { createPolicyEngine } from '../policy/engine.js';
import type { FlagValues } from './flags.js';
import { configuredKubeconfigPath, isInCluster, loadKubeConfig } from './kubeconfig.js';
import { installIntoSandbox } from './local-install.js';
import { startConsoleFrom } from './run-console.js';
import { identityFromManifests } from './service-account-identity.js';
import { stopInOrder, waitForShutdownSignal } from './shutdown.js';

const OPERATOR_NAMESPACE = 'redwing-system';
const WEBHOOK_SERVICE = 'redwing-webhook';
/** a year: a sandbox lives as long as one `redwing start`, and its components never refresh their tokens */
const SANDBOX_TOKEN_SECONDS = 365 * 24 * 3600;

export async function runStartCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('redwing');
  const stops: Array<[string, () => Promise<void>]> = [];
  try {
    let kubeconfigPath = configuredKubeconfigPath(flags.kubeconfig);
    let certDir: string | undefined;
    const useSandbox = !kubeconfigPath && !isInCluster();
    let sandboxDir: string | undefined;
    if (useSandbox) {
      // A fresh sandbox every time: `npm start` must not inherit half-finished state from an earlier run.
      sandboxDir = resolve(String(flags.dir));
      rmSync(sandboxDir, { recursive: true, force: true });
      const sandbox = await startSandbox({ dir: sandboxDir, logger: logger.child({ component: 'sandbox' }) });
      stops.unshift(['sandbox', () => sandbox.stop()]);
      kubeconfigPath = sandbox.kubeconfigPath;
      certDir = join(sandboxDir, 'webhook-certs');
    }
    const kubeConfig = loadKubeConfig(kubeconfigPath);
    const policy = createPolicyEngine();
    const webhook = await runWebhook({
      port: Number(flags.port), metricsPort: Number(flags['webhook-metrics-port']), namespace: OPERATOR_NAMESPACE,
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
      kubeConfig: reconcilerKubeConfig, metricsPort: Number(flags['reconciler-metrics-port']), leaderElect: !useSandbox,
      logger: logger.child({ component: 'reconciler' }),
    });
    stops.unshift(['reconciler', () => reconciler.stop()]);
    // The console acts as the user: the kubeconfig printed below (the sandbox's admin), never an operator identity.
    const webConsole = await startConsoleFrom({
      source: kubeConfig, port: Number(flags['console-port']), host: '127.0.0.1', readOnly: false, offerKubeconfig: true,
      logger: logger.child({ component: 'console' }),
    });
    stops.unshift(['console', () => webConsole.stop()]);
    console.log([
      `redwing is running${useSandbox ? ` in the sandbox at ${sandboxDir}` : ''}.`,
      `  kubeconfig: ${kubeconfigPath ?? '(default)'}`,
      `  webhook:    https://127.0.0.1:${webhook.port} (metrics on :${webhook.metricsPort})`,
      `  reconciler: metrics on :${reconciler.metricsPort}`,
      `  console:    ${webConsole.url}`,
      `Try: kubectl --kubeconfig ${kubeconfigPath} apply -f manifests/samples/kvstore-minimal.yaml && kubectl --kubeconfig ${kubeconfigPath} get kvs -w`,
    ].join('\n'));
  } catch (error: unknown) {
    await stopInOrder(logger, stops);
    throw new Error('redwing start failed', { cause: error });
  }
  await waitForShutdownSignal(logger);
  await stopInOrder(logger, stops);
}
