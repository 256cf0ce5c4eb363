/**
 * The KVStore custom resource, written once: TypeScript types, the ajv validator and the CRD's OpenAPI schema all
 * come from these definitions. Field descriptions are what `kubectl explain kvstore.spec…` shows.
 */
import { Type, type Static } from '@sinclair/typebox';
import {
  Affinity, Condition, ContainerSecurityContext, ImagePullSecrets, IntOrString, ObjectMeta, PodSecurityContext,
  Quantity, ResourceRequirements, StringMap, Tolerations, TopologySpreadConstraints,
} from './core.js';
import { StringEnum } from './string-enum.js';

export const ENGINES = ['redis', 'valkey', 'dragonfly'] as const;
export type Engine = (typeof ENGINES)[number];
export const PERSISTENCE_MODES = ['rdb', 'aof', 'rdb+aof'] as const;
export const ANTI_AFFINITY_MODES = ['preferred', 'required', 'none'] as const;
export const PHASES = ['Pending', 'Creating', 'Ready', 'Failover', 'Updating', 'Degraded', 'Failed'] as const;
export type Phase = (typeof PHASES)[number];
export const CONDITION_TYPES = ['Available', 'Progressing', 'Degraded', 'ReplicationHealthy', 'Reconciled', 'SnapshotSucceeded', 'PolicyCompliant'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const PersistenceSpec = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Give every pod a PersistentVolumeClaim. Default true.' })),
  mode: Type.Optional(StringEnum(PERSISTENCE_MODES, 'How data is persisted: rdb snapshots, an append-only file, or both. Default rdb+aof (rdb for dragonfly).')),
  size: Type.Optional(Quantity('Size of each PVC. Default 1Gi. May grow, never shrink.')),
  storageClassName: Type.Optional(Type.String({ description: 'StorageClass of the PVCs; the cluster default when unset. Immutable.' })),
  keepAfterDeletion: Type.Optional(Type.Boolean({ description: 'Keep the PVCs when the KVStore is deleted, so a store re-created with the same name gets its data back. Default true.' })),
}, { description: 'Persistent storage of the data.' });

export const S3CredentialsSecretRef = Type.Object({
  name: Type.String({ description: 'A Secret in the store namespace with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and optionally AWS_SESSION_TOKEN.' }),
}, { description: 'Where the S3 credentials are.' });

export const S3Settings = Type.Object({
  endpoint: Type.Optional(Type.String({ pattern: '^https?://', description: 'The S3 endpoint URL. Default https://s3.<region>.amazonaws.com.' })),
  region: Type.Optional(Type.String({ description: 'The region requests are signed for. Default us-east-1.' })),
  forcePathStyle: Type.Optional(Type.Boolean({ description: 'Address buckets as endpoint/bucket instead of bucket.endpoint (MinIO, Ceph). Default false.' })),
  credentialsSecret: Type.Optional(S3CredentialsSecretRef),
}, { description: 'S3 settings for an s3:// dir. Without credentialsSecret, the operator environment (AWS_ACCESS_KEY_ID, ...) is used.' });

export const SnapshotSpec = Type.Object({
  cron: Type.Optional(Type.String({ description: 'Five-field cron schedule of BGSAVE snapshots, e.g. "0 */6 * * *". Needs persistence or an s3:// dir.' })),
  dir: Type.Optional(Type.String({ description: 'Where snapshots go: a path in the pod, or s3://bucket/prefix. Default /data.' })),
  source: Type.Optional(StringEnum(['replica', 'master'] as const, 'Where scheduled saves run. Default replica, which spares the master a fork.')),
  onShutdown: Type.Optional(Type.Boolean({ description: 'Save when a pod terminates. Default true.' })),
  s3: Type.Optional(S3Settings),
  keep: Type.Optional(Type.Integer({ minimum: 1, description: 'How many snapshots to keep in an s3:// dir; older ones are deleted after each upload. All are kept when unset.' })),
}, { description: 'Scheduled and shutdown snapshots.' });

export const RestoreSpec = Type.Object({
  backup: Type.Optional(Type.String({ description: 'A succeeded KVBackup in the store namespace to start from.' })),
  url: Type.Optional(Type.String({ pattern: '^s3://[^/]+/.+', description: 'An s3://bucket/key of an RDB to start from (read with the store snapshot.s3 settings).' })),
}, {
  description: 'Start a new store from this data, loaded before the store takes writes. Set at creation only.',
  'x-kubernetes-validations': [{ rule: 'has(self.backup) != has(self.url)', message: 'set exactly one of restore.backup and restore.url' }],
});

export const SecretKeyRef = Type.Object({
  name: Type.String({ description: 'Name of the Secret in the store namespace.' }),
  key: Type.String({ description: 'Key in the Secret that holds the password.' }),
}, { description: 'A key of a Secret.' });

export const AuthenticationSpec = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Require a password. Default true.' })),
  passwordFromSecret: Type.Optional(SecretKeyRef),
}, { description: 'Password authentication. Defaults to a random password in Secret <store>-auth, created by the reconciler; editing the Secret rotates the password live.' });

export const TlsSpec = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Serve TLS. Default false.' })),
  secretName: Type.Optional(Type.String({ description: 'A kubernetes.io/tls Secret with the server certificate. Default <store>-tls, issued by the operator CA when absent.' })),
  clientCaSecretName: Type.Optional(Type.String({ description: 'Require client certificates signed by the CA in this Secret (key ca.crt). Needs tls.enabled.' })),
}, { description: 'TLS for clients and replication.' });

export const FailoverSpec = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Promote a replica when the master is lost. Default true.' })),
  downAfterMilliseconds: Type.Optional(Type.Integer({ minimum: 200, description: 'How long the master must be unreachable, and unseen by its replicas, before failover. Default 1000.' })),
}, { description: 'Automatic master failover.' });

export const ReplicationSpec = Type.Object({
  minReplicasToWrite: Type.Optional(Type.Integer({ minimum: 0, description: 'Replicas that must acknowledge before the master accepts writes (min-replicas-to-write). Above 0 it trades availability for no acknowledged-write loss. Default 0.' })),
}, { description: 'Replication settings.' });

export const ServiceSpec = Type.Object({
  type: Type.Optional(StringEnum(['ClusterIP', 'NodePort', 'LoadBalancer'] as const, 'Type of the master and read Services. Default ClusterIP.')),
  annotations: Type.Optional(StringMap('Annotations added to the Services.')),
  readReplicas: Type.Optional(Type.Boolean({ description: 'Create the read Service <store>-replicas. Default true.' })),
}, { description: 'The Services in front of the store.' });

export const PdbSpec = Type.Object({
  maxUnavailable: Type.Optional(IntOrString('Pods that may be down at once. Default 1 when replicas > 1.')),
  minAvailable: Type.Optional(IntOrString('Pods that must stay up. Not together with maxUnavailable.')),
}, {
  description: 'The PodDisruptionBudget of the store.',
  'x-kubernetes-validations': [{ rule: '!(has(self.maxUnavailable) && has(self.minAvailable))', message: 'set pdb.maxUnavailable or pdb.minAvailable, not both' }],
});

export const ExporterSpec = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Run the metrics exporter sidecar on port 9121. Default false.' })),
  image: Type.Optional(Type.String({ description: 'Exporter image. Default oliver006/redis_exporter:v1.67.0.' })),
}, { description: 'Prometheus exporter sidecar.' });

export const NetworkPolicySpec = Type.Object({
  enabled: Type.Optional(Type.Boolean({ description: 'Create a NetworkPolicy that admits clients only from this namespace and allowedNamespaces. Default false.' })),
  allowedNamespaces: Type.Optional(Type.Array(Type.String(), { description: 'Other namespaces whose pods may connect.' })),
}, { description: 'Network isolation of the store.' });

export const PodMetadataSpec = Type.Object({
  labels: Type.Optional(StringMap('Extra pod labels. Keys the operator owns are rejected.')),
  annotations: Type.Optional(StringMap('Extra pod annotations.')),
}, { description: 'Extra metadata for the pods.' });

export const KVStoreSpec = Type.Object({
  engine: Type.Optional({ ...StringEnum(ENGINES, 'The engine: redis, valkey or dragonfly. Default redis. Immutable.'), 'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'engine is immutable' }] }),
  image: Type.Optional(Type.String({ description: 'Engine image. Default per engine: redis:7.4, valkey/valkey:8.1, docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1.' })),
  imagePullPolicy: Type.Optional(StringEnum(['Always', 'IfNotPresent', 'Never'] as const, 'Image pull policy. Default IfNotPresent.')),
  imagePullSecrets: Type.Optional(ImagePullSecrets),
  replicas: Type.Optional(Type.Integer({ minimum: 1, maximum: 15, description: 'Total pods, master included. Default 3.' })),
  resources: Type.Optional(ResourceRequirements),
  config: Type.Optional(StringMap('Engine settings (redis.conf keys). Applied live with CONFIG SET when the engine allows, else by a rolling update. Keys the operator owns (port, bind, dir, dbfilename, replicaof, slaveof, requirepass, masterauth, appendonly, save, tls-*, include, user, ...) are rejected.')),
  args: Type.Optional(Type.Array(Type.String(), { description: 'Extra command-line flags for the engine. They may not set what the operator owns (the same settings as config), in any spelling.' })),
  persistence: Type.Optional(PersistenceSpec),
  snapshot: Type.Optional(SnapshotSpec),
  restore: Type.Optional(RestoreSpec),
  authentication: Type.Optional(AuthenticationSpec),
  tls: Type.Optional(TlsSpec),
  antiAffinity: Type.Optional(StringEnum(ANTI_AFFINITY_MODES, 'Spread pods over hosts: preferred, required or none. Default preferred. Materialised into affinity.podAntiAffinity.')),
  affinity: Type.Optional(Affinity),
  nodeSelector: Type.Optional(StringMap('Node labels the pods must run on.')),
  tolerations: Type.Optional(Tolerations),
  topologySpreadConstraints: Type.Optional(TopologySpreadConstraints),
  priorityClassName: Type.Optional(Type.String({ description: 'PriorityClass of the pods.' })),
  failover: Type.Optional(FailoverSpec),
  replication: Type.Optional(ReplicationSpec),
  service: Type.Optional(ServiceSpec),
  pdb: Type.Optional(PdbSpec),
  exporter: Type.Optional(ExporterSpec),
  networkPolicy: Type.Optional(NetworkPolicySpec),
  podMetadata: Type.Optional(PodMetadataSpec),
  podSecurityContext: Type.Optional(PodSecurityContext),
  containerSecurityContext: Type.Optional(ContainerSecurityContext),
  terminationGracePeriodSeconds: Type.Optional(Type.Integer({ minimum: 0, description: 'Seconds a pod gets to shut down (and save). Default 30.' })),
}, { description: 'Desired state of the store.' });

export const PodStatus = Type.Object({
  name: Type.String({ description: 'Pod name.' }),
  role: StringEnum(['master', 'replica', 'unknown'] as const, 'Role the operator assigned.'),
  ready: Type.Boolean({ description: 'The pod is ready.' }),
  replicationOffset: Type.Optional(Type.Integer({ description: 'The pod replication offset.' })),
  lagBytes: Type.Optional(Type.Integer({ description: 'How far the replica is behind the master, in bytes.' })),
}, { description: 'One pod of the store.' });

export const FailoverRecord = Type.Object({
  time: Type.String({ format: 'date-time', description: 'When the new master was promoted.' }),
  from: Type.String({ description: 'The lost master pod.' }),
  to: Type.String({ description: 'The promoted pod.' }),
  reason: Type.String({ description: 'Why: MasterUnreachable, Switchover, ...' }),
  durationMs: Type.Integer({ description: 'From detection to promotion, in milliseconds.' }),
}, { description: 'The last failover.' });

export const SnapshotRecord = Type.Object({
  time: Type.String({ format: 'date-time', description: 'When the snapshot finished.' }),
  pod: Type.String({ description: 'Where it ran.' }),
  result: StringEnum(['Succeeded', 'Failed'] as const, 'Outcome.'),
  durationMs: Type.Integer({ description: 'How long it took, in milliseconds.' }),
  url: Type.Optional(Type.String({ description: 'The s3:// object it was uploaded to.' })),
  sizeBytes: Type.Optional(Type.Integer({ description: 'Size of the uploaded RDB.' })),
}, { description: 'The last snapshot.' });

export const RestoreRecord = Type.Object({
  url: Type.String({ description: 'The s3:// object the data came from.' }),
  result: StringEnum(['Succeeded', 'Failed'] as const, 'Outcome.'),
  time: Type.String({ format: 'date-time', description: 'When the restore finished.' }),
  sizeBytes: Type.Optional(Type.Integer({ description: 'Size of the restored RDB.' })),
  message: Type.Optional(Type.String({ description: 'Why it failed.' })),
}, { description: 'The restore this store started from.' });

export const KVStoreStatus = Type.Object({
  phase: Type.Optional(StringEnum(PHASES, 'Pending, Creating, Ready, Failover, Updating, Degraded or Failed.')),
  observedGeneration: Type.Optional(Type.Integer({ description: 'The generation this status describes.' })),
  replicas: Type.Optional(Type.Integer({ description: 'Pods that exist.' })),
  readyReplicas: Type.Optional(Type.Integer({ description: 'Pods that are ready.' })),
  selector: Type.Optional(Type.String({ description: 'Label selector of the pods (for the scale subresource).' })),
  master: Type.Optional(Type.String({ description: 'The master pod.' })),
  conditions: Type.Optional(Type.Array(Condition, { description: 'Available, Progressing, Degraded, ReplicationHealthy, Reconciled, SnapshotSucceeded, PolicyCompliant.' })),
  pods: Type.Optional(Type.Array(PodStatus, { description: 'Per-pod role and replication state.' })),
  lastFailover: Type.Optional(FailoverRecord),
  lastSnapshot: Type.Optional(SnapshotRecord),
  restore: Type.Optional(RestoreRecord),
}, { description: 'Observed state of the store.' });

export const KVStore = Type.Object({
  apiVersion: Type.String(),
  kind: Type.String(),
  metadata: ObjectMeta,
  spec: Type.Optional(KVStoreSpec),
  status: Type.Optional(KVStoreStatus),
}, { description: 'A Redis-compatible datastore (Redis, Valkey or Dragonfly) with replication and failover.' });

export type KVStoreSpec = Static<typeof KVStoreSpec>;
export type KVStoreStatus = Static<typeof KVStoreStatus>;
export type KVStore = Static<typeof KVStore>;
export type KVStorePodStatus = Static<typeof PodStatus>;
export type FailoverRecord = Static<typeof FailoverRecord>;
export type SnapshotRecord = Static<typeof SnapshotRecord>;
export type RestoreRecord = Static<typeof RestoreRecord>;
export type S3Settings = Static<typeof S3Settings>;
export type Condition = Static<typeof Condition>;
