/** client-node's generic object client, for tests that set up or edit objects independently of the apply layer. */
import { KubernetesObjectApi, type KubeConfig } from '@kubernetes/client-node';

const clients = new WeakMap<KubeConfig, KubernetesObjectApi>();

export function objectApi(kubeConfig: KubeConfig): KubernetesObjectApi {
  let api = clients.get(kubeConfig);
  if (!api) {
    api = KubernetesObjectApi.makeApiClient(kubeConfig);
    clients.set(kubeConfig, api);
  }
  return api;
}
