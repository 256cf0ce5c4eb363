/** Which cluster a command talks to (see docs/decisions.md, "No cluster configured"). */
import { KubeConfig } from '@kubernetes/client-node';

/** The kubeconfig path the user configured explicitly, or undefined when no cluster is configured. */
export function configuredKubeconfigPath(flag: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (typeof flag === 'string' && flag !== '') return flag;
  if (env.KUBECONFIG) return env.KUBECONFIG;
  return undefined;
}

export function isInCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST);
}

export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
