/** The I/O behind the health monitor: a persistent ping connection per master and a replica's view of its master. */
import { closeEngineConnection, openEngineConnection, withEngineConnection, type EngineClient, type EngineEndpoint } from './engine-connection.js';
import { DRAGONFLY_FOLLOWER_OFFSET, hasAssignedMark, parseRoleReply } from './dragonfly-state.js';
import { configValue } from './live-config.js';
import { probeEngine } from './probe.js';

export interface PingAnswer {
  /** Replicas connected to the master right now (from the ROLE reply). */
  connectedReplicas: number;
  /** The master's replication offset. */
  offset: number;
  /** Each connected replica's announced address and the offset it acknowledged. */
  replicas: Array<{ host: string; port: number; offset: number }>;
}

/**
 * ROLE's master reply: Redis/Valkey `['master', offset, [[ip, port, ackOffset], ...]]`; Dragonfly
 * `['master', [[ip, port, state], ...]]` with no offsets, where an `online` replica counts as acknowledging (offset 1,
 * see dragonfly-state.ts) and the master's offset is 0.
 */
export function parseMasterRole(role: unknown[]): PingAnswer {
  const parsed = parseRoleReply(role);
  const listed = parsed?.role === 'master' ? parsed.replicas : [];
  const replicas = listed.map((entry) => ({
    host: entry.host, port: entry.port,
    offset: entry.offset ?? (entry.state === 'online' ? DRAGONFLY_FOLLOWER_OFFSET : 0),
  }));
  return { connectedReplicas: listed.length, offset: parsed?.role === 'master' ? parsed.offset ?? 0 : 0, replicas };
}

export interface PingChannel {
  /** Resolves when the pod answered and is still a master; rejects on error, timeout or another role. */
  ping(): Promise<PingAnswer>;
  close(): void;
}

/**
 * One dedicated connection, opened lazily and dropped after any failure; the next ping opens a new one. With at most
 * one ping in flight per master, a dead master costs one connection attempt per tick, never a storm.
 */
export function openPingChannel(endpoint: EngineEndpoint, timeoutMs: number): PingChannel {
  let client: EngineClient | undefined;
  let closed = false;
  return {
    async ping() {
      if (closed) throw new Error('ping channel closed');
      try {
        client ??= await openEngineConnection(endpoint, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'health' });
        if (closed) throw new Error('ping channel closed');
        // ROLE rather than PING: a master that restarted faster than detection boots fenced and answers as a
        // replica, which must count as a lost master (its replicas cannot sync from it: NOMASTERLINK).
        const role = await client.call('ROLE');
        if (!Array.isArray(role) || role[0] !== 'master') {
          throw new Error(`answers as ${Array.isArray(role) ? `${String(role[0])} of ${String(role[1])}:${String(role[2])}` : 'unknown'}, not master`);
        }
        // Dragonfly cannot boot fenced: a master that restarted faster than detection answers as master again, with only
        // its last snapshot. Without the reconciler's mark it is not the master the reconciler assigned.
        if (Array.isArray(role[1]) && !hasAssignedMark(await client.call('ACL', 'LIST'))) {
          throw new Error('answers as a Dragonfly master that booted since the reconciler assigned it (no assigned mark), not master');
        }
        return parseMasterRole(role);
      } catch (error) {
        if (client) closeEngineConnection(client);
        client = undefined;
        throw error;
      }
    },
    close() {
      closed = true;
      if (client) closeEngineConnection(client);
      client = undefined;
    },
  };
}

export interface ReplicaView {
  pod: string;
  /** True when this replica still has a live link to the master: the master is not down, whatever the operator sees. */
  seesMaster: boolean;
  status: 'link-up' | 'link-down' | 'stale' | 'unreachable' | 'other-master';
  detail: string;
  /**
   * With the link up: how many bytes of the master's stream the replica has read (slave_read_repl_offset, else
   * slave_repl_offset). Undefined on Dragonfly, which reports no offsets. The health monitor watches it move: a live
   * master sends at least a PING every repl-ping-replica-period, so an offset that stands still longer than that
   * means a master that has gone silent with the link still open (replication-silence.ts).
   */
  offset?: number;
}

/**
 * The replica hears from its master at least every repl-ping-replica-period (1 s as Redwing renders it). A link
 * that is "up" but silent for longer than the down-after window and two ping periods means a hung master (SIGSTOP,
 * a lost node) whose TCP connection has not been torn down yet.
 */
export function replicaStaleAfterSeconds(downAfterMilliseconds: number, pingPeriodSeconds = 1): number {
  return Math.max(3, Math.ceil(downAfterMilliseconds / 1000) + 1, pingPeriodSeconds + 2);
}

/** The store's ping period, read from the replica (all pods share one config); Redis' default 10 s when unknown. */
export async function pingPeriodSeconds(endpoint: EngineEndpoint, timeoutMs: number): Promise<number> {
  try {
    const reply = await withEngineConnection(endpoint, { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'health' },
      (client) => client.call('CONFIG', 'GET', 'repl-ping-replica-period'));
    const value = Number(configValue(reply, 'repl-ping-replica-period'));
    return Number.isFinite(value) && value > 0 ? value : 10;
  } catch {
    return 10;
  }
}

export async function checkReplicaView(
  replica: { pod: string; endpoint: EngineEndpoint },
  master: { endpoint: EngineEndpoint; aliases?: string[]; replicationAddress?: { host: string; port: number } },
  downAfterMilliseconds: number,
  timeoutMs = 500,
): Promise<ReplicaView> {
  const result = await probeEngine(replica.endpoint, timeoutMs);
  if (!result.reachable) return { pod: replica.pod, seesMaster: false, status: 'unreachable', detail: result.error };
  const state = result.state;
  const address = master.replicationAddress ?? master.endpoint;
  const names = [address.host, master.endpoint.host, ...(master.aliases ?? [])];
  if (state.role !== 'replica' || state.masterPort !== address.port || !names.includes(state.masterHost ?? '')) {
    const detail = state.role === 'master' ? 'is a master itself' : `follows ${state.masterHost}:${state.masterPort}`;
    return { pod: replica.pod, seesMaster: false, status: 'other-master', detail };
  }
  if (!state.masterLinkUp) {
    return { pod: replica.pod, seesMaster: false, status: 'link-down', detail: `link down for ${state.masterLinkDownSinceSeconds} s` };
  }
  const offset = state.engine === 'dragonfly' ? undefined : readOffset(state.raw, state.slaveReplOffset);
  // An idle master is quiet for a whole ping period: only call the link stale past the store's actual period.
  if (state.masterLastIoSecondsAgo >= replicaStaleAfterSeconds(downAfterMilliseconds)
    && state.masterLastIoSecondsAgo >= replicaStaleAfterSeconds(downAfterMilliseconds, await pingPeriodSeconds(replica.endpoint, timeoutMs))) {
    return { pod: replica.pod, seesMaster: false, status: 'stale', detail: `no traffic from the master for ${state.masterLastIoSecondsAgo} s`, offset };
  }
  return { pod: replica.pod, seesMaster: true, status: 'link-up', detail: `link up, last I/O ${state.masterLastIoSecondsAgo} s ago`, offset };
}

/** Bytes of the master's stream the replica has read: slave_read_repl_offset (Redis/Valkey ≥ 7), else what it processed. */
function readOffset(fields: Record<string, string>, processed: number | undefined): number | undefined {
  const read = Number(fields.slave_read_repl_offset);
  return Number.isFinite(read) && fields.slave_read_repl_offset !== undefined ? read : processed;
}
