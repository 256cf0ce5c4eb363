/**
 * Every default of the KVStore spec (DESIGN.md), including the computed ones, as one pure function. The mutating
 * webhook applies it at admission and the reconciler applies it again defensively (objects created while the
 * webhook was down). It is idempotent: applying it to its own output changes nothing.
 *
 * Decisions beyond DESIGN.md:
 * - `resources` is defaulted as a whole only when absent. When the user sets it, it is theirs: missing cpu/memory
 *   requests are filled only for a resource that has no limit (a defaulted request above a user's limit would make
 *   the pod invalid; Kubernetes itself copies the limit into a missing request), and no limit is added.
 * - `podSecurityContext` and `containerSecurityContext` merge field by field: each field the user sets wins, every
 *   other default stays (setting `readOnlyRootFilesystem: false` must not silently drop `drop: [ALL]` and the rest).
 *   `capabilities` merges by `add`/`drop`; `seccompProfile` is one value (its `localhostProfile` belongs to its
 *   `type`). Two defaults step aside when they would make the pod invalid rather than safer: `runAsNonRoot: true`
 *   when the user asks for root (`runAsUser: 0` or `runAsNonRoot: false` at either level: the kubelet would refuse
 *   to start the container), and `allowPrivilegeEscalation: false` with `privileged: true` or an added
 *   `CAP_SYS_ADMIN` (the API server refuses those pairs; it accepts `SYS_ADMIN`, so that one keeps the default).
 *   Such stores get admission warnings (shared/pod-security.ts).
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
import { isPlainObject, jsonEqual } from './json-value.js';

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

/** True when `podAntiAffinity` is exactly a term this module generates for the store (any mode). */
export function isMaterialisedAntiAffinity(podAntiAffinity: unknown, storeName: string): boolean {
  if (podAntiAffinity === null || typeof podAntiAffinity !== 'object') return false;
  return jsonEqual(podAntiAffinity, buildPodAntiAffinity('preferred', storeName))
    || jsonEqual(podAntiAffinity, buildPodAntiAffinity('required', storeName));
}

function applyAffinity(spec: KVStoreSpec, mode: AntiAffinityMode, storeName: string): void {
  const existing = spec.affinity?.podAntiAffinity;
  if (existing !== undefined && !isMaterialisedAntiAffinity(existing, storeName)) return;
  const generated = buildPodAntiAffinity(mode, storeName);
  if (generated) (spec.affinity ??= {} as V1Affinity).podAntiAffinity = generated;
  else if (spec.affinity) delete spec.affinity.podAntiAffinity;
}

function applyResources(spec: KVStoreSpec): Resources {
  if (spec.resources === undefined) return (spec.resources = clone(DEFAULT_RESOURCES));
  const resources = spec.resources;
  for (const name of ['cpu', 'memory'] as const) {
    if (resources.requests?.[name] === undefined && resources.limits?.[name] === undefined) {
      (resources.requests ??= {})[name] = DEFAULT_RESOURCES.requests[name];
    }
  }
  return resources;
}

function hasConfigKey(config: Record<string, string> | undefined, key: string): boolean {
  return config !== undefined && Object.keys(config).some((k) => k.toLowerCase() === key);
}

/** maxmemory in bytes for a memory limit: MAXMEMORY_SHARE_OF_LIMIT of it, rounded down. */
export function defaultMaxmemoryBytes(memoryLimit: string | number): number {
  return Math.floor(parseMemoryBytes(memoryLimit) * MAXMEMORY_SHARE_OF_LIMIT);
}

function applyConfig(spec: KVStoreSpec, resources: Resources): void {
  const limit = resources.limits?.memory;
  if (limit === undefined || !isQuantity(limit) || hasConfigKey(spec.config, 'maxmemory')) return;
  (spec.config ??= {}).maxmemory = String(defaultMaxmemoryBytes(limit));
}

function applySecrets(spec: KVStoreSpec, storeName: string): void {
  const names = storeObjectNames(storeName);
  const auth = (spec.authentication ??= {});
  auth.enabled ??= true;
  if (auth.enabled) auth.passwordFromSecret ??= { name: names.authSecret, key: DEFAULT_PASSWORD_KEY };
  const tls = (spec.tls ??= {});
  tls.enabled ??= false;
  if (tls.enabled) tls.secretName ??= names.tlsSecret;
}

function applyPdb(spec: KVStoreSpec, replicas: number): void {
  if (spec.pdb?.maxUnavailable !== undefined || spec.pdb?.minAvailable !== undefined || replicas <= 1) return;
  (spec.pdb ??= {}).maxUnavailable = 1;
}


/** The user's value where set (not null), the default elsewhere; `user` itself is filled in (it is a fresh copy). */
function fillFrom(user: Record<string, unknown>, defaults: object): void {
  for (const [key, value] of Object.entries(defaults)) {
    if (user[key] === undefined || user[key] === null) user[key] = clone(value);
    else if (key === 'capabilities' && isPlainObject(user[key]) && isPlainObject(value)) fillFrom(user[key], value);
  }
}

/** What kube-apiserver refuses next to allowPrivilegeEscalation: false (exactly this spelling, validation.go). */
const ESCALATING_CAPABILITY = 'CAP_SYS_ADMIN';

function applySecurityContexts(spec: KVStoreSpec): void {
  const pod = (spec.podSecurityContext ??= {}) as Record<string, unknown>;
  const container = (spec.containerSecurityContext ??= {}) as Record<string, unknown>;
  const podDefaults: Record<string, unknown> = { ...DEFAULT_POD_SECURITY_CONTEXT };
  const containerDefaults: Record<string, unknown> = { ...DEFAULT_CONTAINER_SECURITY_CONTEXT };
  const asksForRoot = [pod, container].some((context) => context.runAsUser === 0 || context.runAsNonRoot === false);
  if (asksForRoot) {
    delete podDefaults.runAsNonRoot;
    delete containerDefaults.runAsNonRoot;
  }
  const added = isPlainObject(container.capabilities) && Array.isArray(container.capabilities.add) ? container.capabilities.add : [];
  if (container.privileged === true || added.includes(ESCALATING_CAPABILITY)) {
    delete containerDefaults.allowPrivilegeEscalation;
  }
  fillFrom(pod, podDefaults);
  fillFrom(container, containerDefaults);
}

/**
 * A new spec with every default of DESIGN.md applied; `spec` itself is not modified. The defaults are filled into
 * one fresh copy in place: no spreads or deletes, which keeps this cheap on the admission hot path.
 */
export function applyKVStoreDefaults(spec: KVStoreSpec | undefined, storeName: string): KVStoreSpec {
  const result: KVStoreSpec = spec ? clone(spec) : {};
  const engine: Engine = (result.engine ??= DEFAULT_ENGINE);
  result.image ??= DEFAULT_IMAGES[engine];
  result.imagePullPolicy ??= DEFAULT_IMAGE_PULL_POLICY;
  const replicas = (result.replicas ??= DEFAULT_REPLICAS);
  const resources = applyResources(result);
  applyConfig(result, resources);
  const persistence = (result.persistence ??= {});
  persistence.enabled ??= true;
  persistence.mode ??= engine === 'dragonfly' ? 'rdb' : 'rdb+aof';
  persistence.size ??= DEFAULT_PERSISTENCE_SIZE;
  persistence.keepAfterDeletion ??= true;
  const snapshot = (result.snapshot ??= {});
  snapshot.dir ??= DEFAULT_SNAPSHOT_DIR;
  snapshot.source ??= 'replica';
  snapshot.onShutdown ??= true;
  applySecrets(result, storeName);
  const antiAffinity = (result.antiAffinity ??= 'preferred');
  applyAffinity(result, antiAffinity, storeName);
  const failover = (result.failover ??= {});
  failover.enabled ??= true;
  failover.downAfterMilliseconds ??= DEFAULT_DOWN_AFTER_MILLISECONDS;
  (result.replication ??= {}).minReplicasToWrite ??= 0;
  const service = (result.service ??= {});
  service.type ??= 'ClusterIP';
  service.readReplicas ??= true;
  applyPdb(result, replicas);
  const exporter = (result.exporter ??= {});
  exporter.enabled ??= false;
  exporter.image ??= DEFAULT_EXPORTER_IMAGE;
  (result.networkPolicy ??= {}).enabled ??= false;
  applySecurityContexts(result);
  result.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  return result;
}
