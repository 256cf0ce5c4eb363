/**
 * Every default of the KVStore spec (DESIGN.md), including the computed ones, as one pure function. The mutating
 * webhook applies it at admission and the reconciler applies it again defensively (objects created while the
 * webhook was down). It is idempotent: applying it to its own output changes nothing.
 *
 * Decisions beyond DESIGN.md:
 * - `resources` is defaulted as a whole only when absent. When the user sets it, it is theirs: missing cpu/memory
 *   requests are filled only for a resource that has no limit (a defaulted request above a user's limit would make
 *   the pod invalid; Kubernetes itself copies the limit into a missing request), and no limit is added.
 * - `podSecurityContext` and `containerSecurityContext` are defaulted as a whole only when absent, so a user who
 *   sets e.g. `runAsUser: 0` does not also get `runAsNonRoot: true` and a pod that cannot start.
 * - Anti-affinity is materialised unless `affinity.podAntiAffinity` is set. A term this function generated itself
 *   (recognised by its exact shape) counts as not set, so switching `antiAffinity` later re-materialises it.
 * - persistence, snapshot, failover, replication, service, exporter and networkPolicy sub-objects are always
 *   present after defaulting, so consumers never need their own fallbacks.
 */
import type { V1Affinity, V1PodAntiAffinity, V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';
import type { Engine, KVStoreSpec } from './schema/kvstore.js';
import {
  ANTI_AFFINITY_WEIGHT, DEFAULT_DOWN_AFTER_MILLISECONDS, DEFAULT_ENGINE, DEFAULT_EXPORTER_IMAGE, DEFAULT_IMAGES,
  DEFAULT_IMAGE_PULL_POLICY, DEFAULT_PASSWORD_KEY, DEFAULT_PERSISTENCE_SIZE, DEFAULT_REPLICAS, DEFAULT_RESOURCES,
  DEFAULT_RUN_AS_USER, DEFAULT_SNAPSHOT_DIR, DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS, HOSTNAME_TOPOLOGY_KEY,
  MAXMEMORY_SHARE_OF_LIMIT,
} from './defaults.js';
import { storeSelectorLabels } from './labels.js';
import { storeObjectNames } from './names.js';
import { isQuantity, parseMemoryBytes } from './quantity.js';

export type AntiAffinityMode = NonNullable<KVStoreSpec['antiAffinity']>;
type Resources = NonNullable<KVStoreSpec['resources']>;

export const DEFAULT_POD_SECURITY_CONTEXT: V1PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: DEFAULT_RUN_AS_USER,
  runAsGroup: DEFAULT_RUN_AS_USER,
  fsGroup: DEFAULT_RUN_AS_USER,
  seccompProfile: { type: 'RuntimeDefault' },
};

export const DEFAULT_CONTAINER_SECURITY_CONTEXT: V1SecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
};

/** Deep copy of plain JSON data; several times faster than structuredClone on small specs (admission hot path). */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) copy[key] = clone(item);
  return copy as T;
}

/** The podAntiAffinity the webhook materialises for `mode` (undefined for `none`). */
export function buildPodAntiAffinity(mode: AntiAffinityMode, storeName: string): V1PodAntiAffinity | undefined {
  const term = { labelSelector: { matchLabels: storeSelectorLabels(storeName) }, topologyKey: HOSTNAME_TOPOLOGY_KEY };
  if (mode === 'preferred') {
    return { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: ANTI_AFFINITY_WEIGHT, podAffinityTerm: term }] };
  }
  if (mode === 'required') return { requiredDuringSchedulingIgnoredDuringExecution: [term] };
  return undefined;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** True when `podAntiAffinity` is exactly a term this module generates for the store (any mode). */
export function isMaterialisedAntiAffinity(podAntiAffinity: unknown, storeName: string): boolean {
  return sameJson(podAntiAffinity, buildPodAntiAffinity('preferred', storeName))
    || sameJson(podAntiAffinity, buildPodAntiAffinity('required', storeName));
}

function defaultAffinity(spec: KVStoreSpec, mode: AntiAffinityMode, storeName: string): V1Affinity | undefined {
  const affinity = spec.affinity ? clone(spec.affinity) : undefined;
  const existing = affinity?.podAntiAffinity;
  if (existing !== undefined && !isMaterialisedAntiAffinity(existing, storeName)) return affinity;
  const generated = buildPodAntiAffinity(mode, storeName);
  if (generated) return { ...affinity, podAntiAffinity: generated };
  if (affinity) delete affinity.podAntiAffinity;
  return affinity;
}

function defaultResources(resources: Resources | undefined): Resources {
  if (resources === undefined) return clone(DEFAULT_RESOURCES);
  const result = clone(resources);
  const requests = { ...result.requests };
  for (const name of ['cpu', 'memory'] as const) {
    if (requests[name] === undefined && result.limits?.[name] === undefined) requests[name] = DEFAULT_RESOURCES.requests[name];
  }
  if (Object.keys(requests).length > 0) result.requests = requests;
  return result;
}

function hasConfigKey(config: Record<string, string> | undefined, key: string): boolean {
  return config !== undefined && Object.keys(config).some((k) => k.toLowerCase() === key);
}

/** maxmemory in bytes for a memory limit: MAXMEMORY_SHARE_OF_LIMIT of it, rounded down. */
export function defaultMaxmemoryBytes(memoryLimit: string | number): number {
  return Math.floor(parseMemoryBytes(memoryLimit) * MAXMEMORY_SHARE_OF_LIMIT);
}

function defaultConfig(config: Record<string, string> | undefined, resources: Resources): Record<string, string> | undefined {
  const limit = resources.limits?.memory;
  if (limit === undefined || !isQuantity(limit) || hasConfigKey(config, 'maxmemory')) return config ? { ...config } : undefined;
  return { ...config, maxmemory: String(defaultMaxmemoryBytes(limit)) };
}

function defaultAuthentication(auth: KVStoreSpec['authentication'], storeName: string): NonNullable<KVStoreSpec['authentication']> {
  const enabled = auth?.enabled ?? true;
  const result = { ...clone(auth), enabled };
  if (enabled && result.passwordFromSecret === undefined) {
    result.passwordFromSecret = { name: storeObjectNames(storeName).authSecret, key: DEFAULT_PASSWORD_KEY };
  }
  return result;
}

function defaultTls(tls: KVStoreSpec['tls'], storeName: string): NonNullable<KVStoreSpec['tls']> {
  const enabled = tls?.enabled ?? false;
  const result = { ...clone(tls), enabled };
  if (enabled && result.secretName === undefined) result.secretName = storeObjectNames(storeName).tlsSecret;
  return result;
}

function defaultPdb(pdb: KVStoreSpec['pdb'], replicas: number): KVStoreSpec['pdb'] {
  if (pdb?.maxUnavailable !== undefined || pdb?.minAvailable !== undefined) return clone(pdb);
  if (replicas > 1) return { ...pdb, maxUnavailable: 1 };
  return pdb ? clone(pdb) : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) if (value[key] === undefined) delete value[key];
  return value;
}

/** A new spec with every default of DESIGN.md applied; `spec` itself is not modified. */
export function applyKVStoreDefaults(spec: KVStoreSpec | undefined, storeName: string): KVStoreSpec {
  const input: KVStoreSpec = spec ? clone(spec) : {};
  const engine: Engine = input.engine ?? DEFAULT_ENGINE;
  const replicas = input.replicas ?? DEFAULT_REPLICAS;
  const antiAffinity: AntiAffinityMode = input.antiAffinity ?? 'preferred';
  const resources = defaultResources(input.resources);
  const result: KVStoreSpec = {
    ...input,
    engine,
    image: input.image ?? DEFAULT_IMAGES[engine],
    imagePullPolicy: input.imagePullPolicy ?? DEFAULT_IMAGE_PULL_POLICY,
    replicas,
    resources,
    config: defaultConfig(input.config, resources),
    persistence: {
      ...input.persistence,
      enabled: input.persistence?.enabled ?? true,
      mode: input.persistence?.mode ?? (engine === 'dragonfly' ? 'rdb' : 'rdb+aof'),
      size: input.persistence?.size ?? DEFAULT_PERSISTENCE_SIZE,
      keepAfterDeletion: input.persistence?.keepAfterDeletion ?? true,
    },
    snapshot: {
      ...input.snapshot,
      dir: input.snapshot?.dir ?? DEFAULT_SNAPSHOT_DIR,
      source: input.snapshot?.source ?? 'replica',
      onShutdown: input.snapshot?.onShutdown ?? true,
    },
    authentication: defaultAuthentication(input.authentication, storeName),
    tls: defaultTls(input.tls, storeName),
    antiAffinity,
    affinity: defaultAffinity(input, antiAffinity, storeName),
    failover: {
      ...input.failover,
      enabled: input.failover?.enabled ?? true,
      downAfterMilliseconds: input.failover?.downAfterMilliseconds ?? DEFAULT_DOWN_AFTER_MILLISECONDS,
    },
    replication: { ...input.replication, minReplicasToWrite: input.replication?.minReplicasToWrite ?? 0 },
    service: {
      ...input.service,
      type: input.service?.type ?? 'ClusterIP',
      readReplicas: input.service?.readReplicas ?? true,
    },
    pdb: defaultPdb(input.pdb, replicas),
    exporter: {
      ...input.exporter,
      enabled: input.exporter?.enabled ?? false,
      image: input.exporter?.image ?? DEFAULT_EXPORTER_IMAGE,
    },
    networkPolicy: { ...input.networkPolicy, enabled: input.networkPolicy?.enabled ?? false },
    podSecurityContext: input.podSecurityContext ?? clone(DEFAULT_POD_SECURITY_CONTEXT),
    containerSecurityContext: input.containerSecurityContext ?? clone(DEFAULT_CONTAINER_SECURITY_CONTEXT),
    terminationGracePeriodSeconds: input.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  };
  return withoutUndefined(result);
}
