/**
 * A component's identity as it has in a cluster: its ServiceAccount with exactly the roles shipped in
 * manifests/rbac/. The manifests are applied with an admin identity, a token is requested for the account
 * (TokenRequest), and a KubeConfig for the same cluster carries that token. The sandbox enforces RBAC, so a
 * component run this way is refused whatever its roles lack, as it would be on a real cluster.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import YAML from 'yaml';
import { applyObject } from '../reconciler/apply/index.js';

export type ManifestComponent = 'reconciler' | 'webhook';

const RBAC_DIR = fileURLToPath(new URL('../manifests/rbac/', import.meta.url));
/** a day: longer than any test run */
const DEFAULT_TOKEN_SECONDS = 86_400;

/** The objects of one file of manifests/rbac/ (`user-roles.yaml`, …). */
export function readManifestObjects(file: string): KubernetesObject[] {
  return YAML.parseAllDocuments(readFileSync(`${RBAC_DIR}${file}`, 'utf8'))
    .map((doc) => doc.toJS() as unknown)
    .filter((object): object is KubernetesObject => typeof object === 'object' && object !== null && 'kind' in object);
}

/** The identity of a component on the cluster `admin` points at: its ServiceAccount's token, its roles applied. */
export async function identityFromManifests(admin: KubeConfig, component: ManifestComponent, options: { tokenSeconds?: number } = {}): Promise<KubeConfig> {
  const objects = [...readManifestObjects('00-namespace.yaml'), ...readManifestObjects(`${component}.yaml`)];
  // server-side apply, as `kubectl apply --server-side` would: idempotent when a component is set up again
  for (const object of objects) await applyObject(admin, object);
  const account = objects.find((o) => o.kind === 'ServiceAccount');
  const name = account?.metadata?.name;
  const namespace = account?.metadata?.namespace;
  if (!name || !namespace) throw new Error(`manifests/rbac/${component}.yaml has no namespaced ServiceAccount`);
  const request = await admin.makeApiClient(CoreV1Api).createNamespacedServiceAccountToken({
    name, namespace, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: options.tokenSeconds ?? DEFAULT_TOKEN_SECONDS } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token in the TokenRequest answer for ${namespace}/${name}`);
  const cluster = admin.getCurrentCluster();
  if (!cluster) throw new Error('the admin KubeConfig has no current cluster');
  const identity = new KubeConfig();
  identity.loadFromOptions({
    clusters: [cluster],
    users: [{ name, token }],
    contexts: [{ name, cluster: cluster.name, user: name, namespace }],
    currentContext: name,
  });
  return identity;
}
