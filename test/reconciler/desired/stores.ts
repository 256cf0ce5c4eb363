// KVStores used by the desired-state tests: the smallest a user can write, and one with every field set.
import type { Engine, KVStore } from '../../../shared/schema/kvstore.js';

export const ENGINES: Engine[] = ['redis', 'valkey', 'dragonfly'];

export function minimalStore(engine: Engine, name = 'cache'): KVStore {
  return {
    apiVersion: 'redwing.dev/v1alpha1',
    kind: 'KVStore',
    metadata: { name, namespace: 'shop', uid: '0b6f1c9e-5a2d-4f3e-9c1a-1234567890ab', generation: 1 },
    spec: { engine },
  };
}

export function maximalStore(engine: Engine, name = 'sessions'): KVStore {
  return {
    apiVersion: 'redwing.dev/v1alpha1',
    kind: 'KVStore',
    metadata: { name, namespace: 'shop', uid: '7d1e2f3a-4b5c-4d6e-8f90-abcdefabcdef', generation: 4 },
    spec: {
      engine,
      image: engine === 'dragonfly' ? 'docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1' : `registry.example.com/${engine}:8.0`,
      imagePullPolicy: 'Always',
      imagePullSecrets: [{ name: 'registry-credentials' }],
      replicas: 5,
      resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: 2, memory: '2Gi' } },
      config: engine === 'dragonfly'
        ? { maxmemory: '1500mb', proactor_threads: '2', cache_mode: 'true' }
        : { 'maxmemory-policy': 'allkeys-lru', databases: '32', 'notify-keyspace-events': 'Ex', 'min-replicas-max-lag': '5' },
      args: engine === 'dragonfly' ? ['--hz=100'] : ['--loglevel', 'verbose'],
      persistence: { enabled: true, mode: 'rdb+aof', size: '20Gi', storageClassName: 'fast-ssd', keepAfterDeletion: false },
      snapshot: { cron: '0 */6 * * *', dir: '/data', source: 'replica', onShutdown: true },
      authentication: { enabled: true, passwordFromSecret: { name: 'sessions-password', key: 'secret' } },
      tls: { enabled: true, secretName: 'sessions-cert', clientCaSecretName: 'sessions-client-ca' },
      antiAffinity: 'required',
      nodeSelector: { 'node.kubernetes.io/pool': 'databases' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'databases', effect: 'NoSchedule' }],
      topologySpreadConstraints: [{
        maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'app.kubernetes.io/instance': name } },
      }],
      priorityClassName: 'high-priority',
      failover: { enabled: true, downAfterMilliseconds: 3000 },
      replication: { minReplicasToWrite: 1 },
      service: { type: 'LoadBalancer', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' }, readReplicas: true },
      pdb: { minAvailable: 3 },
      exporter: { enabled: true, image: 'oliver006/redis_exporter:v1.67.0' },
      networkPolicy: { enabled: true, allowedNamespaces: ['frontend', 'monitoring'] },
      podMetadata: { labels: { team: 'payments' }, annotations: { 'prometheus.io/scrape': 'true' } },
      podSecurityContext: { runAsNonRoot: true, runAsUser: 1001, fsGroup: 1001, seccompProfile: { type: 'RuntimeDefault' } },
      containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
      terminationGracePeriodSeconds: 60,
    },
  };
}
