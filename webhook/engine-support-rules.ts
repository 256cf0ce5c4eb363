/**
 * Settings an engine does not have, in spec.config and spec.args, and typed fields it cannot honour. Measured, not
 * guessed: Dragonfly v1.34.1's replies in ../shared/research/dragonfly (CONFIG GET of these keys is empty there, and
 * CONFIG SET refuses them), and `CONFIG GET *` of valkey-server 8.0.1 against redis-server 7.0.15 on this machine.
 * An engine started with a setting it does not know refuses to start (redis.conf: "Bad directive"; Dragonfly's
 * flag file: unknown flag), so these are errors; Valkey-only settings on a Redis store are warnings, because newer
 * Redis versions than the one measured have some of them. Pure.
 */
import type { Engine, KVStoreSpec } from '../shared/schema/kvstore.js';
import { userEngineSettings } from '../shared/user-engine-settings.js';
import type { FieldError } from '../shared/validators.js';

/** Redis settings Dragonfly lacks, each with what to use instead. Dragonfly reads `a-b` and `a_b` as one flag. */
const DRAGONFLY_LACKS: Record<string, string> = {
  maxmemory_policy: 'dragonfly evicts only with cache_mode: "true"',
  min_replicas_to_write: 'dragonfly cannot hold writes for replicas (no WAIT either)',
  min_replicas_max_lag: 'dragonfly cannot hold writes for replicas (no WAIT either)',
  repl_ping_replica_period: 'dragonfly has no replica ping period',
  appendonly: 'dragonfly has no append-only file; it snapshots',
  appendfsync: 'dragonfly has no append-only file; it snapshots',
  save: 'dragonfly saves on shutdown and on spec.snapshot.cron (snapshot_cron), not on save points',
};

/** Settings of redis-server 7.0.15 that valkey-server 8.0.1 does not know. */
const VALKEY_LACKS: Record<string, string> = {
  'aof-disable-auto-gc': 'a Redis 7.0 setting Valkey 8 removed',
};

/** Settings of valkey-server 8.0.1 that redis-server 7.0.15 does not know (some are in later Redis versions). */
const VALKEY_ONLY = new Set([
  'aof-rewrite-cpulist', 'availability-zone', 'bgsave-cpulist', 'bio-cpulist', 'cluster-announce-client-ipv4',
  'cluster-announce-client-ipv6', 'cluster-announce-human-nodename', 'cluster-blacklist-ttl', 'cluster-slot-stats-enabled',
  'dual-channel-replication-enabled', 'events-per-io-thread', 'extended-redis-compatibility', 'hide-user-data-from-log',
  'locale-collate', 'max-new-connections-per-cycle', 'max-new-tls-connections-per-cycle', 'prefetch-batch-max-size',
  'primaryauth', 'primaryuser', 'server-cpulist', 'set-max-listpack-entries', 'set-max-listpack-value', 'unixsocketgroup',
]);

export interface EngineSupport {
  errors: FieldError[];
  warnings: string[];
}

function lacked(engine: Engine, key: string): string | undefined {
  if (engine === 'dragonfly') return DRAGONFLY_LACKS[key.toLowerCase().replaceAll('-', '_')];
  if (engine === 'valkey') return VALKEY_LACKS[key.toLowerCase()];
  return undefined;
}

/** What `engine` cannot do of the spec (the spec as it will run, defaults applied). */
export function checkEngineSupport(spec: KVStoreSpec): EngineSupport {
  const engine = spec.engine ?? 'redis';
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  for (const { field, key, owned } of userEngineSettings(engine, spec).settings) {
    // An owned setting is refused already, with the operator's reason.
    if (owned) continue;
    const instead = lacked(engine, key);
    if (instead) errors.push({ field, message: `${engine} has no ${JSON.stringify(key)}: ${instead}` });
    else if (engine === 'redis' && VALKEY_ONLY.has(key.toLowerCase())) {
      warnings.push(`${field}: a Valkey setting that Redis 7.0 does not know (it would not start)`);
    }
  }
  if (engine === 'dragonfly' && spec.persistence?.mode !== undefined && spec.persistence.mode !== 'rdb') {
    errors.push({ field: 'spec.persistence.mode', message: 'dragonfly supports rdb snapshots only' });
  }
  if (engine === 'dragonfly' && (spec.replication?.minReplicasToWrite ?? 0) > 0) {
    errors.push({ field: 'spec.replication.minReplicasToWrite', message: 'dragonfly cannot hold writes until replicas have them (no min-replicas-to-write, no WAIT): set 0' });
  }
  return { errors, warnings };
}
