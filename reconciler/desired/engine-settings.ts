/**
 * The engine configuration as an ordered list of settings, before it is rendered to text. Keeping it structured lets
 * the same data produce the config file, the restart-relevant config hash and the live/restart classification of a
 * change (config-change.ts).
 */
import { ENGINE_PORT } from '../../shared/defaults.js';
import { ownedSetting } from '../../shared/owned-settings.js';
import { parseEngineMemoryBytes, parseQuantity } from '../../shared/quantity.js';
import type { Engine, KVStoreSpec } from '../../shared/schema/kvstore.js';
import {
  CLIENT_CA_MOUNT_PATH, DATA_MOUNT_PATH, FENCE_MASTER_HOST, FENCE_MASTER_PORT, TLS_MOUNT_PATH,
} from './constants.js';

export interface EngineSetting {
  key: string;
  value: string;
  /** `operator`: derived from the spec's typed fields; `user`: from spec.config. */
  source: 'operator' | 'user';
  /** A line of explanation rendered above the setting. */
  comment?: string;
}

export interface IgnoredConfigKey {
  key: string;
  reason: string;
}

/** RDB save points: the Redis 7 defaults (after an hour with 1 change, 5 minutes with 100, a minute with 10000). */
export const RDB_SAVE_POINTS = '3600 1 300 100 60 10000';
/** How far (seconds) a replica may lag and still count for min-replicas-to-write, unless spec.config sets it. */
export const DEFAULT_MIN_REPLICAS_MAX_LAG_SECONDS = 10;
export const RDB_FILE_NAME = 'dump.rdb';
export const DRAGONFLY_SNAPSHOT_NAME = 'dump';

const CONFIG_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

function ignoreReason(engine: Engine, key: string, value: string): string | undefined {
  if (!CONFIG_KEY_PATTERN.test(key)) return 'not a valid setting name';
  if (CONTROL_CHARACTERS.test(value)) return 'the value contains control characters (a newline would inject settings)';
  // The same list the webhook refuses in spec.config and spec.args; a store admitted before a key was added keeps
  // running, without the key.
  return ownedSetting(engine, key) ? 'set by the operator' : undefined;
}

/** spec.config entries the renderer drops, with why; the controller reports them in a condition. */
export function findIgnoredConfigKeys(engine: Engine, config: Record<string, string> | undefined): IgnoredConfigKey[] {
  const ignored: IgnoredConfigKey[] = [];
  for (const [key, value] of Object.entries(config ?? {})) {
    const reason = ignoreReason(engine, key, value);
    if (reason) ignored.push({ key, reason });
  }
  return ignored;
}

// Memory settings users write with Kubernetes suffixes (`512Mi`, which the webhook accepts); engines only know
// bytes and their own units, so those are rendered as bytes.
const MEMORY_KEYS = new Set([
  'maxmemory', 'repl-backlog-size', 'client-query-buffer-limit', 'proto-max-bulk-len', 'active-defrag-ignore-bytes',
]);
const KUBERNETES_MEMORY = /^[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti)$/;

function normalizeValue(key: string, value: string): string {
  if (!MEMORY_KEYS.has(key.toLowerCase()) || !KUBERNETES_MEMORY.test(value.trim())) return value;
  return String(parseEngineMemoryBytes(value.trim()));
}

function userSettings(engine: Engine, config: Record<string, string> | undefined): EngineSetting[] {
  return Object.keys(config ?? {})
    .filter((key) => ignoreReason(engine, key, config![key]!) === undefined)
    .sort()
    .map((key) => ({
      key: engine === 'dragonfly' ? key : key.toLowerCase(),
      value: normalizeValue(key, config![key]!),
      source: 'user' as const,
    }));
}

function hasUserKey(config: Record<string, string> | undefined, key: string): boolean {
  return Object.keys(config ?? {}).some((k) => k.toLowerCase() === key);
}

function redisSettings(spec: KVStoreSpec): EngineSetting[] {
  const persistent = spec.persistence?.enabled ?? true;
  const mode = spec.persistence?.mode ?? 'rdb+aof';
  const tls = spec.tls?.enabled ?? false;
  const settings: EngineSetting[] = [
    tls
      ? { key: 'port', value: '0', source: 'operator', comment: 'TLS only: the TLS listener takes the usual port, so Services and clients keep 6379.' }
      : { key: 'port', value: String(ENGINE_PORT), source: 'operator' },
    { key: 'bind', value: '0.0.0.0', source: 'operator' },
    { key: 'protected-mode', value: 'no', source: 'operator', comment: 'Access is controlled by requirepass and the NetworkPolicy.' },
    { key: 'dir', value: DATA_MOUNT_PATH, source: 'operator' },
    { key: 'dbfilename', value: RDB_FILE_NAME, source: 'operator' },
    {
      key: 'save',
      value: persistent && mode !== 'aof' ? RDB_SAVE_POINTS : '',
      source: 'operator',
      comment: persistent ? `persistence.mode ${mode}` : 'persistence disabled: no automatic saves',
    },
    { key: 'appendonly', value: persistent && mode !== 'rdb' ? 'yes' : 'no', source: 'operator' },
    {
      key: 'replicaof',
      value: `${FENCE_MASTER_HOST} ${FENCE_MASTER_PORT}`,
      source: 'operator',
      comment: 'Boot fenced: a replica of a placeholder nothing listens on, so a (re)started pod keeps its data, takes no writes and is never a sync source until the reconciler assigns its role.',
    },
    { key: 'replica-read-only', value: 'yes', source: 'operator' },
    {
      key: 'repl-ping-replica-period',
      value: '1',
      source: 'operator',
      comment: 'The master pings replicas every second, so replicas of a hung master (SIGSTOP, lost node) see the link go down within seconds and the health monitor can tell it from a partition.',
    },
    { key: 'min-replicas-to-write', value: String(spec.replication?.minReplicasToWrite ?? 0), source: 'operator' },
  ];
  if (!hasUserKey(spec.config, 'min-replicas-max-lag')) {
    settings.push({ key: 'min-replicas-max-lag', value: String(DEFAULT_MIN_REPLICAS_MAX_LAG_SECONDS), source: 'operator' });
  }
  if (!hasUserKey(spec.config, 'repl-diskless-sync-delay')) {
    settings.push({
      key: 'repl-diskless-sync-delay', value: '0', source: 'operator',
      comment: 'A restarted replica starts its full sync at once instead of after 5 s: with faults 3 s apart it never caught up and held stale data.',
    });
  }
  if (tls) {
    const clientCa = spec.tls?.clientCaSecretName;
    settings.push(
      { key: 'tls-port', value: String(ENGINE_PORT), source: 'operator' },
      { key: 'tls-cert-file', value: `${TLS_MOUNT_PATH}/tls.crt`, source: 'operator' },
      { key: 'tls-key-file', value: `${TLS_MOUNT_PATH}/tls.key`, source: 'operator' },
      {
        key: 'tls-ca-cert-file',
        value: clientCa ? `${CLIENT_CA_MOUNT_PATH}/ca.crt` : `${TLS_MOUNT_PATH}/ca.crt`,
        source: 'operator',
        comment: clientCa
          ? 'Client certificates are required: the bundle S-client-ca-bundle holds the user\'s client CA, the CA of the serving certificate (replicas present it to their master) and the operator CA (the operator\'s client certificate).'
          : 'Replicas verify their master with this CA.',
      },
      { key: 'tls-auth-clients', value: clientCa ? 'yes' : 'no', source: 'operator' },
      { key: 'tls-replication', value: 'yes', source: 'operator' },
    );
  }
  return settings;
}

/** Dragonfly refuses to start with less than this much maxmemory per proactor thread. */
export const DRAGONFLY_MEMORY_PER_THREAD_BYTES = 256 * 2 ** 20;

/**
 * Dragonfly starts one proactor thread per core of the node and exits when maxmemory is below 256 MiB per thread,
 * so a small store on a big node would never start. Unless spec.config sets proactor_threads, the count follows the
 * CPU the pod gets (limit, else request) and what maxmemory can feed.
 */
export function dragonflyProactorThreads(spec: KVStoreSpec): number | undefined {
  if (hasUserKey(spec.config, 'proactor_threads')) return undefined;
  const bounds: number[] = [];
  const cpu = spec.resources?.limits?.cpu ?? spec.resources?.requests?.cpu;
  try {
    if (cpu !== undefined) bounds.push(Math.max(1, Math.ceil(parseQuantity(cpu))));
  } catch {
    // not a quantity: the webhook rejects it; no bound from it here
  }
  const maxmemoryKey = Object.keys(spec.config ?? {}).find((key) => key.toLowerCase() === 'maxmemory');
  const maxmemory = maxmemoryKey ? parseEngineMemoryBytes(spec.config![maxmemoryKey]!) : undefined;
  if (maxmemory) bounds.push(Math.max(1, Math.floor(maxmemory / DRAGONFLY_MEMORY_PER_THREAD_BYTES)));
  return bounds.length > 0 ? Math.min(...bounds) : undefined;
}

function dragonflySettings(spec: KVStoreSpec): EngineSetting[] {
  const persistent = spec.persistence?.enabled ?? true;
  const mode = spec.persistence?.mode ?? 'rdb';
  const tls = spec.tls?.enabled ?? false;
  const settings: EngineSetting[] = [
    { key: 'port', value: String(ENGINE_PORT), source: 'operator' },
    { key: 'bind', value: '0.0.0.0', source: 'operator' },
    { key: 'dir', value: DATA_MOUNT_PATH, source: 'operator' },
    {
      key: 'dbfilename',
      value: persistent ? DRAGONFLY_SNAPSHOT_NAME : '',
      source: 'operator',
      comment: persistent
        ? `persistence.mode ${mode}: dragonfly has no append-only file; it snapshots on shutdown and on BGSAVE, and loads the snapshot on start.`
        : 'persistence disabled: no snapshot file',
    },
    // No --replicaof here: dragonfly started with it skips loading its snapshot, so a fenced restart would come back
    // empty. Dragonfly pods are fenced by readiness instead (see build-probe-script.ts): not ready until the reconciler
    // has marked the running engine (ASSIGNED_MARK_USER in constants.ts).
    {
      key: 'break_replication_on_master_restart',
      value: 'true',
      source: 'operator',
      comment: 'A replica never resyncs from a master that restarted (possibly empty). Restarted pods stay out of the Services until the reconciler has assigned their role again.',
    },
    { key: 'primary_port_http_enabled', value: 'false', source: 'operator' },
    { key: 'logtostderr', value: 'true', source: 'operator' },
  ];
  const threads = dragonflyProactorThreads(spec);
  if (threads !== undefined) {
    settings.push({ key: 'proactor_threads', value: String(threads), source: 'operator', comment: 'At least 256 MiB of maxmemory per thread, no more threads than CPUs.' });
  }
  if (tls) {
    settings.push(
      { key: 'tls', value: 'true', source: 'operator', comment: 'The main port serves TLS only.' },
      { key: 'tls_cert_file', value: `${TLS_MOUNT_PATH}/tls.crt`, source: 'operator' },
      { key: 'tls_key_file', value: `${TLS_MOUNT_PATH}/tls.key`, source: 'operator' },
      { key: 'tls_replication', value: 'true', source: 'operator' },
    );
    if (spec.tls?.clientCaSecretName) {
      settings.push({ key: 'tls_ca_cert_file', value: `${CLIENT_CA_MOUNT_PATH}/ca.crt`, source: 'operator', comment: 'Client certificates are required.' });
    }
  }
  return settings;
}

/** Every setting of the engine config of a defaulted spec, in render order: the operator's, then spec.config. */
export function buildEngineSettings(engine: Engine, spec: KVStoreSpec): EngineSetting[] {
  const operator = engine === 'dragonfly' ? dragonflySettings(spec) : redisSettings(spec);
  return [...operator, ...userSettings(engine, spec.config)];
}
