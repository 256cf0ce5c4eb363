/**
 * StatefulSet `S`. Choices that matter:
 * - updateStrategy OnDelete: the reconciler drives rollouts (replicas first, then a switchover), never the
 *   StatefulSet controller.
 * - podManagementPolicy Parallel: pods start together; their order does not matter because every pod boots fenced
 *   and the reconciler assigns roles.
 * - The pod template carries a hash of the restart-relevant engine config, so the StatefulSet revision changes
 *   exactly when pods need a restart (image, resources, args, restart-only settings), and not for live ones.
 * - No service account token, no service links (their REDIS_PORT-style variables confuse engine images).
 */
import type {
  V1PersistentVolumeClaim, V1PodSpec, V1PodTemplateSpec, V1StatefulSet, V1Volume,
} from '@kubernetes/client-node';
import { ANNOTATION_CONFIG_HASH, isOperatorOwnedLabel, storeLabels, storeSelectorLabels } from '../../shared/labels.js';
import { DATA_VOLUME_NAME, storeObjectNames } from '../../shared/names.js';
import type { KVStore, KVStoreSpec } from '../../shared/schema/kvstore.js';
import { renderResolvedEngineConfig, restartConfigHash } from './build-engine-config.js';
import { buildEngineContainer, buildExporterContainer } from './build-containers.js';
import {
  AUTH_PASSWORD_FILE, VOLUME_AUTH, VOLUME_CLIENT_CA, VOLUME_CONFIG, VOLUME_TLS, VOLUME_TMP,
} from './constants.js';
import { ownedObjectMeta, resolveStore, type DesiredContext, type ResolvedStore } from './store-context.js';

function volumes(store: ResolvedStore): V1Volume[] {
  const { spec } = store;
  const result: V1Volume[] = [];
  if (!(spec.persistence?.enabled ?? true)) result.push({ name: DATA_VOLUME_NAME, emptyDir: {} });
  result.push(
    { name: VOLUME_CONFIG, configMap: { name: storeObjectNames(store.name).configMap, defaultMode: 0o444 } },
    { name: VOLUME_TMP, emptyDir: {} },
  );
  const auth = spec.authentication?.enabled === false ? undefined : spec.authentication?.passwordFromSecret;
  if (auth) {
    // Group-readable only when fsGroup makes the engine's group own the file.
    const defaultMode = spec.podSecurityContext?.fsGroup !== undefined ? 0o440 : 0o444;
    result.push({ name: VOLUME_AUTH, secret: { secretName: auth.name, items: [{ key: auth.key, path: AUTH_PASSWORD_FILE }], defaultMode } });
  }
  if (spec.tls?.enabled && spec.tls.secretName) {
    result.push({ name: VOLUME_TLS, secret: { secretName: spec.tls.secretName, defaultMode: 0o440 } });
  }
  if (spec.tls?.enabled && spec.tls.clientCaSecretName) {
    // The bundle the reconciler builds from the user's client CA, the serving CA and the operator CA (client-certificates.ts).
    result.push({ name: VOLUME_CLIENT_CA, secret: { secretName: storeObjectNames(store.name).clientCaBundleSecret, items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
  }
  return result;
}

function userPodLabels(spec: KVStoreSpec): Record<string, string> {
  return Object.fromEntries(Object.entries(spec.podMetadata?.labels ?? {}).filter(([key]) => !isOperatorOwnedLabel(key)));
}

function podSpec(store: ResolvedStore): V1PodSpec {
  const { spec } = store;
  const exporter = buildExporterContainer(store);
  const pod: V1PodSpec = {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
    containers: exporter ? [buildEngineContainer(store), exporter] : [buildEngineContainer(store)],
    volumes: volumes(store),
  };
  if (spec.podSecurityContext) pod.securityContext = structuredClone(spec.podSecurityContext);
  if (spec.affinity && Object.keys(spec.affinity).length > 0) pod.affinity = structuredClone(spec.affinity);
  if (spec.nodeSelector && Object.keys(spec.nodeSelector).length > 0) pod.nodeSelector = { ...spec.nodeSelector };
  if (spec.tolerations?.length) pod.tolerations = structuredClone(spec.tolerations);
  if (spec.topologySpreadConstraints?.length) pod.topologySpreadConstraints = structuredClone(spec.topologySpreadConstraints);
  if (spec.priorityClassName) pod.priorityClassName = spec.priorityClassName;
  if (spec.imagePullSecrets?.length) pod.imagePullSecrets = structuredClone(spec.imagePullSecrets);
  return pod;
}

export function buildPodTemplate(store: ResolvedStore): V1PodTemplateSpec {
  const annotations = {
    ...store.spec.podMetadata?.annotations,
    [ANNOTATION_CONFIG_HASH]: restartConfigHash(store.engine, renderResolvedEngineConfig(store)),
  };
  return {
    metadata: { labels: { ...userPodLabels(store.spec), ...storeLabels(store.name) }, annotations },
    spec: podSpec(store),
  };
}

export function buildDataClaimTemplate(store: ResolvedStore): V1PersistentVolumeClaim {
  const persistence = store.spec.persistence ?? {};
  const claim: V1PersistentVolumeClaim = {
    metadata: { name: DATA_VOLUME_NAME, labels: storeLabels(store.name) },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: String(persistence.size ?? '1Gi') } },
    },
  };
  if (persistence.storageClassName) claim.spec!.storageClassName = persistence.storageClassName;
  return claim;
}

export function buildResolvedStatefulSet(store: ResolvedStore): V1StatefulSet {
  const names = storeObjectNames(store.name);
  const statefulSet: V1StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: ownedObjectMeta(store, names.statefulSet),
    spec: {
      replicas: store.spec.replicas,
      serviceName: names.headlessService,
      podManagementPolicy: 'Parallel',
      updateStrategy: { type: 'OnDelete' },
      selector: { matchLabels: storeSelectorLabels(store.name) },
      template: buildPodTemplate(store),
    },
  };
  if (store.spec.persistence?.enabled ?? true) statefulSet.spec!.volumeClaimTemplates = [buildDataClaimTemplate(store)];
  return statefulSet;
}

export function buildStatefulSet(store: KVStore, context: DesiredContext = {}): V1StatefulSet {
  return buildResolvedStatefulSet(resolveStore(store, context));
}
