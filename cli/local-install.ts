/**
 * What `redwing start` installs into a fresh sandbox before the operator runs: the CRDs, the operator namespace,
 * and the webhook configurations of manifests/webhook/ pointed at the webhook process on this machine. A `url:`
 * client config is used instead of the manifests' `service:` one because the webhook runs as a host process here,
 * not as a pod behind a Service; its certificate is valid for 127.0.0.1 for exactly this reason.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiextensionsV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { buildCrdManifests } from '../shared/crds.js';
import { applyObject } from '../reconciler/apply/index.js';

const WEBHOOK_CONFIGURATIONS_FILE = fileURLToPath(new URL('../manifests/webhook/webhook-configurations.yaml', import.meta.url));
const CRD_ESTABLISHED_TIMEOUT_MS = 30_000;

interface WebhookEntry { clientConfig?: Record<string, unknown> }

/** The manifests' webhook configurations, with every webhook called at `baseUrl` and trusting `caBundlePem`. */
export function buildLocalWebhookConfigurations(baseUrl: string, caBundlePem: string): KubernetesObject[] {
  const documents = parseAllDocuments(readFileSync(WEBHOOK_CONFIGURATIONS_FILE, 'utf8')).map((doc) => doc.toJS() as KubernetesObject & { webhooks?: WebhookEntry[] });
  return documents.filter(Boolean).map((configuration) => ({
    ...configuration,
    webhooks: (configuration.webhooks ?? []).map((webhook) => {
      const path = (webhook.clientConfig?.service as { path?: string } | undefined)?.path ?? '/';
      return { ...webhook, clientConfig: { url: `${baseUrl}${path}`, caBundle: Buffer.from(caBundlePem).toString('base64') } };
    }),
  }));
}

async function waitForCrdsEstablished(kubeConfig: KubeConfig, names: string[]): Promise<void> {
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const deadline = Date.now() + CRD_ESTABLISHED_TIMEOUT_MS;
  for (const name of names) {
    for (;;) {
      const crd = await api.readCustomResourceDefinition({ name });
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new Error(`CRD ${name} was not Established within ${CRD_ESTABLISHED_TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export async function installIntoSandbox(kubeConfig: KubeConfig, options: { webhookBaseUrl: string; caBundlePem: string; operatorNamespace: string }): Promise<void> {
  const crds = Object.values(buildCrdManifests());
  for (const crd of crds) await applyObject(kubeConfig, crd as KubernetesObject);
  await waitForCrdsEstablished(kubeConfig, crds.map((crd) => crd.metadata!.name!));
  await applyObject(kubeConfig, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: options.operatorNamespace } });
  for (const configuration of buildLocalWebhookConfigurations(options.webhookBaseUrl, options.caBundlePem)) {
    await applyObject(kubeConfig, configuration);
  }
}
