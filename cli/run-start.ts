/**
 * `redwing start` (what `npm start` runs): the webhook, the reconciler and the web console. With no cluster configured it first
 * starts the embedded sandbox in `--dir` (resuming the stores and data an earlier run left there; `--fresh` wipes it) and
 * installs the CRDs and webhook configurations into it, so that
 * `kubectl --kubeconfig <printed path> apply -f manifests/samples/kvstore-minimal.yaml` works right away.
 */
import { createLogger } from '../shared/logger.js';
import type { FlagValues } from './flags.js';
import { startLocalStack } from './local-stack.js';
import { startConsoleFrom } from './run-console.js';
import { stopInOrder, waitForShutdownSignal } from './shutdown.js';

export async function runStartCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('redwing');
  const stops: Array<[string, () => Promise<void>]> = [];
  try {
    const stack = await startLocalStack({
      kubeconfigFlag: flags.kubeconfig, dir: String(flags.dir), fresh: flags.fresh === true,
      webhookPort: Number(flags.port), webhookMetricsPort: Number(flags['webhook-metrics-port']),
      reconcilerMetricsPort: Number(flags['reconciler-metrics-port']), logger,
    }, stops);
    // The console acts as the user: the kubeconfig printed below (the sandbox's admin), never an operator identity.
    const webConsole = await startConsoleFrom({
      source: stack.kubeConfig, port: Number(flags['console-port']), host: '127.0.0.1', readOnly: false, offerKubeconfig: true,
      logger: logger.child({ component: 'console' }),
    });
    stops.unshift(['console', () => webConsole.stop()]);
    const { kubeconfigPath } = stack;
    console.log([
      `redwing is running${stack.useSandbox ? ` in the sandbox at ${stack.sandboxDir}` : ''}.`,
      `  kubeconfig: ${kubeconfigPath ?? '(default)'}`,
      `  webhook:    https://127.0.0.1:${stack.webhook.port} (metrics on :${stack.webhook.metricsPort})`,
      `  reconciler: metrics on :${stack.reconciler.metricsPort}`,
      `  console:    ${webConsole.url}`,
      `Try: kubectl --kubeconfig ${kubeconfigPath} apply -f manifests/samples/kvstore-minimal.yaml && kubectl --kubeconfig ${kubeconfigPath} get kvs -w`,
      `  or: npx redwing demo   (a 3-pod store, a live write loop, and a failover when you press a key)`,
    ].join('\n'));
  } catch (error: unknown) {
    await stopInOrder(logger, stops);
    throw new Error('redwing start failed', { cause: error });
  }
  await waitForShutdownSignal(logger);
  await stopInOrder(logger, stops);
}
