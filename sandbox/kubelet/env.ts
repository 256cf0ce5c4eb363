// Container environment as the kubelet builds it: envFrom, env (with valueFrom), and `$(VAR)` expansion.
import type { V1Container, V1Pod } from '@kubernetes/client-node';

export interface DataSource {
  /** ConfigMap data and binaryData; undefined when the ConfigMap does not exist. */
  configMap(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  /** Secret data, base64-decoded; undefined when the Secret does not exist. */
  secret(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CreateContainerConfigError';
  }
}

/** Reads a downward-API field of a pod (`metadata.name`, `metadata.labels['app']`, `status.podIP`, ...). */
export function readFieldPath(pod: V1Pod, fieldPath: string): string {
  const meta = pod.metadata ?? {};
  const mapRef = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (mapRef) {
    const map = mapRef[1] === 'labels' ? meta.labels : meta.annotations;
    return map?.[mapRef[2]!] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'metadata.labels': return formatMap(meta.labels);
    case 'metadata.annotations': return formatMap(meta.annotations);
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return pod.status?.podIP ?? '';
    case 'status.podIPs': return (pod.status?.podIPs ?? []).map((p) => p.ip).join(',');
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.hostIPs': return (pod.status?.hostIPs ?? []).map((p) => p.ip).join(',');
    default: throw new ConfigError(`unsupported fieldRef fieldPath "${fieldPath}"`);
  }
}

function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {}).sort().map((k) => `${k}="${map![k]}"`).join('\n');
}

/** Kubernetes `$(VAR)` expansion: `$$` escapes, unknown references stay as written. */
export function expandVars(input: string, vars: Record<string, string>): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch === '$' && i + 1 < input.length) {
      const next = input[i + 1];
      if (next === '$') { out += '$'; i++; continue; }
      if (next === '(') {
        const end = input.indexOf(')', i + 2);
        if (end > 0) {
          const name = input.slice(i + 2, end);
          if (Object.prototype.hasOwnProperty.call(vars, name)) out += vars[name];
          else out += input.slice(i, end + 1);
          i = end;
          continue;
        }
      }
    }
    out += ch;
  }
  return out;
}

function resourceValue(container: V1Container, resource: string, divisor: string | undefined): string {
  const [kind, name] = resource.split('.') as ['limits' | 'requests', string];
  const raw = container.resources?.[kind]?.[name];
  if (raw === undefined) return name === 'cpu' ? '1' : String(8 * 1024 ** 3);
  const value = parseQuantity(String(raw));
  const div = divisor ? parseQuantity(divisor) : 1;
  return String(Math.ceil(value / div));
}

const SUFFIX: Record<string, number> = {
  m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
};

export function parseQuantity(q: string): number {
  const m = /^([0-9.]+)([a-zA-Z]*)$/.exec(q.trim());
  if (!m) return Number(q);
  return Number(m[1]) * (SUFFIX[m[2]!] ?? 1);
}

/** Builds the container's environment (Kubernetes variables only; the kubelet adds PATH/HOME/HOSTNAME). */
export async function resolveEnv(pod: V1Pod, container: V1Container, data: DataSource): Promise<Record<string, string>> {
  const namespace = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {};
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef?.name) {
      const cm = await data.configMap(namespace, from.configMapRef.name);
      if (!cm && !from.configMapRef.optional) throw new ConfigError(`configmap "${from.configMapRef.name}" not found`);
      for (const [k, v] of Object.entries(cm ?? {})) env[prefix + k] = v.toString('utf8');
    }
    if (from.secretRef?.name) {
      const secret = await data.secret(namespace, from.secretRef.name);
      if (!secret && !from.secretRef.optional) throw new ConfigError(`secret "${from.secretRef.name}" not found`);
      for (const [k, v] of Object.entries(secret ?? {})) env[prefix + k] = v.toString('utf8');
    }
  }
  for (const item of container.env ?? []) {
    if (item.value !== undefined) {
      env[item.name] = expandVars(item.value, env);
      continue;
    }
    const from = item.valueFrom;
    if (!from) { env[item.name] = ''; continue; }
    if (from.fieldRef) {
      env[item.name] = readFieldPath(pod, from.fieldRef.fieldPath);
    } else if (from.resourceFieldRef) {
      const target = pod.spec?.containers.find((c) => c.name === (from.resourceFieldRef!.containerName || container.name));
      env[item.name] = resourceValue(target ?? container, from.resourceFieldRef.resource, from.resourceFieldRef.divisor as string | undefined);
    } else if (from.configMapKeyRef) {
      const ref = from.configMapKeyRef;
      const cm = await data.configMap(namespace, ref.name ?? '');
      const value = cm?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ConfigError(cm ? `couldn't find key ${ref.key} in ConfigMap ${namespace}/${ref.name}` : `configmap "${ref.name}" not found`);
      }
      env[item.name] = value.toString('utf8');
    } else if (from.secretKeyRef) {
      const ref = from.secretKeyRef;
      const secret = await data.secret(namespace, ref.name ?? '');
      const value = secret?.[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        throw new ConfigError(secret ? `couldn't find key ${ref.key} in Secret ${namespace}/${ref.name}` : `secret "${ref.name}" not found`);
      }
      env[item.name] = value.toString('utf8');
    }
  }
  return env;
}
