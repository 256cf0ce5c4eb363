/**
 * Paths, names and ports shared by the desired-state builders (and by the parts of the reconciler that talk to the
 * pods they describe: the replication code recognises a fenced pod by FENCE_MASTER_HOST/FENCE_MASTER_PORT).
 */
import type { Engine } from '../../shared/schema/kvstore.js';

/** Name of the engine container in every store pod. Neutral, so code that looks it up works for every engine. */
export const ENGINE_CONTAINER_NAME = 'engine';
export const EXPORTER_CONTAINER_NAME = 'exporter';
export const ENGINE_PORT_NAME = 'redis';
export const EXPORTER_PORT_NAME = 'metrics';

/**
 * Every Redis/Valkey pod boots as a replica of this placeholder. 127.0.0.1 is the pod's own loopback (no traffic leaves the pod)
 * and port 1 (tcpmux) is privileged, so no non-root process in the pod can ever listen there: the connection is
 * refused at once, the link stays down, the engine keeps the data it loaded from disk, refuses writes
 * (replica-read-only) and, being a replica of nothing, is never a useful sync source. Only the reconciler lifts the
 * fence (REPLICAOF NO ONE or REPLICAOF <master>). The in-memory role is never written back to the file, so a restart
 * fences the pod again.
 */
export const FENCE_MASTER_HOST = '127.0.0.1';
export const FENCE_MASTER_PORT = 1;

/**
 * Dragonfly cannot boot fenced (`--replicaof` makes it skip loading its snapshot), so its readiness requires a mark
 * the reconciler leaves in the running engine after assigning its role: `ACL SETUSER redwing-assigned off`, a
 * disabled user that cannot log in and has no permissions. ACL users live in memory only (no aclfile), so an engine
 * that restarts has lost the mark and stays out of the Services until the reconciler has looked at it again.
 */
export const ASSIGNED_MARK_USER = 'redwing-assigned';

/** The ConfigMap is mounted here; it holds the engine config and the probe / preStop scripts. */
export const CONFIG_MOUNT_PATH = '/etc/redis';
export const DATA_MOUNT_PATH = '/data';
export const TLS_MOUNT_PATH = '/etc/redis-tls';
export const CLIENT_CA_MOUNT_PATH = '/etc/redis-client-ca';
/** The password Secret, mounted as a volume: the kubelet refreshes it after a rotation, unlike environment variables. */
export const AUTH_MOUNT_PATH = '/var/run/secrets/redwing/auth';
export const AUTH_PASSWORD_FILE = 'password';
export const AUTH_PASSWORD_PATH = `${AUTH_MOUNT_PATH}/${AUTH_PASSWORD_FILE}`;
export const TMP_MOUNT_PATH = '/tmp';

/** The ConfigMap key of the health script; `sh probe.sh liveness|readiness|pre-stop` (see build-probe-script.ts). */
export const PROBE_SCRIPT_KEY = 'probe.sh';
export const PROBE_SCRIPT_PATH = `${CONFIG_MOUNT_PATH}/probe.sh`;

/** Environment variable that carries the password into the engine's command line through `$(REDIS_PASSWORD)`. */
export const PASSWORD_ENV = 'REDIS_PASSWORD';

/** The ConfigMap key of the engine configuration: redis.conf for Redis/Valkey, an abseil flag file for Dragonfly. */
export function engineConfigKey(engine: Engine): string {
  return engine === 'dragonfly' ? 'dragonfly.flags' : 'redis.conf';
}

/** The server program of each engine (the official images put it on PATH). */
export function engineServerCommand(engine: Engine): string {
  if (engine === 'dragonfly') return 'dragonfly';
  return engine === 'valkey' ? 'valkey-server' : 'redis-server';
}

/** Volume names in the pod template. `data` is the PVC template name, see shared/names.ts. */
export const VOLUME_CONFIG = 'config';
export const VOLUME_AUTH = 'auth';
export const VOLUME_TLS = 'tls';
export const VOLUME_CLIENT_CA = 'client-ca';
export const VOLUME_TMP = 'tmp';

/** Namespace of the operator by default; the NetworkPolicy admits it so the reconciler can reach the engines. */
export const DEFAULT_OPERATOR_NAMESPACE = 'redwing-system';
