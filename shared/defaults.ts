/** Default values of the KVStore spec (DESIGN.md), used by the mutating webhook and, defensively, by the reconciler. */
import type { Engine } from './schema/kvstore.js';

export const DEFAULT_ENGINE: Engine = 'redis';
export const DEFAULT_IMAGES: Record<Engine, string> = {
  redis: 'redis:7.4',
  valkey: 'valkey/valkey:8.1',
  dragonfly: 'docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1',
};
export const DEFAULT_IMAGE_PULL_POLICY = 'IfNotPresent';
export const DEFAULT_REPLICAS = 3;
export const DEFAULT_RESOURCES = { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } };
/** maxmemory defaults to this share of the memory limit, leaving room for fork copy-on-write and buffers. */
export const MAXMEMORY_SHARE_OF_LIMIT = 0.8;
export const DEFAULT_PERSISTENCE_SIZE = '1Gi';
export const DEFAULT_SNAPSHOT_DIR = '/data';
export const DEFAULT_DOWN_AFTER_MILLISECONDS = 1000;
export const DEFAULT_EXPORTER_IMAGE = 'oliver006/redis_exporter:v1.67.0';
export const EXPORTER_PORT = 9121;
export const ENGINE_PORT = 6379;
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_PASSWORD_KEY = 'password';
/** uid/gid of the redis user in the official images. */
export const DEFAULT_RUN_AS_USER = 999;
export const ANTI_AFFINITY_WEIGHT = 100;
export const HOSTNAME_TOPOLOGY_KEY = 'kubernetes.io/hostname';
