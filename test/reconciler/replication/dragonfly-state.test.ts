// Dragonfly's replication state, read from what a real Dragonfly v1.34.1 answered (../shared/research/dragonfly), and
// what the planner decides on it: ROLE without offsets, link states, a restarted pod that cannot boot fenced.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toObservation } from '../../../reconciler/controller/engine-access.js';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import { planTopology } from '../../../reconciler/controller/plan-topology.js';
import {
  DRAGONFLY_FOLLOWER_OFFSET, dragonflyEngineState, hasAssignedMark, parseRoleReply,
} from '../../../reconciler/replication/dragonfly-state.js';
import { parseMasterRole } from '../../../reconciler/replication/monitor-channels.js';
import { pickSwitchoverTarget } from '../../../reconciler/replication/switchover.js';
import type { EngineState } from '../../../reconciler/replication/info.js';
import { dragonflyRecordingsSkip, readRecordings, type RecordedExchange } from '../../helpers/resp-replay-server.js';

const dragonfly = readRecordings('transcripts.json');
const redis = readRecordings('redis-7.0-transcripts.json');

const isCommand = (entry: RecordedExchange, ...words: string[]) => entry.command.join(' ').toLowerCase() === words.join(' ').toLowerCase();

/** The nth recorded reply to `command` at a scenario's node. */
function reply(scenario: string, node: string, command: string[], nth = 0): unknown {
  const found = dragonfly.filter((entry) => entry.scenario === scenario && entry.node === node && isCommand(entry, ...command));
  assert.ok(found[nth], `recorded: ${scenario}/${node} ${command.join(' ')} #${nth}`);
  return found[nth]!.reply;
}

/** A node's INFO as the probe reads it: INFO server of the recorded master, the node's INFO replication, its DBSIZE as keyspace. */
function infoOf(scenario: string, node: string, nth: number, dbsizeNth = nth): string {
  const server = String(reply('master-rdb-format', 'master', ['INFO', 'server']));
  const replication = String(reply(scenario, node, ['INFO', 'replication'], nth));
  const dbsize = dragonfly.filter((entry) => entry.scenario === scenario && entry.node === node && isCommand(entry, 'DBSIZE'))[dbsizeNth]?.reply;
  return `${server}\n${replication}\n# Keyspace\r\ndb0:keys=${Number(dbsize ?? 0)},expires=0\r\n`;
}

/** The state of the node after its nth (ROLE, INFO replication) pair. */
function stateOf(host: string, scenario: string, node: string, nth: number, assigned = true, dbsizeNth = nth): EngineState {
  return dragonflyEngineState(host, 6379, infoOf(scenario, node, nth, dbsizeNth), reply(scenario, node, ['ROLE'], nth), assigned);
}

function observed(ordinal: number, state: EngineState | undefined): ObservedPod {
  return {
    name: `df-${ordinal}`, ordinal, ip: `127.0.0.${ordinal + 10}`, phase: 'Running', ready: true, terminating: false,
    ...(state ? { engine: toObservation(state) } : {}),
  };
}

describe('Dragonfly ROLE and state (recorded)', { skip: dragonflyRecordingsSkip }, () => {
  it('parses every recorded ROLE reply of Dragonfly and Redis 7', () => {
    const roles = [...dragonfly, ...redis].filter((entry) => isCommand(entry, 'ROLE') && Array.isArray(entry.reply));
    assert.ok(roles.length > 20);
    for (const entry of roles) {
      const parsed = parseRoleReply(entry.reply);
      assert.ok(parsed, `${entry.scenario}/${entry.node}: ${JSON.stringify(entry.reply)}`);
      if (parsed.role === 'replica') {
        assert.equal(Number.isInteger(parsed.masterPort) && parsed.masterPort > 0, true, 'the port is a number, a string in Dragonfly\'s reply');
        assert.equal(parsed.offset === undefined, dragonfly.includes(entry), 'Dragonfly has no offset, Redis has one');
      } else {
        assert.equal(parsed.offset === undefined, dragonfly.includes(entry));
        for (const replica of parsed.replicas) assert.equal(replica.state !== undefined, dragonfly.includes(entry));
      }
    }
  });

  it('takes the link state from ROLE: online is up and in sync, full_sync is a sync in progress, connecting is down', () => {
    const pairs = dragonfly.filter((entry, index) => isCommand(entry, 'INFO', 'replication') && index > 0
      && isCommand(dragonfly[index - 1]!, 'ROLE') && dragonfly[index - 1]!.node === entry.node && dragonfly[index - 1]!.scenario === entry.scenario
      && Array.isArray(dragonfly[index - 1]!.reply) && (dragonfly[index - 1]!.reply as unknown[])[0] === 'slave');
    assert.ok(pairs.length >= 10);
    const seen = new Set<string>();
    for (const info of pairs) {
      const role = dragonfly[dragonfly.indexOf(info) - 1]!.reply as unknown[];
      const linkState = String(role[3]);
      seen.add(linkState);
      const state = dragonflyEngineState('10.0.0.1', 6379, String(info.reply), role, true);
      assert.equal(state.role, 'replica');
      assert.equal(state.masterLinkUp, linkState === 'online', `${info.scenario}: ${linkState}`);
      assert.equal(state.masterSyncInProgress, linkState === 'full_sync');
      assert.equal(state.replicationOffset, linkState === 'online' ? DRAGONFLY_FOLLOWER_OFFSET : 0, 'no keys in INFO replication alone');
    }
    assert.deepEqual([...seen].sort(), ['connecting', 'full_sync', 'online']);
  });

  it('a replica that lost its master keeps its pseudo-offset while it holds the data it followed', () => {
    // master-killed-under-replica: ROLE/INFO #3 is `connecting` after the SIGKILL, DBSIZE 200000 (its only DBSIZE).
    const state = stateOf('10.0.0.2', 'master-killed-under-replica', 'replica', 2, true, 0);
    assert.equal(state.masterLinkUp, false);
    assert.ok(state.keys > 0);
    assert.equal(state.replicationOffset, DRAGONFLY_FOLLOWER_OFFSET);
  });

  it('a pod without the reconciler\'s mark reads as fenced, whatever role it booted with', () => {
    const master = dragonflyEngineState('10.0.0.3', 6379, String(reply('master-rdb-format', 'master', ['INFO', 'replication'])), reply('master-rdb-format', 'master', ['ROLE']), false);
    assert.equal(master.fenced, true);
    assert.equal(master.role, 'replica');
    assert.equal(master.replicationOffset, 0);
    const marked = dragonflyEngineState('10.0.0.3', 6379, String(reply('master-rdb-format', 'master', ['INFO', 'replication'])), reply('master-rdb-format', 'master', ['ROLE']), true);
    assert.equal(marked.role, 'master');
    assert.equal(marked.fenced, false);
  });

  it('finds the mark in ACL LIST and ACL USERS replies', () => {
    const list = reply('master-rdb-format', 'master', ['ACL', 'LIST']) as string[];
    assert.equal(hasAssignedMark(list), false);
    assert.equal(hasAssignedMark([...list, 'user redwing-assigned off resetchannels -@all']), true);
    assert.equal(hasAssignedMark(['default', 'redwing-assigned']), true);
    assert.equal(hasAssignedMark(['default', 'redwing-assigned-not']), false);
  });

  it('the health monitor reads Dragonfly\'s ROLE: online replicas count as acknowledging, the master has no offset', () => {
    const syncing = parseMasterRole(reply('replication-main-port', 'master', ['ROLE'], 0) as unknown[]);
    const online = parseMasterRole(reply('replication-main-port', 'master', ['ROLE'], 1) as unknown[]);
    assert.deepEqual(syncing, { connectedReplicas: 1, offset: 0, replicas: [{ host: '127.0.0.1', port: 16402, offset: 0 }] });
    assert.deepEqual(online, { connectedReplicas: 1, offset: 0, replicas: [{ host: '127.0.0.1', port: 16402, offset: DRAGONFLY_FOLLOWER_OFFSET }] });
  });
});

describe('the planner on Dragonfly states (recorded)', { skip: dragonflyRecordingsSkip }, () => {
  const planOn = (pods: ObservedPod[]) => planTopology({ pods, knownMaster: 'df-0', masterDownConfirmed: true, failoverEnabled: true, port: 6379 });

  it('after the master was killed and restarted with an old snapshot, the replica with the most keys is promoted, not the restarted master', () => {
    // df-0 restarted: it boots as a master with its snapshot (1000 keys) and no mark. df-1 followed the master to the
    // end (200000 keys, connecting); df-2 followed an earlier master (1000 keys, connecting).
    const restarted = dragonflyEngineState('127.0.0.10', 6379, infoOf('master-rdb-format', 'master', 0, 0), reply('master-rdb-format', 'master', ['ROLE']), false);
    const pods = [
      observed(0, restarted),
      observed(1, stateOf('127.0.0.11', 'master-killed-under-replica', 'replica', 2, true, 0)),
      observed(2, stateOf('127.0.0.12', 'master-restarted-empty-with-break_replication_on_master_restart', 'replica', 2, true, 1)),
    ];
    const plan = planOn(pods);
    assert.equal(plan.waiting, undefined);
    assert.equal(plan.master, 'df-1');
    assert.equal(plan.reason, 'MasterLost');
    assert.equal(plan.promote, 'df-1');
    assert.deepEqual(plan.replicaOf.map((step) => step.pod).sort(), ['df-0', 'df-2'], 'the restarted master resyncs from the new one');
  });

  it('a replica in a full sync is never promoted; while it may hold data nobody can compare, the planner waits', () => {
    const pods = [
      observed(0, undefined),
      observed(1, stateOf('127.0.0.11', 'master-killed-under-replica', 'replica', 0, true, 0)),
      observed(2, stateOf('127.0.0.12', 'master-restarted-empty-with-break_replication_on_master_restart', 'replica', 2, true, 1)),
    ];
    assert.equal(pods[1]!.engine?.syncInProgress, true);
    const plan = planOn(pods);
    assert.equal(plan.promote, undefined);
    assert.match(plan.waiting ?? '', /df-1 may hold/);
  });

  it('with the master alive and marked, a restarted (unmarked) replica is repointed, nobody is promoted', () => {
    const master = dragonflyEngineState('127.0.0.10', 6379, infoOf('replication-main-port-stable', 'master', 0, 0), reply('replication-main-port-stable', 'master', ['ROLE']), true);
    const restartedReplica = dragonflyEngineState('127.0.0.11', 6379, infoOf('master-rdb-format', 'master', 0, 0), reply('master-rdb-format', 'master', ['ROLE']), false);
    const plan = planTopology({ pods: [observed(0, master), observed(1, restartedReplica)], knownMaster: 'df-0', masterDownConfirmed: false, failoverEnabled: true, port: 6379 });
    assert.equal(plan.master, 'df-0');
    assert.equal(plan.reason, 'Existing');
    assert.equal(plan.promote, undefined);
    assert.deepEqual(plan.replicaOf, [{ pod: 'df-1', host: '127.0.0.10', port: 6379 }]);
  });

  it('a switchover (REPLTAKEOVER) goes to an online replica only: not one in a full sync, not one whose link is down', () => {
    const master = dragonflyEngineState('127.0.0.10', 6379, infoOf('replication-main-port', 'master', 1, 0), reply('replication-main-port', 'master', ['ROLE'], 1), true);
    const candidate = (ordinal: number, state: EngineState) => ({ pod: `df-${ordinal}`, ordinal, host: state.host, port: 6379, state });
    const choice = pickSwitchoverTarget(master, [
      candidate(1, stateOf('127.0.0.11', 'replication-main-port', 'replica', 0, true, 0)),
      candidate(2, stateOf('127.0.0.12', 'master-killed-under-replica', 'replica', 2, true, 0)),
      candidate(3, stateOf('127.0.0.13', 'replication-main-port', 'replica', 1, true, 0)),
    ]);
    assert.equal(choice.target?.pod, 'df-3', choice.reason);
    const none = pickSwitchoverTarget(master, [candidate(1, stateOf('127.0.0.11', 'replication-main-port', 'replica', 0, true, 0))]);
    assert.match(none.reason, /full sync in progress/);
  });
});
