/**
 * Dragonfly's replication state in the terms the planner uses for Redis (pure; the probe feeds it INFO, ROLE and
 * ACL LIST). Dragonfly differs in three ways that matter (../shared/research/dragonfly/README.md, "Differences"):
 *
 * - No offsets. ROLE is `["master", [[ip, "port", state], ...]]` or `["slave", host, "port", state]`, INFO has no
 *   master_repl_offset, and slave_repl_offset (always 1) shows only while the link is stable. So nothing says which
 *   replica is ahead; the only order is "followed a master" (a dataset from it) over "did not".
 * - The link state is ROLE's, not INFO's: after the master died, INFO kept `master_link_status:up` with
 *   `master_sync_in_progress:1` while ROLE said `connecting`. ROLE's `online` is up and in sync; `full_sync` and
 *   `preparation` are a sync in progress; `connecting` is down.
 * - It cannot boot fenced (`--replicaof` skips loading the snapshot), so a restarted pod comes back as a master with
 *   its last snapshot. The reconciler marks every engine it assigned a role (the disabled ACL user
 *   ASSIGNED_MARK_USER, in memory only); an engine without the mark booted since and is reported as fenced, exactly
 *   like a Redis pod that booted as a replica of the placeholder. It then takes no part in an election on offsets and
 *   stays out of the Services (its readiness checks the same mark).
 *
 * What follows for data safety: every replica that followed the master (online, or connecting after it died) gets
 * the pseudo-offset 1, masters and fenced pods 0. Among replicas at 1 the planner prefers the most keys, then the lowest
 * ordinal. Dragonfly has no WAIT and no min-replicas-to-write, so a write the master acknowledged may not have reached
 * any replica when it dies: a failover can lose the last writes (the replication lag, usually milliseconds), and
 * nothing can show which replica has more. A replica whose full sync was cut by the master's death also reads as
 * `connecting` with part of the data; it competes on key count only.
 */
import { ASSIGNED_MARK_USER } from '../desired/constants.js';
import type { EngineClient } from './engine-connection.js';
import { DEFAULT_FENCE, engineStateFromInfo, type EngineState, type FencePlaceholder } from './info.js';

/** The pseudo-offset of a replica that holds a dataset from its master (Dragonfly reports no offsets). */
export const DRAGONFLY_FOLLOWER_OFFSET = 1;

export type RoleReply =
  | { role: 'master'; offset?: number; replicas: Array<{ host: string; port: number; offset?: number; state?: string }> }
  | { role: 'replica'; masterHost: string; masterPort: number; state: string; offset?: number };

/**
 * ROLE of Redis/Valkey (`master, offset, [[ip, port, offset]]` / `slave, host, port, state, offset`) and of Dragonfly
 * (`master, [[ip, port, state]]` / `slave, host, "port", state`). Undefined for anything else (a sentinel, an error).
 */
export function parseRoleReply(reply: unknown): RoleReply | undefined {
  if (!Array.isArray(reply)) return undefined;
  if (reply[0] === 'master') {
    const dragonfly = Array.isArray(reply[1]);
    const listed: unknown[] = dragonfly ? reply[1] as unknown[] : Array.isArray(reply[2]) ? reply[2] as unknown[] : [];
    const replicas = listed.filter((entry): entry is unknown[] => Array.isArray(entry)).map((entry) => (dragonfly
      ? { host: String(entry[0]), port: Number(entry[1]), state: String(entry[2]) }
      : { host: String(entry[0]), port: Number(entry[1]), offset: Number(entry[2]) || 0 }));
    return dragonfly ? { role: 'master', replicas } : { role: 'master', offset: Number(reply[1]) || 0, replicas };
  }
  if (reply[0] === 'slave' && reply.length >= 4) {
    const offset = reply.length >= 5 ? Number(reply[4]) : undefined;
    return { role: 'replica', masterHost: String(reply[1]), masterPort: Number(reply[2]), state: String(reply[3]), ...(offset === undefined ? {} : { offset }) };
  }
  return undefined;
}

/** True when ACL LIST (`user <name> ...` lines) or ACL USERS (names) shows the reconciler's mark. */
export function hasAssignedMark(aclReply: unknown): boolean {
  if (!Array.isArray(aclReply)) return false;
  return aclReply.some((line) => {
    const words = String(line).trim().split(/\s+/);
    return words[0] === ASSIGNED_MARK_USER || (words[0] === 'user' && words[1] === ASSIGNED_MARK_USER);
  });
}

/**
 * Leaves the mark in a running Dragonfly once its role is assigned: a disabled user with no password and no
 * permissions, which nobody can log in as. Idempotent.
 */
export async function markAssigned(client: EngineClient): Promise<void> {
  await client.call('ACL', 'SETUSER', ASSIGNED_MARK_USER, 'off');
}

const SYNCING_STATES = new Set(['full_sync', 'preparation']);

/** The EngineState of a Dragonfly pod from its INFO text, its ROLE reply and whether it carries the assigned mark. */
export function dragonflyEngineState(
  host: string, port: number, infoText: string, roleReply: unknown, assigned: boolean, fence: FencePlaceholder = DEFAULT_FENCE,
): EngineState {
  const base = engineStateFromInfo(host, port, infoText, fence);
  const role = parseRoleReply(roleReply);
  const unknownLink = { masterLinkDownSinceSeconds: -1, masterReplOffset: 0, secondReplOffset: -1, masterReplid2: '' };
  if (!assigned) {
    // Booted since the reconciler last looked: whatever it loaded, it is not part of the store until assigned again.
    return {
      ...base, ...unknownLink, role: 'replica', masterHost: fence.host, masterPort: fence.port, masterLinkUp: false,
      masterSyncInProgress: false, slaveReplOffset: 0, replicationOffset: 0, fenced: true, connectedReplicas: [],
    };
  }
  if (base.role === 'master' || role?.role === 'master') {
    const replicas = role?.role === 'master' ? role.replicas : [];
    return {
      ...base, ...unknownLink, role: 'master', masterHost: undefined, masterPort: undefined, masterLinkUp: false,
      masterSyncInProgress: false, slaveReplOffset: undefined, replicationOffset: 0, fenced: false,
      connectedReplicas: replicas.map((replica) => ({
        host: replica.host, port: replica.port, state: replica.state ?? 'unknown',
        offset: replica.state === 'online' ? DRAGONFLY_FOLLOWER_OFFSET : 0, lagSeconds: -1,
      })),
    };
  }
  const state = role?.role === 'replica' ? role.state : 'connecting';
  const syncing = SYNCING_STATES.has(state);
  const online = state === 'online';
  const followed = online || (!syncing && base.keys > 0);
  const offset = followed ? DRAGONFLY_FOLLOWER_OFFSET : 0;
  return {
    ...base, ...unknownLink, masterLinkUp: online, masterSyncInProgress: syncing, slaveReplOffset: offset, replicationOffset: offset,
    masterLastIoSecondsAgo: online ? base.masterLastIoSecondsAgo : -1,
  };
}
