/** client-node's KubeConfig for the commands whose clients need one (webhook, start). */
import { KubeConfig } from '@kubernetes/client-node';

export { configuredKubeconfigPath, isInCluster } from './cluster-choice.js';

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
