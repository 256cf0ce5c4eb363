/**
 * Pure parsing of the engine's INFO text (Redis, Valkey and Dragonfly share the format) into an EngineState.
 * Kept free of I/O so it can be tested against captured real output.
 */

/** Where every pod's rendered config points it at boot: an address nothing listens on, so a restarted pod is a
 * replica with its link down, refuses writes (replica-read-only) and cannot be a sync source for anybody. */
export const FENCE_MASTER_HOST = '127.0.0.1';
export const FENCE_MASTER_PORT = 1;

export interface FencePlaceholder {
  host: string;
  port: number;
}

export const DEFAULT_FENCE: FencePlaceholder = { host: FENCE_MASTER_HOST, port: FENCE_MASTER_PORT };

export type EngineKind = 'redis' | 'valkey' | 'dragonfly';
export type EngineRole = 'master' | 'replica';

export interface ConnectedReplica {
  host: string;
  port: number;
  /** `online`, `wait_bgsave`, `send_bulk`, … as the master reports it. */
  state: string;
  offset: number;
  lagSeconds: number;
}

export interface EngineState {
  host: string;
  port: number;
  engine: EngineKind;
  version: string;
  role: EngineRole;
  runId: string;
  uptimeSeconds: number;
  /** Set when role is replica. */
  masterHost?: string;
  masterPort?: number;
  masterLinkUp: boolean;
  /** Seconds since the replica last heard from its master; -1 when it never did (or is a master). */
  masterLastIoSecondsAgo: number;
  masterLinkDownSinceSeconds: number;
  masterSyncInProgress: boolean;
  /** The master's stream offset (on a replica: how far it has processed, Redis ≥ 7). */
  masterReplOffset: number;
  /** The replica's processed offset (`slave_repl_offset`), undefined on a master. */
  slaveReplOffset?: number;
  /** The offset to compare across pods: slave_repl_offset on a replica, master_repl_offset on a master. */
  replicationOffset: number;
  masterReplid: string;
  masterReplid2: string;
  /** First offset of the current replid's history when replid2 is set, else -1. */
  secondReplOffset: number;
  connectedReplicas: ConnectedReplica[];
  keys: number;
  rdbLastSaveTime: number;
  loading: boolean;
  /** A replica of the fence placeholder: booted and not yet given a role by the reconciler. */
  fenced: boolean;
  /** Dragonfly reports `master_link_status` too; kept raw for diagnostics. */
  raw: Record<string, string>;
}

/** Parses INFO text into a flat key → value map (section headers and blank lines dropped). */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/** Parses `a=1,b=x` (replica entries, keyspace lines). */
export function parseInfoRecord(value: string): Record<string, string> {
  const record: Record<string, string> = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) record[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return record;
}

function toInt(value: string | undefined, fallback = 0): number {
  if (value === undefined) return fallback;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : fallback;
}

function detectEngine(fields: Record<string, string>): EngineKind {
  if (fields.dragonfly_version !== undefined || fields.redis_mode === 'dragonfly' || fields.dfly_version !== undefined) return 'dragonfly';
  if (fields.valkey_version !== undefined || fields.server_name === 'valkey') return 'valkey';
  return 'redis';
}

function parseConnectedReplicas(fields: Record<string, string>): ConnectedReplica[] {
  const replicas: ConnectedReplica[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!/^slave\d+$/.test(key)) continue;
    const record = parseInfoRecord(value);
    replicas.push({
      host: record.ip ?? '',
      port: toInt(record.port),
      state: record.state ?? 'unknown',
      offset: toInt(record.offset),
      lagSeconds: toInt(record.lag, -1),
    });
  }
  return replicas;
}

function countKeys(fields: Record<string, string>): number {
  let keys = 0;
  for (const [key, value] of Object.entries(fields)) {
    if (/^db\d+$/.test(key)) keys += toInt(parseInfoRecord(value).keys);
  }
  return keys;
}

/**
 * A freshly booted replica with no history reports slave_repl_offset:1 and master_repl_offset:0, so the replica's
 * offset counts only when its own stream (master_repl_offset, kept in step by Redis ≥ 4) has started.
 */
function comparableOffset(fields: Record<string, string>, role: EngineRole, masterReplOffset: number, slaveReplOffset: number | undefined): number {
  if (role === 'master') return masterReplOffset;
  if (fields.master_repl_offset === undefined) return slaveReplOffset ?? 0;
  return masterReplOffset > 0 ? Math.max(masterReplOffset, slaveReplOffset ?? 0) : 0;
}

/** Builds the EngineState of the pod at host:port from its INFO text (all sections, or several concatenated). */
export function engineStateFromInfo(host: string, port: number, infoText: string, fence: FencePlaceholder = DEFAULT_FENCE): EngineState {
  const fields = parseInfo(infoText);
  const role: EngineRole = fields.role === 'master' ? 'master' : 'replica';
  const masterReplOffset = toInt(fields.master_repl_offset);
  const slaveReplOffset = role === 'replica' ? toInt(fields.slave_repl_offset, masterReplOffset) : undefined;
  const masterHost = role === 'replica' ? fields.master_host : undefined;
  const masterPort = role === 'replica' ? toInt(fields.master_port) : undefined;
  const engine = detectEngine(fields);
  return {
    host,
    port,
    engine,
    version: fields.valkey_version ?? fields.dragonfly_version ?? fields.redis_version ?? 'unknown',
    role,
    runId: fields.run_id ?? '',
    uptimeSeconds: toInt(fields.uptime_in_seconds),
    masterHost,
    masterPort,
    masterLinkUp: fields.master_link_status === 'up',
    masterLastIoSecondsAgo: toInt(fields.master_last_io_seconds_ago, -1),
    masterLinkDownSinceSeconds: toInt(fields.master_link_down_since_seconds, -1),
    masterSyncInProgress: fields.master_sync_in_progress === '1',
    masterReplOffset,
    slaveReplOffset,
    replicationOffset: comparableOffset(fields, role, masterReplOffset, slaveReplOffset),
    masterReplid: fields.master_replid ?? '',
    masterReplid2: fields.master_replid2 ?? '',
    secondReplOffset: toInt(fields.second_repl_offset, -1),
    connectedReplicas: parseConnectedReplicas(fields),
    keys: countKeys(fields),
    rdbLastSaveTime: toInt(fields.rdb_last_save_time),
    loading: fields.loading === '1',
    fenced: role === 'replica' && masterHost === fence.host && masterPort === fence.port,
    raw: fields,
  };
}
