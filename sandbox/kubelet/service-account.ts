// What a pod sees of its ServiceAccount, as a real cluster gives it: the `kube-api-access-*` projected volume at
// /var/run/secrets/kubernetes.io/serviceaccount (a TokenRequest-issued token bound to the pod, the cluster CA from
// the `kube-root-ca.crt` ConfigMap, the namespace), and KUBERNETES_SERVICE_HOST/PORT, so a program that loads the
// in-cluster configuration (client-go's rest.InClusterConfig, kube/cluster-access.ts) reaches the API server as
// its own ServiceAccount.
//
// kube-apiserver's ServiceAccount admission plugin adds that volume to the pod spec on create; the sandbox API
// server does not, so this kubelet adds it when the spec lacks it (a pod created through a real API server already
// carries it and is run as it is).
import type { V1Container, V1Pod, V1Volume, V1VolumeMount } from '@kubernetes/client-node';

export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
/** kube-apiserver's lifetime for the admission-added token (an hour plus 7 s, so a client can tell it apart). */
export const DEFAULT_TOKEN_SECONDS = 3607;
const VOLUME_NAME = 'kube-api-access-sandbox';

/** The projected volume the ServiceAccount admission plugin adds (plugin/pkg/admission/serviceaccount). */
export function kubeApiAccessVolume(): V1Volume {
  return {
    name: VOLUME_NAME,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: DEFAULT_TOKEN_SECONDS, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  };
}

function mountsServiceAccountPath(container: V1Container): boolean {
  return (container.volumeMounts ?? []).some((mount) => mount.mountPath.replace(/\/+$/, '') === SERVICE_ACCOUNT_MOUNT_PATH);
}

/**
 * The pod as the admission plugin would have stored it: with `automountServiceAccountToken` not false and no volume
 * mounted at the ServiceAccount path, every container (init containers too) gets the kube-api-access volume
 * read-only at that path. Pure: returns a new pod, or the same one when nothing is added.
 */
export function withServiceAccountVolume(pod: V1Pod, accountAutomount: boolean | undefined = undefined): V1Pod {
  const spec = pod.spec;
  if (!spec) return pod;
  const automount = spec.automountServiceAccountToken ?? accountAutomount ?? true;
  if (!automount) return pod;
  if ((spec.volumes ?? []).some((volume) => volume.name.startsWith('kube-api-access-'))) return pod;
  const mount: V1VolumeMount = { name: VOLUME_NAME, mountPath: SERVICE_ACCOUNT_MOUNT_PATH, readOnly: true };
  const addMount = (container: V1Container): V1Container =>
    mountsServiceAccountPath(container) ? container : { ...container, volumeMounts: [...(container.volumeMounts ?? []), mount] };
  return {
    ...pod,
    spec: {
      ...spec,
      volumes: [...(spec.volumes ?? []), kubeApiAccessVolume()],
      containers: spec.containers.map(addMount),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(addMount) } : {}),
    },
  };
}

/** The `kubernetes` Service variables every container gets (the kubelet's service links for default/kubernetes). */
export function kubernetesServiceEnv(apiServerUrl: string): Record<string, string> {
  const url = new URL(apiServerUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port || '443';
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://${hostPart}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP`]: `tcp://${hostPart}:${port}`,
    [`KUBERNETES_PORT_${port}_TCP_PROTO`]: 'tcp',
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: port,
    [`KUBERNETES_PORT_${port}_TCP_ADDR`]: host,
  };
}

export interface IssuedToken {
  token: string;
  /** When the kubelet asks for a new one: at 80% of its lifetime, as the kubelet's token manager does. */
  refreshAtMs: number;
}

export type TokenRequester = (namespace: string, serviceAccount: string, body: unknown) => Promise<{ status?: { token?: string; expirationTimestamp?: string | Date } }>;

/**
 * Tokens for pods' serviceAccountToken projections, from TokenRequest bound to the pod (so a deleted pod's token
 * stops working), cached per pod, audience and lifetime until 80% of the lifetime has passed.
 */
export class PodTokenCache {
  private readonly tokens = new Map<string, IssuedToken>();

  constructor(private readonly request: TokenRequester, private readonly now: () => number = Date.now) {}

  async tokenFor(pod: V1Pod, audience: string | undefined, expirationSeconds: number | undefined): Promise<string> {
    const uid = pod.metadata?.uid ?? '';
    const key = `${uid}|${audience ?? ''}|${expirationSeconds ?? DEFAULT_TOKEN_SECONDS}`;
    const cached = this.tokens.get(key);
    if (cached && this.now() < cached.refreshAtMs) return cached.token;
    const namespace = pod.metadata?.namespace ?? 'default';
    const account = pod.spec?.serviceAccountName || 'default';
    const issuedAt = this.now();
    const response = await this.request(namespace, account, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        ...(audience ? { audiences: [audience] } : {}),
        expirationSeconds: expirationSeconds ?? DEFAULT_TOKEN_SECONDS,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid },
      },
    });
    const token = response.status?.token;
    if (!token) throw new Error(`TokenRequest for serviceaccount "${namespace}/${account}" returned no token`);
    const expires = response.status?.expirationTimestamp ? new Date(response.status.expirationTimestamp).getTime() : issuedAt + (expirationSeconds ?? DEFAULT_TOKEN_SECONDS) * 1000;
    this.tokens.set(key, { token, refreshAtMs: issuedAt + 0.8 * (expires - issuedAt) });
    return token;
  }

  /** Forgets a pod's tokens (the pod is gone). */
  forget(podUid: string): void {
    for (const key of [...this.tokens.keys()]) if (key.startsWith(`${podUid}|`)) this.tokens.delete(key);
  }
}
