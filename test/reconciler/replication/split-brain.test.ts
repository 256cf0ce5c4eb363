import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { compareSinceSplit, resolveSplitBrain, type PodCandidate } from '../../../reconciler/replication/split-brain.js';
import { engineStateFromInfo, type EngineState } from '../../../reconciler/replication/info.js';

const replicaInfo = readFileSync(new URL('../../fixtures/replication/redis7-replica.info.txt', import.meta.url), 'utf8');
const base = engineStateFromInfo('x', 6379, replicaInfo);

function pod(ordinal: number, overrides: Partial<EngineState> = {}): PodCandidate {
  const host = `10.0.0.${ordinal + 10}`;
  const state: EngineState = {
    ...base, host, port: 6379, role: 'replica', masterHost: '10.0.0.1', masterPort: 6379, masterLinkUp: false, fenced: false,
    masterSyncInProgress: false, loading: false, masterReplid: 'AAAA', masterReplid2: '0000', replicationOffset: 1000, keys: 10, ...overrides,
  };
  return { pod: `s-${ordinal}`, ordinal, host, port: 6379, state };
}

test('two masters: the side with more writes since the split stays, the other is demoted', () => {
  // s-0 stayed master on history AAAA; s-1 was promoted by hand at offset 1000 (its history starts at 1001).
  const original = pod(0, { role: 'master', masterReplid: 'AAAA', masterReplid2: '0000', secondReplOffset: -1, replicationOffset: 1100 });
  const promoted = pod(1, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1500 });
  assert.deepEqual(compareSinceSplit(original.state!, promoted.state!), { writesA: 100, writesB: 500, sharedHistory: true });
  const decision = resolveSplitBrain([original, promoted]);
  assert.equal(decision.kind, 'split-brain');
  assert.equal(decision.winner?.pod, 's-1');
  assert.deepEqual(decision.demote.map((d) => d.pod), ['s-0']);
  assert.match(decision.reason, /s-0 100 vs s-1 500 bytes written since the split/);
  // More writes on the original side: it stays, even though its absolute offset is lower than the promoted one's.
  const busyOriginal = pod(0, { role: 'master', masterReplid: 'AAAA', masterReplid2: '0000', secondReplOffset: -1, replicationOffset: 1900 });
  const quietPromoted = pod(1, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1010 });
  assert.equal(resolveSplitBrain([quietPromoted, busyOriginal]).winner?.pod, 's-0');
});

test('two masters with no writes since the split: the recorded master stays, else the lowest ordinal', () => {
  const recorded = pod(2, { role: 'master', masterReplid: 'AAAA', masterReplid2: '0000', secondReplOffset: -1, replicationOffset: 1000 });
  const promotedByHand = pod(0, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1000 });
  const decision = resolveSplitBrain([promotedByHand, recorded], 's-2');
  assert.equal(decision.winner?.pod, 's-2');
  assert.deepEqual(decision.rejected, [{ pod: 's-0', reason: 'no more writes since the split than s-2, the recorded master' }]);
  assert.equal(resolveSplitBrain([recorded, promotedByHand], 's-2').winner?.pod, 's-2');
  assert.equal(resolveSplitBrain([recorded, promotedByHand]).winner?.pod, 's-0');
});

test('the recorded master promoted from the other\'s history keeps the role, whatever the old master wrote after the split', () => {
  // s-1 was promoted by the operator when s-0 hung (history BBBB starts at 1001). s-0, thawed, ran the SETs clients had
  // queued on it while it hung and has more bytes since the split than s-1; they were never acknowledged through a
  // replica, while s-1's writes were. s-1 stays; s-0 is demoted (and resyncs from s-1).
  const thawed = pod(0, { role: 'master', masterReplid: 'AAAA', masterReplid2: '0000', secondReplOffset: -1, replicationOffset: 1900 });
  const recorded = pod(1, { role: 'master', masterReplid: 'BBBB', masterReplid2: 'AAAA', secondReplOffset: 1001, replicationOffset: 1100 });
  for (const order of [[thawed, recorded], [recorded, thawed]]) {
    const decision = resolveSplitBrain(order, 's-1');
    assert.equal(decision.winner?.pod, 's-1');
    assert.deepEqual(decision.demote.map((d) => d.pod), ['s-0']);
    assert.match(decision.reason, /s-1, the recorded master, was promoted from the history of s-0/);
  }
  // Not recorded (promoted by hand while s-0 is the recorded master): the writes since the split still decide.
  assert.equal(resolveSplitBrain([thawed, recorded], 's-0').winner?.pod, 's-0');
  assert.equal(resolveSplitBrain([thawed, recorded]).winner?.pod, 's-0');
});
