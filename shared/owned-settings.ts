/**
 * Engine settings the operator owns: the one list that spec.config and spec.args are both judged against (the
 * webhook refuses them, the reconciler drops them from the rendered config), and that the KVPolicy rules
 * requireAuthentication, requireTLS and requirePersistence consult, so no spelling of a setting slips past one of
 * them. Pure data and lookups.
 *
 * Redis and Valkey read config directives case-insensitively; Dragonfly's abseil flags are case-sensitive, but a
 * wrongly cased owned flag only makes Dragonfly refuse to start, so keys are compared lowercased (and `-` as `_` for
 * Dragonfly) to refuse every spelling rather than to guess which ones the engine takes.
 */
import type { Engine } from './schema/kvstore.js';

/** What a policy rule protects; a setting that can undo it makes the rule fail wherever it appears. */
export type GuardedConcern = 'authentication' | 'tls' | 'persistence';

export interface OwnedSetting {
  /** The owned name as matched (the key lowercased; a prefix such as `tls-` for a family). */
  name: string;
  /** Completes "<field> sets <key>, which the operator owns: …" with what to do instead. */
  instead: string;
  /** Policy concerns this setting can undo. */
  undoes: readonly GuardedConcern[];
  /**
   * A mode the operator does not run at all (cluster, sentinel): the operator never sets it either, so "set by the
   * operator" would mislead; the refusal says the mode is unsupported.
   */
  unsupportedMode?: true;
}

type Entry = Omit<OwnedSetting, 'name'>;

const AUTH: Entry = { instead: 'the password comes from spec.authentication.passwordFromSecret', undoes: ['authentication'] };
const REPLICATION: Entry = { instead: 'the reconciler manages replication and failover', undoes: [] };
const DATA_LAYOUT: Entry = { instead: 'the data volume and its files are fixed at /data', undoes: ['persistence'] };
const PERSISTENCE: Entry = { instead: 'use spec.persistence (enabled, mode)', undoes: ['persistence'] };
const TLS: Entry = { instead: 'use spec.tls (enabled, secretName, clientCaSecretName)', undoes: ['tls'] };
const LISTENER: Entry = { instead: 'the engine listens on every pod address, port 6379', undoes: [] };
const PROCESS: Entry = { instead: 'the engine runs in the foreground and logs to stdout, as the pod expects', undoes: [] };
const ANYTHING: Entry = {
  instead: 'it would read settings from elsewhere, past these checks; set them in spec.config',
  undoes: ['authentication', 'tls', 'persistence'],
};
const RUNTIME_ESCAPE: Entry = {
  instead: 'it would let clients change owned settings or load code at run time',
  undoes: ['authentication', 'tls', 'persistence'],
};

const CLUSTER_MODE: Entry = {
  instead: 'cluster mode is not supported: a KVStore is one master and its replicas, each holding every key, failed over by the reconciler',
  undoes: [],
  unsupportedMode: true,
};

const REDIS_KEYS: Readonly<Record<string, Entry>> = {
  requirepass: AUTH,
  user: { instead: 'ACL users would replace the password from spec.authentication.passwordFromSecret', undoes: ['authentication'] },
  aclfile: AUTH,
  masterauth: REPLICATION,
  masteruser: REPLICATION,
  replicaof: REPLICATION,
  slaveof: REPLICATION,
  'replica-read-only': REPLICATION,
  'slave-read-only': REPLICATION,
  'replica-announce-ip': REPLICATION,
  'slave-announce-ip': REPLICATION,
  'min-replicas-to-write': { instead: 'use spec.replication.minReplicasToWrite', undoes: [] },
  'min-slaves-to-write': { instead: 'use spec.replication.minReplicasToWrite', undoes: [] },
  'cluster-enabled': CLUSTER_MODE,
  'cluster-config-file': CLUSTER_MODE,
  sentinel: { instead: 'sentinel mode is not supported: the reconciler itself watches the master and fails over', undoes: [], unsupportedMode: true },
  dir: DATA_LAYOUT,
  dbfilename: DATA_LAYOUT,
  appendfilename: DATA_LAYOUT,
  appenddirname: DATA_LAYOUT,
  appendonly: PERSISTENCE,
  save: PERSISTENCE,
  // Under spec.tls the operator closes the plaintext port (port 0); any other port reopens it.
  port: { instead: 'the engine listens on 6379; spec.tls.enabled decides whether that port is TLS', undoes: ['tls'] },
  bind: LISTENER,
  'protected-mode': LISTENER,
  unixsocket: LISTENER,
  unixsocketperm: LISTENER,
  include: ANYTHING,
  'rename-command': { instead: 'the operator needs the commands under their own names', undoes: [] },
  'enable-protected-configs': RUNTIME_ESCAPE,
  'enable-debug-command': RUNTIME_ESCAPE,
  'enable-module-command': RUNTIME_ESCAPE,
  loadmodule: RUNTIME_ESCAPE,
  daemonize: PROCESS,
  supervised: PROCESS,
  logfile: PROCESS,
};
const REDIS_PREFIXES: Readonly<Record<string, Entry>> = { 'tls-': TLS };

const DRAGONFLY_KEYS: Readonly<Record<string, Entry>> = {
  requirepass: AUTH,
  aclfile: AUTH,
  admin_nopass: { instead: 'the admin port would take commands without a password', undoes: ['authentication'] },
  // Dragonfly's memcached listener has no authentication at all.
  memcached_port: { instead: 'the memcached listener has no authentication', undoes: ['authentication', 'tls'] },
  masterauth: REPLICATION,
  replicaof: REPLICATION,
  break_replication_on_master_restart: REPLICATION,
  cluster_mode: CLUSTER_MODE,
  dir: DATA_LAYOUT,
  dbfilename: { instead: 'use spec.persistence; the snapshot file name is fixed', undoes: ['persistence'] },
  port: { instead: 'the engine listens on 6379; spec.tls.enabled decides whether that port is TLS', undoes: ['tls'] },
  bind: LISTENER,
  admin_port: { instead: 'a second listener would bypass spec.tls', undoes: ['tls'] },
  admin_bind: LISTENER,
  primary_port_http_enabled: LISTENER,
  tls: TLS,
  flagfile: ANYTHING,
  fromenv: ANYTHING,
  tryfromenv: ANYTHING,
  logtostderr: PROCESS,
};
const DRAGONFLY_PREFIXES: Readonly<Record<string, Entry>> = { tls_: TLS };

/** The normal form a key is compared in: lowercase; for Dragonfly also `-` as `_`. */
export function normalizeSettingKey(engine: Engine, key: string): string {
  const lower = key.toLowerCase();
  return engine === 'dragonfly' ? lower.replaceAll('-', '_') : lower;
}

function lookup(keys: Readonly<Record<string, Entry>>, prefixes: Readonly<Record<string, Entry>>, key: string): OwnedSetting | undefined {
  if (Object.hasOwn(keys, key)) return { name: key, ...keys[key]! };
  const prefix = Object.keys(prefixes).find((candidate) => key.startsWith(candidate));
  return prefix === undefined ? undefined : { name: prefix, ...prefixes[prefix]! };
}

/**
 * The owned setting `key` names for `engine`, or undefined when users may set it. For Dragonfly a boolean flag's
 * negation (`--notls`) is the flag itself; abseil has no way to tell which flags are boolean from the name alone, so
 * every `no…` name is also looked up without the prefix.
 */
export function ownedSetting(engine: Engine, key: string): OwnedSetting | undefined {
  const normal = normalizeSettingKey(engine, key);
  if (engine !== 'dragonfly') return lookup(REDIS_KEYS, REDIS_PREFIXES, normal);
  return lookup(DRAGONFLY_KEYS, DRAGONFLY_PREFIXES, normal)
    ?? (normal.startsWith('no') ? lookup(DRAGONFLY_KEYS, DRAGONFLY_PREFIXES, normal.slice(2)) : undefined);
}

/** Every owned key and prefix of an engine, for tables and tests. */
export function ownedSettingNames(engine: Engine): { keys: string[]; prefixes: string[] } {
  const [keys, prefixes] = engine === 'dragonfly' ? [DRAGONFLY_KEYS, DRAGONFLY_PREFIXES] : [REDIS_KEYS, REDIS_PREFIXES];
  return { keys: Object.keys(keys), prefixes: Object.keys(prefixes) };
}
