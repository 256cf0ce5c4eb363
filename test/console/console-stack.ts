/**
 * What `npm start` runs, in this process, for the console's browser tests: the sandbox (with the tests' RBAC
 * check), the webhook behind the sandbox API server's admission (the webhook configurations `redwing start`
 * installs), the reconciler as its ServiceAccount, and the console acting with the sandbox admin's kubeconfig.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { buildLocalWebhookConfigurations } from '../../cli/local-install.js';
import { startConsole, type RunningConsole } from '../../console/server.js';
import { resolveClusterAccess } from '../../kube/cluster-access.js';
import { createPolicyEngine } from '../../policy/engine.js';
import { runReconciler, type RunningReconciler } from '../../reconciler/controller/main.js';
import { createLogger } from '../../shared/logger.js';
import { runWebhook, type RunningWebhook } from '../../webhook/main.js';
import { startE2eCluster, type E2eCluster } from '../reconciler/controller/e2e-helpers.js';

export interface ConsoleStack {
  cluster: E2eCluster;
  webhook: RunningWebhook;
  reconciler: RunningReconciler;
  console: RunningConsole;
  stop(): Promise<void>;
}

const ADMISSION = '/apis/admissionregistration.k8s.io/v1';

export async function startConsoleStack(): Promise<ConsoleStack> {
  const certDir = mkdtempSync(join(tmpdir(), 'redwing-console-e2e-certs-'));
  const stops: Array<() => Promise<void>> = [async () => rmSync(certDir, { recursive: true, force: true })];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step();
  };
  try {
    const cluster = await startE2eCluster();
    stops.push(() => cluster.stop());
    const webhook = await runWebhook({
      port: 0, metricsPort: 0, namespace: 'redwing-system', service: 'redwing-webhook', certDir, host: '127.0.0.1',
      policy: createPolicyEngine(), logger: createLogger('webhook', { level: 'silent' }),
    });
    stops.push(() => webhook.stop());
    for (const configuration of buildLocalWebhookConfigurations(`https://127.0.0.1:${webhook.port}`, readFileSync(join(certDir, 'ca.crt'), 'utf8'))) {
      const plural = `${String(configuration.kind).toLowerCase()}s`;
      await cluster.client.create(`${ADMISSION}/${plural}`, configuration);
    }
    const reconciler = await runReconciler({
      kubeConfig: cluster.reconcilerKubeConfig, metricsPort: 0, leaderElect: false, logger: pino({ level: process.env.REDWING_TEST_LOG ?? 'silent' }),
      // S3 credentials only from a store's Secret, never from this machine's environment
      backups: { s3: { environment: {}, retryBaseMs: 5 } },
    });
    stops.push(() => reconciler.stop());
    const running = await startConsole({
      access: await resolveClusterAccess(cluster.kubeConfig), offerKubeconfig: true, readOnly: false, port: 0, logger: createLogger('console', { level: 'silent' }),
    });
    stops.push(() => running.stop());
    return { cluster, webhook, reconciler, console: running, stop };
  } catch (error) {
    await stop();
    throw new Error('could not start the sandbox, webhook, reconciler and console', { cause: error });
  }
}
