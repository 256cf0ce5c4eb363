// The sandbox's kube-controller-manager: StatefulSet, Endpoints/EndpointSlice, garbage collector, namespace,
// PersistentVolume and disruption controllers, each a client of the API server through the kubeconfig.
import type { KubeConfig, V1Endpoints, V1Namespace, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Service, V1StatefulSet, V1StorageClass } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Informer } from './client/informer.js';
import { makeEventRecorder } from './client/helpers.js';
import { makeRestClient } from './client/rest.js';
import { DisruptionController } from './disruption-controller.js';
import { EndpointsController, type EndpointSlice } from './endpoints-controller.js';
import { GarbageCollector } from './garbage-collector.js';
import { NamespaceController } from './namespace-controller.js';
import { StatefulSetController } from './statefulset-controller.js';
import { VolumeController } from './volume-controller.js';

export interface ControllerManagerOptions {
  kc: KubeConfig;
  /** Unused: volumes' data belongs to the node side's provisioner now, as a cluster's storage is not the controllers'. */
  dir?: string;
  logger: Logger;
}

export interface RunningControllers {
  stop(): Promise<void>;
}

/** Starts an informer; when its resource is not served yet, keeps retrying in the background. */
async function startInformer(informer: { start(): Promise<void>; path: string }, logger: Logger, stopped: () => boolean): Promise<void> {
  try {
    await informer.start();
  } catch (error: unknown) {
    logger.warn({ err: error, path: informer.path }, 'informer could not list; retrying');
    const retry = async () => {
      while (!stopped()) {
        await new Promise((r) => setTimeout(r, 1000));
        try { await informer.start(); return; } catch { /* keep trying */ }
      }
    };
    void retry();
  }
}

export async function startControllers(options: ControllerManagerOptions): Promise<RunningControllers> {
  const { kc, logger } = options;
  const rest = makeRestClient(kc);
  let stopped = false;
  const pods = new Informer<V1Pod>(kc, rest, '/api/v1/pods', logger);
  const sets = new Informer<V1StatefulSet>(kc, rest, '/apis/apps/v1/statefulsets', logger);
  const services = new Informer<V1Service>(kc, rest, '/api/v1/services', logger);
  const endpoints = new Informer<V1Endpoints>(kc, rest, '/api/v1/endpoints', logger);
  const slices = new Informer<EndpointSlice>(kc, rest, '/apis/discovery.k8s.io/v1/endpointslices', logger);
  const namespaces = new Informer<V1Namespace>(kc, rest, '/api/v1/namespaces', logger);
  const claims = new Informer<V1PersistentVolumeClaim>(kc, rest, '/api/v1/persistentvolumeclaims', logger);
  const budgets = new Informer<V1PodDisruptionBudget>(kc, rest, '/apis/policy/v1/poddisruptionbudgets', logger);
  const persistentVolumes = new Informer<V1PersistentVolume>(kc, rest, '/api/v1/persistentvolumes', logger);
  const storageClasses = new Informer<V1StorageClass>(kc, rest, '/apis/storage.k8s.io/v1/storageclasses', logger);

  const statefulsets = new StatefulSetController(kc, rest, sets, pods, logger.child({ controller: 'statefulset' }));
  const endpointsController = new EndpointsController(rest, services, pods, endpoints, slices,
    makeEventRecorder(rest, 'endpoint-controller', logger), logger.child({ controller: 'endpoints' }));
  const namespaceController = new NamespaceController(kc, rest, namespaces, logger.child({ controller: 'namespace' }));
  const volumes = new VolumeController(rest, { claims, pods, volumes: persistentVolumes, classes: storageClasses },
    makeEventRecorder(rest, 'persistentvolume-controller', logger), logger.child({ controller: 'volumes' }));
  const disruption = new DisruptionController(rest, budgets, pods, sets, logger.child({ controller: 'disruption' }));
  const gc = new GarbageCollector(kc, rest, logger.child({ controller: 'garbage-collector' }));

  const informers = [pods, sets, services, endpoints, slices, namespaces, claims, budgets, persistentVolumes, storageClasses];
  // Caches the controllers compare against come first, so no controller acts on a half-filled cache.
  // Budgets come before pods and sets, so their events find the budgets they touch.
  for (const informer of [endpoints, slices, storageClasses, persistentVolumes, claims, budgets]) await startInformer(informer, logger, () => stopped);
  await Promise.all([pods, sets, services, namespaces].map((i) => startInformer(i, logger, () => stopped)));
  await gc.start().catch((error: unknown) => logger.warn({ err: error }, 'garbage collector discovery failed; it retries'));
  logger.info('controllers started');

  return {
    async stop() {
      stopped = true;
      gc.stop();
      statefulsets.stop();
      endpointsController.stop();
      namespaceController.stop();
      volumes.stop();
      disruption.stop();
      for (const informer of informers) informer.stop();
    },
  };
}
