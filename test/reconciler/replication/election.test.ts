import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compareSinceSplit, electMaster, planBootstrap, planFailover, resolveSplitBrain, type PodCandidate } from '../../../reconciler/replication/election.js';
import { engineStateFromInfo, type EngineState } from '../../../reconciler/replication/info.js';

const replicaInfo = readFileSync(new URL('../../fixtures/replication/redis7-replica.info.txt', import.meta.url), 'utf8');
const base = engineStateFromInfo('x', 6379, replicaInfo);
const lost = { host: '10.0.0.1', port: 6379, replid: 'AAAA' };

function replica(ordinal: number, overrides: Partial<EngineState> = {}, pod: Partial<PodCandidate> = {}): PodCandidate {
  const host = `10.0.0.${ordinal + 10}`;
  const state: EngineState = {
    ...base, host, port: 6379, role: 'replica', masterHost: lost.host, masterPort: lost.port, masterLinkUp: false, fenced: false,
    masterSyncInProgress: false, loading: false, masterReplid: 'AAAA', masterReplid2: '0000', replicationOffset: 1000, keys: 10, ...overrides,
  };
  return { pod: `s-${ordinal}`, ordinal, host, port: 6379, state, ...pod };
}

test('failover: the highest replication offset wins, a lagging replica is not elected', () => {
  const decision = electMaster([replica(0, { replicationOffset: 900 }), replica(1, { replicationOffset: 1500 }), replica(2, { replicationOffset: 1200 })], { lostMaster: lost });
  assert.equal(decision.kind, 'failover');
  assert.equal(decision.winner?.pod, 's-1');
  assert.match(decision.reason, /s-1 \(offset 1500/);
});

test('failover: ties go to the lowest ordinal', () => {
  assert.equal(electMaster([replica(2), replica(1), replica(3)], { lostMaster: lost }).winner?.pod, 's-1');
});

test('failover: unreachable, terminating, syncing, loading and foreign replicas are not eligible', () => {
  const decision = electMaster([
    { ...replica(0, { replicationOffset: 5000 }), state: undefined },
    replica(1, { replicationOffset: 5000 }, { terminating: true }),
    replica(2, { replicationOffset: 5000, masterSyncInProgress: true }),
    replica(3, { replicationOffset: 5000, loading: true }),
    replica(4, { replicationOffset: 5000, masterHost: '10.9.9.9', masterReplid: 'OTHER' }),
    replica(5, { replicationOffset: 10 }),
  ], { lostMaster: lost });
  assert.equal(decision.winner?.pod, 's-5');
  assert.deepEqual(decision.rejected.map((r) => r.reason), ['unreachable', 'terminating', 'full sync in progress', 'loading its dataset', 'was not replicating from 10.0.0.1:6379']);
});

test('failover: a restarted replica with an empty dataset never wins against one with data', () => {
  // The restarted pod boots fenced and reports the old history id but nothing in it.
  const empty = replica(0, { replicationOffset: 0, keys: 0, fenced: true, masterHost: '127.0.0.1', masterPort: 1 });
  const withData = replica(1, { replicationOffset: 40, keys: 3 });
  assert.equal(electMaster([empty, withData], { lostMaster: lost }).winner?.pod, 's-1');
  // A fenced pod that reloaded the lost master's history from disk stays eligible through the shared replid.
  const reloaded = replica(2, { replicationOffset: 80, keys: 5, fenced: true, masterHost: '127.0.0.1', masterPort: 1 });
  assert.equal(electMaster([empty, withData, reloaded], { lostMaster: lost }).winner?.pod, 's-2');
});

test('failover: nobody eligible gives kind none with the reasons', () => {
  const decision = electMaster([{ ...replica(0), state: undefined }], { lostMaster: lost });
  assert.equal(decision.kind, 'none');
  assert.equal(decision.winner, undefined);
  assert.match(decision.reason, /s-0 unreachable/);
});

test('cold start: the pod with the most data wins, not ordinal 0', () => {
  const fenced = { fenced: true, masterHost: '127.0.0.1', masterPort: 1 };
  const pods = [replica(0, { ...fenced, replicationOffset: 0, keys: 0 }), replica(1, { ...fenced, replicationOffset: 7000, keys: 50 }), replica(2, { ...fenced, replicationOffset: 6000, keys: 60 })];
  const decision = planBootstrap(pods);
  assert.equal(decision.kind, 'cold-start');
  assert.equal(decision.winner?.pod, 's-1');
  // No offsets (persistence without replication info): the latest save, then the key count.
  const bySave = [replica(0, { ...fenced, replicationOffset: 0, keys: 5, rdbLastSaveTime: 100 }), replica(1, { ...fenced, replicationOffset: 0, keys: 4, rdbLastSaveTime: 200 })];
  assert.equal(planBootstrap(bySave).winner?.pod, 's-1');
  const byKeys = [replica(0, { ...fenced, replicationOffset: 0, keys: 5, rdbLastSaveTime: 100 }), replica(1, { ...fenced, replicationOffset: 0, keys: 9, rdbLastSaveTime: 100 })];
  assert.equal(planBootstrap(byKeys).winner?.pod, 's-1');
});

test('bootstrap: a new store elects ordinal 0; it waits for every pod before choosing', () => {
  const fenced = { fenced: true, masterHost: '127.0.0.1', masterPort: 1, replicationOffset: 0, keys: 0 };
  const decision = planBootstrap([replica(2, fenced), replica(0, fenced), replica(1, fenced)]);
  assert.equal(decision.kind, 'bootstrap');
  assert.equal(decision.winner?.pod, 's-0');
  const waiting = planBootstrap([replica(0, fenced), { ...replica(1, fenced), state: undefined }]);
  assert.equal(waiting.kind, 'none');
  assert.match(waiting.reason, /waiting for s-1/);
});

test('bootstrap keeps an existing master', () => {
  const decision = planBootstrap([replica(0), replica(1, { role: 'master', masterHost: undefined, masterPort: undefined })]);
  assert.equal(decision.kind, 'keep');
  assert.equal(decision.winner?.pod, 's-1');
});

test('two masters: the side with more writes since the split stays, the other is demoted', () => {
  // s-0 stayed master on history AAAA; s-1 was promoted by hand at offset 1000 (its history starts at 1001).
  const original = replica(0, { role: 'master', masterReplid: 'AAAA', masterReplid2: '0000', secondReplOffset: -1, replicationOffset: 1100 });
  const promoted = replica(1, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1500 });
  assert.deepEqual(compareSinceSplit(original.state!, promoted.state!), { writesA: 100, writesB: 500, sharedHistory: true });
  const decision = resolveSplitBrain([original, promoted]);
  assert.equal(decision.kind, 'split-brain');
  assert.equal(decision.winner?.pod, 's-1');
  assert.deepEqual(decision.demote.map((d) => d.pod), ['s-0']);
  assert.match(decision.reason, /s-0 100 vs s-1 500 bytes written since the split/);
  // More writes on the original side: it stays, even though its absolute offset is lower than the promoted one's.
  const busyOriginal = replica(0, { role: 'master', masterReplid: 'AAAA', masterReplid2: '0000', secondReplOffset: -1, replicationOffset: 1900 });
  const quietPromoted = replica(1, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1010 });
  assert.equal(resolveSplitBrain([quietPromoted, busyOriginal]).winner?.pod, 's-0');
});

test('two masters with no writes since the split: the recorded master stays, else the lowest ordinal', () => {
  const recorded = replica(2, { role: 'master', masterReplid: 'AAAA', masterReplid2: '0000', secondReplOffset: -1, replicationOffset: 1000 });
  const promotedByHand = replica(0, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1000 });
  const decision = resolveSplitBrain([promotedByHand, recorded], 's-2');
  assert.equal(decision.winner?.pod, 's-2');
  assert.deepEqual(decision.rejected, [{ pod: 's-0', reason: 'no more writes since the split than s-2, the recorded master' }]);
  assert.equal(resolveSplitBrain([recorded, promotedByHand], 's-2').winner?.pod, 's-2');
  assert.equal(resolveSplitBrain([recorded, promotedByHand]).winner?.pod, 's-0');
});

test('planFailover resumes a promotion that already happened instead of promoting a second pod', () => {
  const promoted = replica(1, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1001 });
  const stillFollowing = replica(2, { replicationOffset: 1000 });
  const decision = planFailover([promoted, stillFollowing], lost);
  assert.equal(decision.kind, 'resume');
  assert.equal(decision.winner?.pod, 's-1');
  const fresh = planFailover([replica(1, { replicationOffset: 999 }), stillFollowing], lost);
  assert.equal(fresh.kind, 'failover');
  assert.equal(fresh.winner?.pod, 's-2');
});

test('planFailover ignores the lost master itself even if it answers as master again', () => {
  const oldMaster: PodCandidate = { ...replica(0, { role: 'master', replicationOffset: 10, keys: 0 }), host: lost.host, port: lost.port };
  const decision = planFailover([oldMaster, replica(1)], lost);
  assert.equal(decision.kind, 'failover');
  assert.equal(decision.winner?.pod, 's-1');
});
