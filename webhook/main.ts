/**
 * Starts the webhook process: certificates (from a directory, or from the cluster's Secret with caBundle
 * injection), the HTTPS admission server and the metrics/health server. The `redwing webhook` command calls this.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCertDirSource } from '../certs/cert-dir.js';
import type { CertificateSource } from '../certs/certificate-source.js';
import { createClusterSource } from '../certs/cluster-source.js';
import { loadClusterAccess, type ClusterSource } from '../kube/cluster-access.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { createWebhookApp } from './app.js';
import { createHealthApp } from './health.js';
import { createWebhookMetrics } from './metrics.js';
import { NO_POLICIES, type PolicyPort } from '../policy/policy-port.js';
import { startWebhookServer } from './server.js';

export interface RunWebhookOptions {
  /** HTTPS port of the admission endpoints (0 = any free port). */
  port: number;
  /** HTTP port of /healthz, /readyz, /metrics (0 = any free port). */
  metricsPort: number;
  namespace: string;
  service: string;
  /** Standalone / cert-manager mode: certificates in this directory (created when missing). */
  certDir?: string;
  /**
   * Cluster mode: a KubeConfig (or ClusterAccess), or the path of a kubeconfig file; when omitted, `$KUBECONFIG`,
   * in-cluster, or ~/.kube/config (kube/cluster-access.ts).
   */
  kubeConfig?: ClusterSource | string;
  policy?: PolicyPort;
  logger?: Logger;
  /** Default `system:serviceaccount:redwing-system:redwing-reconciler`. */
  reconcilerUsername?: string;
  /** Address to listen on; all interfaces by default. */
  host?: string;
  /** Passed to the certificate source (tests use short lifetimes). */
  certificateSource?: CertificateSource;
}

export interface RunningWebhook {
  port: number;
  metricsPort: number;
  stop(): Promise<void>;
}

/** client-node is not loaded for a kubeconfig the built-in loader understands (kube/cluster-access.ts). */
async function resolveCluster(kubeConfig: ClusterSource | string | undefined): Promise<ClusterSource> {
  return kubeConfig === undefined || typeof kubeConfig === 'string' ? loadClusterAccess(kubeConfig) : kubeConfig;
}

async function openCertificateSource(options: RunWebhookOptions, logger: Logger): Promise<CertificateSource> {
  if (options.certificateSource) return options.certificateSource;
  if (options.certDir) {
    return createCertDirSource({ dir: options.certDir, service: options.service, namespace: options.namespace, logger });
  }
  return createClusterSource({
    kubeConfig: await resolveCluster(options.kubeConfig), namespace: options.namespace, service: options.service, logger,
  });
}

function listenHttp(server: HttpServer, port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function runWebhook(options: RunWebhookOptions): Promise<RunningWebhook> {
  const logger = options.logger ?? createLogger('webhook');
  const metrics = createWebhookMetrics();
  const certificateSource = await openCertificateSource(options, logger);
  metrics.watchServingCertificate(() => {
    try {
      return certificateSource.current().certPem;
    } catch {
      return undefined; // not loaded yet: no expiry to export
    }
  });
  let stopping = false;
  const app = createWebhookApp({
    policy: options.policy ?? NO_POLICIES, metrics, logger,
    ...(options.reconcilerUsername ? { reconcilerUsername: options.reconcilerUsername } : {}),
  });
  const healthServer = createHttpServer(createHealthApp({
    registry: metrics.registry,
    isReady: () => !stopping && certificateSource.isReady(),
  }));
  let webhookServer: Awaited<ReturnType<typeof startWebhookServer>> | undefined;
  try {
    webhookServer = await startWebhookServer({
      app, certificateSource, port: options.port, logger, ...(options.host ? { host: options.host } : {}),
    });
    const metricsPort = await listenHttp(healthServer, options.metricsPort, options.host);
    logger.info({ port: webhookServer.port, metricsPort }, 'webhook serving');
    const running = webhookServer;
    let stopped: Promise<void> | undefined;
    return {
      port: running.port,
      metricsPort,
      stop: () => {
        stopped ??= (async () => {
          stopping = true;
          await running.close();
          healthServer.closeAllConnections();
          await new Promise<void>((resolve) => healthServer.close(() => resolve()));
          await certificateSource.stop();
          logger.info('webhook stopped');
        })();
        return stopped;
      },
    };
  } catch (error: unknown) {
    await webhookServer?.close();
    healthServer.close();
    await certificateSource.stop();
    throw new Error('the webhook could not start', { cause: error });
  }
}
