import { KubeClient } from '../kube/client.js';
import type { ClusterSource } from '../kube/cluster-access.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { describeCertificate, serviceDnsNames } from './authority.js';
import { CaBundleInjector, DEFAULT_WEBHOOK_CONFIGURATION_NAME } from './ca-bundle-injector.js';
import type { CertificateSource } from './certificate-source.js';
import { MaterialHolder } from './material-holder.js';
import { createInitialState, defaultRotationPolicy, generateKeysFor, startRotationDriver, type RotationPolicy } from './rotation.js';
import { DEFAULT_TLS_SECRET_NAME, TlsSecretStore } from './secret-store.js';
import type { WebhookTlsState } from './tls-state.js';

export interface ClusterSourceOptions {
  /** client-node's KubeConfig, or a ClusterAccess (kube/cluster-access.ts) */
  kubeConfig: ClusterSource;
  namespace: string;
  service: string;
  /** default `redwing-webhook-tls` */
  secretName?: string;
  /** names of both the Mutating- and the ValidatingWebhookConfiguration (default `redwing-webhook`) */
  webhookConfigurationName?: string;
  caValidityMs?: number;
  servingValidityMs?: number;
  logger?: Logger;
  /** further rotation knobs (backdating, overlap, settle time), mostly for tests with lifetimes of seconds */
  rotation?: Partial<Omit<RotationPolicy, 'dnsNames'>>;
  /** extra SANs besides the service names, e.g. `localhost` when the API server calls a `url:` webhook */
  extraDnsNames?: string[];
  /** upper bound between two reads of the Secret (default 30s) */
  refreshIntervalMs?: number;
  /** upper bound between two full checks of the webhook configurations (default 60s) */
  resyncIntervalMs?: number;
}

/**
 * Certificates kept in Secret `redwing-webhook-tls`: loaded or created on start, CA bundle injected into our webhook
 * configurations, serving certificate renewed and CA rotated (with overlap) on a timer.
 */
export async function createClusterSource(options: ClusterSourceOptions): Promise<CertificateSource> {
  const logger = options.logger ?? createLogger('certs');
  const client = new KubeClient(options.kubeConfig);
  const store = new TlsSecretStore({
    client,
    namespace: options.namespace,
    secretName: options.secretName ?? DEFAULT_TLS_SECRET_NAME,
    logger,
  });
  const policy = defaultRotationPolicy({
    caCommonName: `${options.service}-ca`,
    servingCommonName: `${options.service}.${options.namespace}.svc`,
    ...options.rotation,
    dnsNames: [...serviceDnsNames(options.service, options.namespace), ...(options.extraDnsNames ?? [])],
    ...(options.caValidityMs !== undefined ? { caValidityMs: options.caValidityMs } : {}),
    ...(options.servingValidityMs !== undefined ? { servingValidityMs: options.servingValidityMs } : {}),
  });

  const holder = new MaterialHolder((error) => logger.error({ err: error }, 'certificate change listener failed'));
  let injector: CaBundleInjector | undefined;
  let lastState: WebhookTlsState | undefined;
  let signingCaPem = '';
  const publish = (state: WebhookTlsState): void => {
    lastState = state;
    signingCaPem = state.ca.certPem;
    const bundleChanged = holder.loaded() && holder.current().caBundlePem !== state.caBundlePem;
    if (holder.set({ certPem: state.serving.certPem, keyPem: state.serving.keyPem, caBundlePem: state.caBundlePem })) {
      const described = describeCertificate(state.serving.certPem);
      logger.info({ notAfter: described.notAfter.toISOString(), issuer: described.issuerCommonName }, 'webhook serving certificate material loaded');
    }
    if (bundleChanged) void injector?.reconcile();
  };
  const loadStored = async (): Promise<WebhookTlsState> => {
    const stored = await store.load();
    if (stored) return stored.state;
    // Someone deleted the Secret: put back what we serve and the webhooks trust, rather than a new CA they don't.
    const known = lastState;
    if (!known) throw new Error(`Secret ${options.namespace}/${store.secretName} does not exist`);
    logger.warn({ secret: store.secretName }, 'webhook TLS Secret was deleted; restoring it');
    return (await store.loadOrCreate(() => known)).state;
  };

  // Usually the Secret exists already; when it does not, make its keys off the event loop.
  try {
    const keys = (await store.load().catch(() => undefined)) ? {} : await generateKeysFor('initial');
    const initial = await store.loadOrCreate(() => createInitialState(policy, new Date(), keys));
    publish(initial.state);
  } catch (error: unknown) {
    client.close();
    throw error;
  }

  const configurationName = options.webhookConfigurationName ?? DEFAULT_WEBHOOK_CONFIGURATION_NAME;
  injector = new CaBundleInjector({
    client,
    mutatingWebhookConfigurations: [configurationName],
    validatingWebhookConfigurations: [configurationName],
    // The Secret is the truth: a replica with a stale copy must not inject an outdated bundle.
    desiredBundle: async () => {
      const state = await loadStored();
      publish(state);
      return state.caBundlePem;
    },
    logger,
    ...(options.resyncIntervalMs !== undefined ? { resyncIntervalMs: options.resyncIntervalMs } : {}),
  });
  const activeInjector = injector;

  const driver = startRotationDriver({
    ports: {
      load: loadStored,
      update: async (mutate) => (await store.update(mutate)).state,
      bundleInjectedSince: (bundlePem) => activeInjector.injectedSince(bundlePem),
      publish,
    },
    policy,
    ...(options.refreshIntervalMs !== undefined ? { refreshIntervalMs: options.refreshIntervalMs } : {}),
    onError: (error) => logger.warn({ err: error }, 'certificate rotation check failed; will retry'),
    onAction: (action) => logger.info({ action: action.kind, ...('reason' in action ? { reason: action.reason } : {}) }, 'certificate rotation step'),
  });
  const unsubscribe = activeInjector.onStatusChange(() => driver.kick());
  try {
    await activeInjector.start();
    // One full check before serving: fixes a stored serving cert that lacks our names or is due.
    await driver.tick();
  } catch (error: unknown) {
    unsubscribe();
    await Promise.all([driver.stop(), activeInjector.stop()]);
    client.close();
    throw error;
  }

  return {
    current: () => holder.current(),
    onChange: (listener) => holder.onChange(listener),
    // Ready while every webhook trusts the CA of the certificate we serve: true throughout a rotation's overlap,
    // false when someone wiped caBundle (until re-injected) or a configuration is missing.
    isReady: () => holder.loaded() && activeInjector.trusts(signingCaPem),
    stop: async () => {
      unsubscribe();
      await Promise.all([driver.stop(), activeInjector.stop()]);
      client.close();
    },
  };
}
