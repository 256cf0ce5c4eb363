/**
 * Which engine settings can change at run time (CONFIG SET) and which only take effect after a restart.
 *
 * Redis and Valkey accept CONFIG SET for almost every setting; the exceptions are the immutable ones of their
 * config tables plus the ones redwing keeps fixed for the lifetime of a pod (listeners, data layout, the fence).
 * An unknown Redis/Valkey key is treated as live: if CONFIG SET refuses it, the value is still in the ConfigMap and
 * takes effect at the next restart (the controller reports the failure).
 * Dragonfly marks only a few flags as mutable, so there the rule is reversed: unknown keys need a restart.
 */
import type { Engine } from '../../shared/schema/kvstore.js';

const REDIS_RESTART_ONLY = new Set([
  // fixed by redwing for the pod's lifetime
  'port', 'tls-port', 'bind', 'dir', 'dbfilename', 'replicaof', 'slaveof', 'tls-auth-clients', 'tls-ca-cert-file',
  'tls-cert-file', 'tls-key-file', 'tls-replication',
  // immutable in the engine
  'daemonize', 'databases', 'io-threads', 'io-threads-do-reads', 'supervised', 'pidfile', 'logfile', 'syslog-enabled',
  'syslog-ident', 'syslog-facility', 'always-show-logo', 'unixsocket', 'unixsocketperm', 'unixsocketgroup',
  'cluster-enabled', 'cluster-config-file', 'cluster-port', 'tcp-backlog', 'appenddirname', 'appendfilename',
  'enable-protected-configs', 'enable-debug-command', 'enable-module-command', 'set-proc-title', 'ignore-warnings',
  'crash-log-enabled', 'crash-memcheck-enabled', 'use-exit-on-panic', 'loadmodule', 'disable-thp', 'aclfile',
  'locale-collate', 'bind-source-addr', 'events-per-io-thread', 'rdb-version-check',
]);

// Flags Dragonfly v1.34 lists in CONFIG GET * (its config registry, which also holds immutable ones such as `dir`),
// known to be mutable; tcp_keepalive and timeout were set live in ../shared/research/dragonfly. A flag outside the
// registry (lua_resp2_legacy_float was listed here) can only change with a restart.
const DRAGONFLY_LIVE = new Set([
  'maxmemory', 'masterauth', 'requirepass', 'snapshot_cron', 'max_eviction_per_heartbeat', 'enable_heartbeat_eviction',
  'slowlog_log_slower_than', 'slowlog_max_len', 'replication_timeout', 'pipeline_squash', 'tcp_keepalive', 'timeout',
]);

/** True when `key` can be changed on a running engine with CONFIG SET. */
export function isLiveSettable(engine: Engine, key: string): boolean {
  if (engine === 'dragonfly') return DRAGONFLY_LIVE.has(key);
  return !REDIS_RESTART_ONLY.has(key.toLowerCase());
}
