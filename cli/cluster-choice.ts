/**
 * Which cluster a command talks to (see docs/decisions.md, "No cluster configured"). Apart from kubeconfig.ts so
 * that `redwing reconciler` can decide without loading @kubernetes/client-node.
 */

/** The kubeconfig path the user configured explicitly, or undefined when no cluster is configured. */
export function configuredKubeconfigPath(flag: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (typeof flag === 'string' && flag !== '') return flag;
  if (env.KUBECONFIG) return env.KUBECONFIG;
  return undefined;
}

export function isInCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST);
}
