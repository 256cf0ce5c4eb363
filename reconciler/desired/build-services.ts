/**
 * The three Services of a store:
 * - `S-headless`: stable DNS for every pod (the StatefulSet's serviceName). It publishes not-ready addresses, so a
 *   fenced or syncing pod is still reachable by name for the reconciler and for replication.
 * - `S`: the master, selecting `redwing.dev/role: master`. The reconciler moves the label in the same step as a
 *   promotion, so clients follow the master without a polling delay.
 * - `S-replicas`: read traffic, selecting `redwing.dev/role: replica` (when service.readReplicas).
 */
import type { V1Service, V1ServicePort } from '@kubernetes/client-node';
import { ENGINE_PORT, EXPORTER_PORT } from '../../shared/defaults.js';
import { LABEL_ROLE, storeSelectorLabels, type PodRole } from '../../shared/labels.js';
import { storeObjectNames } from '../../shared/names.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { ENGINE_PORT_NAME, EXPORTER_PORT_NAME } from './constants.js';
import { ownedObjectMeta, resolveStore, type DesiredContext, type ResolvedStore } from './store-context.js';

function enginePort(): V1ServicePort {
  return { name: ENGINE_PORT_NAME, port: ENGINE_PORT, targetPort: ENGINE_PORT_NAME, protocol: 'TCP' };
}

export function buildResolvedHeadlessService(store: ResolvedStore): V1Service {
  const ports = [enginePort()];
  if (store.spec.exporter?.enabled) {
    ports.push({ name: EXPORTER_PORT_NAME, port: EXPORTER_PORT, targetPort: EXPORTER_PORT_NAME, protocol: 'TCP' });
  }
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedObjectMeta(store, storeObjectNames(store.name).headlessService),
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: storeSelectorLabels(store.name),
      ports,
    },
  };
}

function roleService(store: ResolvedStore, name: string, role: PodRole): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedObjectMeta(store, name, store.spec.service?.annotations),
    spec: {
      type: store.spec.service?.type ?? 'ClusterIP',
      selector: { ...storeSelectorLabels(store.name), [LABEL_ROLE]: role },
      ports: [enginePort()],
    },
  };
}

export function buildResolvedMasterService(store: ResolvedStore): V1Service {
  return roleService(store, storeObjectNames(store.name).masterService, 'master');
}

/** The read Service, or undefined when service.readReplicas is off. */
export function buildResolvedReadService(store: ResolvedStore): V1Service | undefined {
  if (store.spec.service?.readReplicas === false) return undefined;
  return roleService(store, storeObjectNames(store.name).readService, 'replica');
}

export interface StoreServices {
  headlessService: V1Service;
  masterService: V1Service;
  readService?: V1Service;
}

export function buildServices(store: KVStore, context: DesiredContext = {}): StoreServices {
  const resolved = resolveStore(store, context);
  const readService = buildResolvedReadService(resolved);
  return {
    headlessService: buildResolvedHeadlessService(resolved),
    masterService: buildResolvedMasterService(resolved),
    ...(readService ? { readService } : {}),
  };
}
