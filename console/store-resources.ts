/**
 * The Kubernetes objects the reconciler made for a store (DESIGN.md: StatefulSet, Services, ConfigMap, Secrets, PDB,
 * NetworkPolicy, and the StatefulSet's PVCs), found by the store's instance label and read as the user, each with a
 * one-line summary. Secret values are never shown, only their keys. A kind the user may not list is named, not hidden.
 */
import type { KubeClient, KubeObject } from '../kube/client.js';
import { statusCodeOf } from '../kube/errors.js';
import { paths } from '../kube/paths.js';
import { LABEL_INSTANCE } from '../shared/labels.js';

export interface ResourceRow {
  kind: string;
  name: string;
  detail: string;
}

export interface StoreResources {
  rows: ResourceRow[];
  /** kinds the user may not list (RBAC) or the cluster does not serve */
  notShown: string[];
}

type Read = (object: KubeObject) => Record<string, unknown>;
const specOf: Read = (object) => ((object as { spec?: Record<string, unknown> }).spec ?? {});
const statusOf: Read = (object) => ((object as { status?: Record<string, unknown> }).status ?? {});
const keysOf = (map: unknown) => Object.keys((map ?? {}) as Record<string, unknown>).sort().join(', ');

interface KindReader {
  kind: string;
  path: (namespace: string) => string;
  /** Pure. */
  detail: (object: KubeObject) => string;
}

export const KIND_READERS: readonly KindReader[] = [
  {
    kind: 'StatefulSet', path: (namespace) => paths.statefulSets(namespace),
    detail: (object) => `${statusOf(object).readyReplicas ?? 0}/${specOf(object).replicas ?? 0} ready, updates ${(specOf(object).updateStrategy as { type?: string } | undefined)?.type ?? 'RollingUpdate'}`,
  },
  {
    kind: 'Service', path: (namespace) => paths.core('services', namespace),
    detail: (object) => {
      const spec = specOf(object);
      const ports = ((spec.ports ?? []) as Array<{ port?: number; name?: string }>).map((port) => `${port.name ?? ''}${port.name ? ':' : ''}${port.port}`).join(' ');
      return `${spec.type ?? 'ClusterIP'} ${spec.clusterIP ?? ''}${ports ? `, ports ${ports}` : ''}`;
    },
  },
  {
    kind: 'PersistentVolumeClaim', path: (namespace) => paths.core('persistentvolumeclaims', namespace),
    detail: (object) => {
      const capacity = (statusOf(object).capacity as { storage?: string } | undefined)?.storage
        ?? (specOf(object).resources as { requests?: { storage?: string } } | undefined)?.requests?.storage ?? '';
      return `${statusOf(object).phase ?? 'Pending'} ${capacity}${specOf(object).storageClassName ? `, class ${String(specOf(object).storageClassName)}` : ''}`;
    },
  },
  { kind: 'ConfigMap', path: (namespace) => paths.core('configmaps', namespace), detail: (object) => `keys: ${keysOf((object as { data?: unknown }).data)}` },
  {
    kind: 'Secret', path: (namespace) => paths.core('secrets', namespace),
    detail: (object) => `${String((object as { type?: string }).type ?? 'Opaque')}, keys: ${keysOf((object as { data?: unknown }).data)} (values not shown)`,
  },
  {
    kind: 'PodDisruptionBudget', path: (namespace) => `/apis/policy/v1/namespaces/${namespace}/poddisruptionbudgets`,
    detail: (object) => `maxUnavailable ${String(specOf(object).maxUnavailable ?? '')}, ${statusOf(object).disruptionsAllowed ?? 0} disruptions allowed now`,
  },
  { kind: 'NetworkPolicy', path: (namespace) => `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`, detail: () => 'restricts traffic to the pods' },
];

export async function listStoreResources(client: KubeClient, namespace: string, name: string): Promise<StoreResources> {
  const selector = `${LABEL_INSTANCE}=${name}`;
  const perKind = await Promise.all(KIND_READERS.map(async (reader) => {
    try {
      const list = await client.list(reader.path(namespace), selector);
      return { kind: reader.kind, rows: list.items.map((object) => ({ kind: reader.kind, name: object.metadata?.name ?? '', detail: reader.detail(object) })) };
    } catch (error) {
      if ([401, 403, 404].includes(statusCodeOf(error) ?? 0)) return { kind: reader.kind, rows: undefined };
      throw error;
    }
  }));
  return {
    rows: perKind.flatMap((entry) => entry.rows ?? []).sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name)),
    notShown: perKind.filter((entry) => entry.rows === undefined).map((entry) => entry.kind),
  };
}
