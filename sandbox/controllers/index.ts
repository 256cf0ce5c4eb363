// The sandbox's kube-controller-manager: StatefulSet, Deployment, Endpoints/EndpointSlice, garbage collector, namespace,
// PersistentVolume and disruption controllers, each a client of the API server through the kubeconfig.
import type { KubeConfig, V1Deployment, V1Endpoints, V1Namespace, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1PodDisruptionBudget, V1Service, V1StatefulSet, V1StorageClass } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Informer } from '../../kube/informer.js';
import { componentEventRecorder, watchCache } from './kube-io.js';
import { sandboxClient } from './kube-io.js';
import { DeploymentController } from './deployment-controller.js';
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

export async function startControllers(options: ControllerManagerOptions): Promise<RunningControllers> {
  const { kc, logger } = options;
  const rest = sandboxClient(kc);
  const pods = watchCache<V1Pod>(rest, '/api/v1/pods', logger);
  const sets = watchCache<V1StatefulSet>(rest, '/apis/apps/v1/statefulsets', logger);
  const deploymentCache = watchCache<V1Deployment>(rest, '/apis/apps/v1/deployments', logger);
  const services = watchCache<V1Service>(rest, '/api/v1/services', logger);
  const endpoints = watchCache<V1Endpoints>(rest, '/api/v1/endpoints', logger);
  const slices = watchCache<EndpointSlice>(rest, '/apis/discovery.k8s.io/v1/endpointslices', logger);
  const namespaces = watchCache<V1Namespace>(rest, '/api/v1/namespaces', logger);
  const claims = watchCache<V1PersistentVolumeClaim>(rest, '/api/v1/persistentvolumeclaims', logger);
  const budgets = watchCache<V1PodDisruptionBudget>(rest, '/apis/policy/v1/poddisruptionbudgets', logger);
  const persistentVolumes = watchCache<V1PersistentVolume>(rest, '/api/v1/persistentvolumes', logger);
  const storageClasses = watchCache<V1StorageClass>(rest, '/apis/storage.k8s.io/v1/storageclasses', logger);

  const statefulsets = new StatefulSetController(kc, rest, sets, pods, logger.child({ controller: 'statefulset' }));
  const endpointsController = new EndpointsController(rest, services, pods, endpoints, slices,
    componentEventRecorder(rest, 'endpoint-controller', logger), logger.child({ controller: 'endpoints' }));
  const namespaceController = new NamespaceController(kc, rest, namespaces, logger.child({ controller: 'namespace' }));
  const volumes = new VolumeController(rest, { claims, pods, volumes: persistentVolumes, classes: storageClasses },
    componentEventRecorder(rest, 'persistentvolume-controller', logger), logger.child({ controller: 'volumes' }));
  const deployments = new DeploymentController(rest, deploymentCache, pods, logger.child({ controller: 'deployment' }));
  const disruption = new DisruptionController(rest, budgets, pods, sets, logger.child({ controller: 'disruption' }));
  const gc = new GarbageCollector(kc, rest, logger.child({ controller: 'garbage-collector' }));

  const informers = [pods, sets, deploymentCache, services, endpoints, slices, namespaces, claims, budgets, persistentVolumes, storageClasses];
  // Caches the controllers compare against come first, so no controller acts on a half-filled cache.
  // Budgets come before pods and sets, so their events find the budgets they touch.
  // Each start resolves once its first list succeeded (an informer retries a failed list by itself) or on stop.
  for (const informer of [endpoints, slices, storageClasses, persistentVolumes, claims, budgets]) await informer.start();
  await Promise.all([pods, sets, deploymentCache, services, namespaces].map((informer) => informer.start()));
  await gc.start().catch((error: unknown) => logger.warn({ err: error }, 'garbage collector discovery failed; it retries'));
  logger.info('controllers started');

  return {
    async stop() {
      gc.stop();
      statefulsets.stop();
      deployments.stop();
      endpointsController.stop();
      namespaceController.stop();
      volumes.stop();
      disruption.stop();
      for (const informer of informers) informer.stop();
    },
  };
}
