/**
 * The Kubernetes API the certs integration tests talk to, plus helpers that act like other cluster users
 * (kubectl apply of the webhook manifests, someone resetting caBundle) through @kubernetes/client-node.
 */
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1MutatingWebhookConfiguration,
  type V1ValidatingWebhookConfiguration,
} from '@kubernetes/client-node';
import { KubeClient } from '../../kube/client.js';
import { startTestApiServer } from '../helpers/api-server.js';
import { startFakeKube, type FakeKube } from './fake-kube.js';
import { isConflict } from '../../kube/errors.js';

export interface KubeHarness {
  kubeConfig: KubeConfig;
  /** what certs/ talks through, on the same kubeconfig */
  client: KubeClient;
  core: CoreV1Api;
  admission: AdmissionregistrationV1Api;
  /** only with the in-test fake: fault injection */
  fake?: FakeKube;
  stop(): Promise<void>;
}

/**
 * The sandbox API server (real HTTPS, real resourceVersion/409 semantics, real admission calls) by default;
 * `{ fake: true }` gives the in-test fake, which can also drop watch streams on demand.
 */
export async function startKube(options: { fake?: boolean; namespaces?: string[] } = {}): Promise<KubeHarness> {
  let harness: KubeHarness;
  if (options.fake) {
    const fake = await startFakeKube();
    const client = new KubeClient(fake.kubeConfig);
    harness = {
      kubeConfig: fake.kubeConfig,
      client,
      core: fake.kubeConfig.makeApiClient(CoreV1Api),
      admission: fake.kubeConfig.makeApiClient(AdmissionregistrationV1Api),
      fake,
      stop: async () => {
        client.close();
        await fake.stop();
      },
    };
  } else {
    const { kubeConfig, stop } = await startTestApiServer({ dirPrefix: 'redwing-certs-kube-' });
    const client = new KubeClient(kubeConfig);
    harness = {
      kubeConfig,
      client,
      core: kubeConfig.makeApiClient(CoreV1Api),
      admission: kubeConfig.makeApiClient(AdmissionregistrationV1Api),
      stop: async () => {
        client.close();
        await stop();
      },
    };
    for (const name of options.namespaces ?? ['redwing-system']) {
      await harness.core.createNamespace({ body: { metadata: { name } } });
    }
  }
  return harness;
}

function webhook(name: string, path: string): { name: string; clientConfig: { service: { name: string; namespace: string; path: string } }; admissionReviewVersions: string[]; sideEffects: string } {
  return {
    name,
    clientConfig: { service: { name: 'redwing-webhook', namespace: 'redwing-system', path } },
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
  };
}

/** What `kubectl apply -f manifests/webhook` would create: two webhooks each, caBundle empty. */
export async function applyWebhookConfigurations(harness: KubeHarness, name = 'redwing-webhook'): Promise<void> {
  const mutating: V1MutatingWebhookConfiguration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [webhook('kvstores.mutate.redwing.dev', '/mutate/kvstore'), webhook('kvstores2.mutate.redwing.dev', '/mutate/kvstore')],
  };
  const validating: V1ValidatingWebhookConfiguration = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name },
    webhooks: [webhook('kvstores.validate.redwing.dev', '/validate/kvstore'), webhook('kvpolicies.validate.redwing.dev', '/validate/kvpolicy')],
  };
  await harness.admission.createMutatingWebhookConfiguration({ body: mutating });
  await harness.admission.createValidatingWebhookConfiguration({ body: validating });
}

/** The decoded caBundle of every webhook of both configurations. */
export async function injectedBundles(harness: KubeHarness, name = 'redwing-webhook'): Promise<string[]> {
  const bundles: string[] = [];
  const mutating = await harness.admission.readMutatingWebhookConfiguration({ name });
  const validating = await harness.admission.readValidatingWebhookConfiguration({ name });
  for (const w of [...(mutating.webhooks ?? []), ...(validating.webhooks ?? [])]) {
    bundles.push(Buffer.from(w.clientConfig.caBundle ?? '', 'base64').toString('utf8'));
  }
  return bundles;
}

/** Someone (a re-apply of the manifests) wipes caBundle from every webhook of both configurations. */
export async function resetCaBundles(harness: KubeHarness, name = 'redwing-webhook'): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      const mutating = await harness.admission.readMutatingWebhookConfiguration({ name });
      for (const w of mutating.webhooks ?? []) delete w.clientConfig.caBundle;
      await harness.admission.replaceMutatingWebhookConfiguration({ name, body: mutating });
      const validating = await harness.admission.readValidatingWebhookConfiguration({ name });
      for (const w of validating.webhooks ?? []) delete w.clientConfig.caBundle;
      await harness.admission.replaceValidatingWebhookConfiguration({ name, body: validating });
      return;
    } catch (error: unknown) {
      if (!isConflict(error)) throw error;
    }
  }
  throw new Error('could not reset caBundle');
}
