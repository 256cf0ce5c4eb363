import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { EngineObservation, ObservedPod } from '../../../reconciler/controller/observed.js';
import { planTopology, type TopologyInput } from '../../../reconciler/controller/plan-topology.js';
import { engineStateFromInfo, type EngineState } from '../../../reconciler/replication/info.js';
import { observeMasterRole } from '../../../reconciler/replication/data-bounds.js';

const PORT = 6379;
const replicaInfo = readFileSync(new URL('../../fixtures/replication/redis7-replica.info.txt', import.meta.url), 'utf8');

function pod(ordinal: number, engine?: Partial<EngineObservation> & Pick<EngineObservation, 'role'>, extra: Partial<ObservedPod> = {}): ObservedPod {
  return {
    name: `s-${ordinal}`,
    ordinal,
    ip: `127.0.0.${ordinal + 10}`,
    phase: 'Running',
    ready: true,
    terminating: false,
    engine: engine ? { replicationOffset: 0, ...engine } : undefined,
    ...extra,
  };
}

/** A replica linked to the pod with `masterOrdinal`. */
function replicaOf(masterOrdinal: number, offset: number, extra: Partial<EngineObservation> = {}): EngineObservation {
  return { role: 'replica', masterHost: `127.0.0.${masterOrdinal + 10}`, masterPort: PORT, masterLinkUp: true, replicationOffset: offset, ...extra };
}

const fenced = (offset = 0, keys = 0): EngineObservation => ({ role: 'replica', masterHost: '127.0.0.1', masterPort: 1, masterLinkUp: false, replicationOffset: offset, keys });

function input(pods: ObservedPod[], extra: Partial<TopologyInput> = {}): TopologyInput {
  return { pods, masterDownConfirmed: false, failoverEnabled: true, port: PORT, ...extra };
}

describe('planTopology', () => {
  it('bootstraps a new store on ordinal 0 and points the others at it', () => {
    const plan = planTopology(input([pod(0, fenced()), pod(1, fenced()), pod(2, fenced())]));
    assert.equal(plan.master, 's-0');
    assert.equal(plan.reason, 'Bootstrap');
    assert.equal(plan.promote, 's-0');
    assert.deepEqual(plan.replicaOf, [
      { pod: 's-1', host: '127.0.0.10', port: PORT },
      { pod: 's-2', host: '127.0.0.10', port: PORT },
    ]);
    assert.deepEqual(plan.labels.at(-1), { pod: 's-0', role: 'master' }, 'master label comes last');
    assert.deepEqual(plan.labels.slice(0, 2), [{ pod: 's-1', role: 'replica' }, { pod: 's-2', role: 'replica' }]);
  });

  it('a new store waits for every pod before bootstrapping: ordinal 0 is not skipped because it answered last', () => {
    const pending = pod(0, undefined, { phase: 'Running', ready: false });
    const plan = planTopology(input([pending, pod(1, fenced()), pod(2, fenced())]));
    assert.equal(plan.master, undefined);
    assert.equal(plan.promote, undefined);
    assert.deepEqual(plan.replicaOf, []);
    assert.match(plan.waiting ?? '', /waiting for s-0 to answer/);
    assert.deepEqual(plan.awaiting, ['s-0']);
  });

  it('on a cold start with data elects the pod with the highest offset, not ordinal 0', () => {
    const plan = planTopology(input([pod(0, fenced(100, 5)), pod(1, fenced(900, 7)), pod(2, fenced(500, 9))]));
    assert.equal(plan.master, 's-1');
    assert.equal(plan.reason, 'MostData');
    assert.equal(plan.promote, 's-1');
  });

  it('on a cold start with data waits until every present pod answers', () => {
    const plan = planTopology(input([pod(0, fenced(100)), pod(1, undefined, { phase: 'Pending', ip: undefined, ready: false })]));
    assert.equal(plan.master, undefined);
    assert.match(plan.waiting ?? '', /s-1/);
    assert.deepEqual(plan.replicaOf, []);
  });

  it('after a cold start with a recorded master, waits for every pod before electing: the slowest may hold the most data', () => {
    // Every answering pod booted fenced, the recorded master s-1 has not answered yet: electing s-0 or s-2 now would
    // make s-1 resync from a poorer pod and drop the writes only it holds.
    const fencedState = (offset: number): EngineObservation => ({ ...fenced(offset), state: { fenced: true } as EngineObservation['state'] });
    const waiting = planTopology(input([pod(0, fencedState(100)), pod(1), pod(2, fencedState(80))], { knownMaster: 's-1', masterDownConfirmed: true }));
    assert.equal(waiting.promote, undefined);
    assert.deepEqual(waiting.replicaOf, []);
    assert.match(waiting.waiting ?? '', /cold start: waiting for s-1/);
    const back = planTopology(input([pod(0, fencedState(100)), pod(1, fencedState(900)), pod(2, fencedState(80))], { knownMaster: 's-1', masterDownConfirmed: true }));
    assert.equal(back.master, 's-1');
    assert.equal(back.promote, 's-1');
    // A pod on a lost node (terminating) is not waited for.
    const lostNode = planTopology(input([pod(0, fencedState(100)), pod(1, undefined, { terminating: true }), pod(2, fencedState(80))], { knownMaster: 's-1', masterDownConfirmed: true }));
    assert.equal(lostNode.master, 's-0');
    // The recorded master answered (fenced) but another pod has not: nobody is promoted yet, the recorded one included.
    const recordedFirst = planTopology(input([pod(0, fencedState(100)), pod(1, fencedState(900)), pod(2)], { knownMaster: 's-1' }));
    assert.equal(recordedFirst.promote, undefined);
    assert.deepEqual(recordedFirst.replicaOf, []);
    assert.match(recordedFirst.waiting ?? '', /cold start: waiting for s-2/);
  });

  it('keeps a healthy master and changes nothing when all replicas are linked', () => {
    const plan = planTopology(input([
      pod(0, { role: 'master', replicationOffset: 50 }, { roleLabel: 'master' }),
      pod(1, replicaOf(0, 50), { roleLabel: 'replica' }),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, 's-0');
    assert.equal(plan.reason, 'Existing');
    assert.equal(plan.promote, undefined);
    assert.deepEqual(plan.replicaOf, []);
    assert.deepEqual(plan.labels, []);
  });

  it('points a new pod (scale-up or restart) at the existing master', () => {
    const plan = planTopology(input([
      pod(0, { role: 'master', replicationOffset: 50 }, { roleLabel: 'master' }),
      pod(1, replicaOf(0, 50), { roleLabel: 'replica' }),
      pod(2, fenced()),
    ], { knownMaster: 's-0' }));
    assert.deepEqual(plan.replicaOf, [{ pod: 's-2', host: '127.0.0.10', port: PORT }]);
    assert.deepEqual(plan.labels, [{ pod: 's-2', role: 'replica' }]);
  });

  it('does not fail over when only the operator cannot reach the master', () => {
    const plan = planTopology(input([
      pod(0, undefined, { roleLabel: 'master' }),
      pod(1, replicaOf(0, 50), { roleLabel: 'replica' }),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, undefined);
    assert.equal(plan.promote, undefined);
    assert.deepEqual(plan.replicaOf, []);
    assert.deepEqual(plan.labels, [], 'the master label stays');
    assert.match(plan.waiting ?? '', /health check/);
  });

  it('a master whose engine waits in restart back-off is lost without the health check (a reconciler started after its death saw none)', () => {
    const plan = planTopology(input([
      pod(0, undefined, { roleLabel: 'master', backOff: { lastExitCode: 137, lastRunMs: 1_000 } }),
      pod(1, replicaOf(0, 50), { roleLabel: 'replica' }),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, 's-1');
    assert.equal(plan.reason, 'MasterLost');
  });

  it('fails over to the follower with the highest offset once the master is confirmed down', () => {
    const plan = planTopology(input([
      pod(0, undefined, { roleLabel: 'master' }),
      pod(1, replicaOf(0, 40, { masterLinkUp: false }), { roleLabel: 'replica' }),
      pod(2, replicaOf(0, 70, { masterLinkUp: false }), { roleLabel: 'replica' }),
    ], { knownMaster: 's-0', masterDownConfirmed: true }));
    assert.equal(plan.master, 's-2');
    assert.equal(plan.reason, 'MasterLost');
    assert.equal(plan.previousMaster, 's-0');
    assert.equal(plan.promote, 's-2');
    assert.deepEqual(plan.replicaOf, [{ pod: 's-1', host: '127.0.0.12', port: PORT }]);
    assert.deepEqual(plan.labels[0], { pod: 's-0', role: undefined }, 'old master label removed first');
    assert.deepEqual(plan.labels.at(-1), { pod: 's-2', role: 'master' });
  });

  it('fails over at once when the master pod is terminating, but not past a full-syncing replica that holds more', () => {
    const pods = (syncing: boolean) => [
      pod(0, { role: 'master', replicationOffset: 80 }, { roleLabel: 'master', terminating: true }),
      pod(1, replicaOf(0, 60)),
      pod(2, replicaOf(0, 90, { syncInProgress: syncing })),
    ];
    // Until its sync is over, s-2 still holds data up to offset 90, which s-1 lacks and s-2 may have acknowledged.
    const syncing = planTopology(input(pods(true), { knownMaster: 's-0' }));
    assert.equal(syncing.master, undefined);
    assert.match(syncing.waiting ?? '', /s-2 may hold acknowledged writes that s-1/);
    // With its master gone the sync aborts, s-2 keeps its data, and it is the best replica.
    assert.equal(planTopology(input(pods(false), { knownMaster: 's-0' })).master, 's-2');
    // A syncing replica with less data than the best one is no reason to wait.
    const behind = planTopology(input([pods(true)[0]!, pod(1, replicaOf(0, 60)), pod(2, replicaOf(0, 40, { syncInProgress: true }))], { knownMaster: 's-0' }));
    assert.equal(behind.master, 's-1');
  });

  it('five master kills: every pod restarted from its AOF reports offset 0, so nobody is promoted until the lost master is back with its data', () => {
    // The reported loss: s-0 went stale (restarted at the first kill, never in step again), s-1 holds newer data from
    // its own restart, s-2 (the master) is killed. Promoting s-0 made the others resync from it.
    const aof = (keys: number): EngineObservation => ({ ...replicaOf(2, 0, { masterLinkUp: false }), keys });
    const lost = planTopology(input([pod(0, aof(1234)), pod(1), pod(2, undefined, { roleLabel: 'master' })], { knownMaster: 's-2', masterDownConfirmed: true }));
    assert.equal(lost.promote, undefined);
    assert.deepEqual(lost.replicaOf, []);
    assert.match(lost.waiting ?? '', /s-0, s-1 may hold acknowledged writes that no answering replica lacks; waiting for s-2 \(the lost master\)/);
    assert.deepEqual(lost.awaiting, ['s-2', 's-1'], 'the lost master first, then the silent pod');
    const fencedWithData = (keys: number): EngineObservation => ({ ...fenced(0, keys), state: { fenced: true } as EngineObservation['state'] });
    const back = planTopology(input([pod(0, aof(1234)), pod(1), pod(2, fencedWithData(2366), { roleLabel: 'master' })], { knownMaster: 's-2', masterDownConfirmed: true }));
    assert.equal(back.master, 's-2');
    assert.equal(back.reason, 'MasterReturned');
    assert.equal(back.promote, 's-2');
    // s-0 already points at s-2's address: it resyncs from s-2 (and loses only its stale copy) once s-2 is master.
    assert.deepEqual(back.replicaOf, []);
  });

  it('a pod that left the master at a known offset no newer than the best replica does not hold the election', () => {
    const aof = { ...replicaOf(0, 0, { masterLinkUp: false }), keys: 50 };
    let dataBounds = observeMasterRole(undefined, { master: 's-0', offset: 100, replicas: [{ pod: 's-1', offset: 100 }, { pod: 's-2', offset: 100 }] });
    dataBounds = observeMasterRole(dataBounds, { master: 's-0', offset: 120, replicas: [{ pod: 's-1', offset: 120 }] });
    const pods = [pod(0, undefined, { roleLabel: 'master' }), pod(1, replicaOf(0, 140)), pod(2, aof)];
    assert.equal(planTopology(input(pods, { knownMaster: 's-0', masterDownConfirmed: true, dataBounds })).master, 's-1');
    // Without the record (the reconciler restarted meanwhile) s-2 may hold anything s-0 had: wait for s-0.
    assert.equal(planTopology(input(pods, { knownMaster: 's-0', masterDownConfirmed: true })).master, undefined);
  });

  it('a replica connected to the master at its last answer and silent since holds the election until it or the master is back', () => {
    const dataBounds = observeMasterRole(undefined, { master: 's-0', offset: 100, replicas: [{ pod: 's-1', offset: 80 }, { pod: 's-2', offset: 100 }] });
    const frozen = planTopology(input([pod(0), pod(1, replicaOf(0, 80)), pod(2)], { knownMaster: 's-0', masterDownConfirmed: true, dataBounds }));
    assert.equal(frozen.master, undefined);
    assert.match(frozen.waiting ?? '', /s-2 may hold acknowledged writes that s-1 \(the best replica\) lacks/);
    assert.deepEqual(frozen.awaiting, ['s-0', 's-2']);
    const thawed = planTopology(input([pod(0), pod(1, replicaOf(0, 80)), pod(2, replicaOf(0, 100))], { knownMaster: 's-0', masterDownConfirmed: true, dataBounds }));
    assert.equal(thawed.master, 's-2');
  });

  it('a pod that may hold newer data and is being deleted holds the election until it is back, unless a scale-down removes it', () => {
    // s-1 was restarted from its AOF (keys, offset 0) and is now deleted, by a user, an eviction, or the reconciler
    // recreating it out of restart back-off: the StatefulSet brings it back on its volume, with whatever it holds.
    const aofDeleted = pod(1, { ...replicaOf(0, 0, { masterLinkUp: false }), keys: 70 }, { terminating: true });
    const pods = [pod(0, undefined, { roleLabel: 'master' }), aofDeleted, pod(2, replicaOf(0, 100))];
    const waiting = planTopology(input(pods, { knownMaster: 's-0', masterDownConfirmed: true, desiredReplicas: 3 }));
    assert.equal(waiting.master, undefined);
    assert.match(waiting.waiting ?? '', /s-1 may hold acknowledged writes that s-2 \(the best replica\) lacks/);
    assert.deepEqual(waiting.awaiting, ['s-0', 's-1']);
    // Scaled down to one pod: the StatefulSet does not bring s-1 back, so it holds nothing up.
    const scaledDown = planTopology(input(pods, { knownMaster: 's-0', masterDownConfirmed: true, desiredReplicas: 1 }));
    assert.equal(scaledDown.master, 's-2');
  });

  it('a pod deleted and not yet recreated holds the election too, unless a bound covers it; the lost master is not waited for', () => {
    const pods = [pod(1, replicaOf(0, 100))];
    const waiting = planTopology(input(pods, { knownMaster: 's-0', masterDownConfirmed: true, desiredReplicas: 3, storeName: 's' }));
    assert.equal(waiting.master, undefined);
    assert.deepEqual(waiting.awaiting, ['s-2']);
    assert.equal(planTopology(input(pods, { knownMaster: 's-0', masterDownConfirmed: true })).master, 's-1', 'without spec.replicas nothing says s-2 exists');
    const dataBounds = observeMasterRole(observeMasterRole(undefined, { master: 's-0', offset: 90, replicas: [{ pod: 's-1', offset: 90 }, { pod: 's-2', offset: 90 }] }),
      { master: 's-0', offset: 95, replicas: [{ pod: 's-1', offset: 95 }] });
    assert.equal(planTopology(input(pods, { knownMaster: 's-0', masterDownConfirmed: true, desiredReplicas: 3, storeName: 's', dataBounds })).master, 's-1',
      's-2 left the master at offset 95, behind s-1');
  });

  it('a lost master back empty (its volume gone) leaves a best effort by keys, said as such', () => {
    const aof = (keys: number): EngineObservation => ({ ...replicaOf(0, 0, { masterLinkUp: false }), keys });
    const plan = planTopology(input([pod(0, fenced(0, 0), { roleLabel: 'master' }), pod(1, aof(10)), pod(2, aof(30))], { knownMaster: 's-0', masterDownConfirmed: true }));
    assert.equal(plan.master, 's-2');
    assert.equal(plan.reason, 'BestEffort');
  });

  it('a lost master on a lost node: a best effort once every other pod answers, not a wait as long as the node stays away', () => {
    const aof = (keys: number): EngineObservation => ({ ...replicaOf(0, 0, { masterLinkUp: false }), keys });
    const nodeLost = pod(0, undefined, { roleLabel: 'master', phase: 'Unknown', terminating: true });
    const waiting = planTopology(input([nodeLost, pod(1, aof(10)), pod(2)], { knownMaster: 's-0', masterDownConfirmed: true }));
    assert.equal(waiting.master, undefined);
    assert.match(waiting.waiting ?? '', /waiting for s-0 \(the lost master\) or s-2 to come back/);
    const answered = planTopology(input([nodeLost, pod(1, aof(10)), pod(2, aof(30))], { knownMaster: 's-0', masterDownConfirmed: true }));
    assert.equal(answered.master, 's-2');
    assert.equal(answered.reason, 'BestEffort');
    // A master pod that is only deleted comes back (the StatefulSet recreates it with its volume): wait for it.
    const deleted = planTopology(input([pod(0, undefined, { roleLabel: 'master', terminating: true }), pod(1, aof(10)), pod(2, aof(30))], { knownMaster: 's-0', masterDownConfirmed: true }));
    assert.equal(deleted.master, undefined);
  });

  it('a master that restarted empty (fenced) never wins against a replica with data', () => {
    const plan = planTopology(input([
      pod(0, fenced(0, 0), { roleLabel: 'master' }),
      pod(1, replicaOf(0, 30, { masterLinkUp: false })),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, 's-1');
    assert.deepEqual(plan.replicaOf, [{ pod: 's-0', host: '127.0.0.11', port: PORT }]);
  });

  it('a master handing over (FAILOVER TO: it follows the target, not yet promoted) is not replaced by another pod', () => {
    const handingOver = [
      pod(0, replicaOf(2, 500), { roleLabel: 'master' }),
      pod(1, replicaOf(0, 480), { roleLabel: 'replica' }),
      pod(2, replicaOf(0, 500), { roleLabel: 'replica' }),
    ];
    const plan = planTopology(input(handingOver, { knownMaster: 's-0' }));
    assert.equal(plan.promote, undefined);
    assert.deepEqual(plan.replicaOf, []);
    assert.deepEqual(plan.labels, []);
    assert.match(plan.waiting ?? '', /s-0 is handing over to s-2/);
    // A hand-over that never completes: once the health monitor confirms, the best follower is elected.
    const confirmed = planTopology(input(handingOver, { knownMaster: 's-0', masterDownConfirmed: true }));
    assert.equal(confirmed.master, 's-2');
    assert.equal(confirmed.reason, 'MasterLost');
  });

  it('a master that answers as a replica of a host outside the store lost the role: failover without waiting', () => {
    const plan = planTopology(input([
      pod(0, { role: 'replica', masterHost: '10.9.9.9', masterPort: PORT, replicationOffset: 500 }, { roleLabel: 'master' }),
      pod(1, replicaOf(0, 500), { roleLabel: 'replica' }),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, 's-1');
    assert.equal(plan.promote, 's-1');
  });

  it('ties on offset go to the lowest ordinal', () => {
    const plan = planTopology(input([
      pod(1, replicaOf(0, 30)), pod(2, replicaOf(0, 30)),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, 's-1');
  });

  it('does not promote when failover is disabled', () => {
    const plan = planTopology(input([pod(1, replicaOf(0, 30))], { knownMaster: 's-0', failoverEnabled: false }));
    assert.equal(plan.master, undefined);
    assert.match(plan.waiting ?? '', /disabled/);
  });

  it('resolves two masters: the one with more writes stays, the other is repointed', () => {
    const plan = planTopology(input([
      pod(0, { role: 'master', replicationOffset: 100 }, { roleLabel: 'master' }),
      pod(1, { role: 'master', replicationOffset: 140 }),
      pod(2, replicaOf(0, 100), { roleLabel: 'replica' }),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, 's-1');
    assert.equal(plan.reason, 'SplitBrain');
    assert.equal(plan.promote, undefined);
    assert.deepEqual(plan.replicaOf.map((step) => step.pod), ['s-0', 's-2']);
    assert.deepEqual(plan.labels, [{ pod: 's-0', role: 'replica' }, { pod: 's-1', role: 'master' }]);
  });

  it('two masters with no writes since the split: the recorded master stays, even at a higher ordinal', () => {
    // s-0 ran REPLICAOF NO ONE by hand a moment ago (history BBBB starts at 101); s-2, the recorded master, has taken
    // no write since. Nobody has lost anything, so demoting s-2 would only drop the clients connected to it.
    const state = (masterReplid: string, masterReplid2: string, secondReplOffset: number): EngineState => ({
      ...engineStateFromInfo('x', PORT, replicaInfo), role: 'master', masterReplid, masterReplid2, secondReplOffset, replicationOffset: 100,
    });
    const plan = planTopology(input([
      pod(0, { role: 'master', replicationOffset: 100, state: state('BBBB', 'AAAA', 101) }),
      pod(1, replicaOf(2, 100), { roleLabel: 'replica' }),
      pod(2, { role: 'master', replicationOffset: 100, state: state('AAAA', '0000', -1) }, { roleLabel: 'master' }),
    ], { knownMaster: 's-2' }));
    assert.equal(plan.master, 's-2');
    assert.equal(plan.reason, 'SplitBrain');
    assert.deepEqual(plan.replicaOf.map((step) => step.pod), ['s-0']);
  });

  it('a reconciler restarted after promotion but before the status write keeps the promoted master', () => {
    const plan = planTopology(input([
      pod(0, undefined, { roleLabel: 'master', terminating: true }),
      pod(1, { role: 'master', replicationOffset: 70 }),
      pod(2, replicaOf(0, 70, { masterLinkUp: false })),
    ], { knownMaster: 's-0' }));
    assert.equal(plan.master, 's-1');
    assert.equal(plan.promote, undefined, 'no double promotion');
    assert.deepEqual(plan.replicaOf, [{ pod: 's-2', host: '127.0.0.11', port: PORT }]);
  });
});

/**
 * Cases the removed second election (replication/election.ts: electMaster, planFailover, planBootstrap) was tested
 * with, held against planTopology. Where the two answered differently, the safety argument in
 * reconciler/replication/README.md decides, and the test says why.
 */
describe('planTopology: who may be elected', () => {
  const lostMaster = pod(0, undefined, { roleLabel: 'master' });
  const afterLoss = { knownMaster: 's-0', masterDownConfirmed: true };

  it('a replica on its way out is never promoted, however far ahead', () => {
    const plan = planTopology(input([lostMaster, pod(1, replicaOf(0, 5000), { terminating: true }), pod(2, replicaOf(0, 10))], afterLoss));
    assert.equal(plan.master, 's-2');
    assert.equal(plan.promote, 's-2');
  });

  it('an unreachable or loading replica holds the election until a recorded bound shows it holds nothing newer', () => {
    // The removed election skipped them and promoted s-3 at once; either may hold writes s-3 lacks, which its
    // promotion would erase when they resync from it.
    const pods = [lostMaster, pod(1), pod(2, replicaOf(0, 5000, { loading: true })), pod(3, replicaOf(0, 10))];
    const waiting = planTopology(input(pods, afterLoss));
    assert.equal(waiting.promote, undefined);
    assert.match(waiting.waiting ?? '', /s-1, s-2 may hold acknowledged writes that s-3 \(the best replica\) lacks/);
    let dataBounds = observeMasterRole(undefined, { master: 's-0', offset: 10, replicas: [{ pod: 's-1', offset: 10 }, { pod: 's-2', offset: 10 }, { pod: 's-3', offset: 10 }] });
    dataBounds = observeMasterRole(dataBounds, { master: 's-0', offset: 10, replicas: [{ pod: 's-3', offset: 10 }] });
    const bounded = planTopology(input(pods, { ...afterLoss, dataBounds }));
    assert.equal(bounded.master, 's-3');
    assert.equal(bounded.promote, 's-3');
  });

  it('a pod restarted empty never wins against one with data; one that reloaded its history from disk competes by offset', () => {
    const fencedWithState = (offset: number, keys: number): EngineObservation => ({ ...fenced(offset, keys), state: { fenced: true } as EngineObservation['state'] });
    const empty = pod(1, fencedWithState(0, 0));
    const linked = pod(2, replicaOf(0, 40, { masterLinkUp: false, keys: 3 }));
    assert.equal(planTopology(input([lostMaster, empty, linked], afterLoss)).master, 's-2');
    const reloaded = pod(3, fencedWithState(80, 5));
    const plan = planTopology(input([lostMaster, empty, linked, reloaded], afterLoss));
    assert.equal(plan.master, 's-3');
    assert.deepEqual(plan.replicaOf.map((step) => step.pod), ['s-1', 's-2']);
  });

  it('nobody to promote: it waits and says for whom, changing nothing', () => {
    const plan = planTopology(input([lostMaster, pod(1)], afterLoss));
    assert.equal(plan.master, undefined);
    assert.equal(plan.promote, undefined);
    assert.deepEqual(plan.replicaOf, []);
    assert.match(plan.waiting ?? '', /waiting for s-0, s-1/);
  });

  it('a cold start where no pod knows its offset: the most keys wins, not the latest rdb_last_save_time', () => {
    // The removed election ranked by rdb_last_save_time first, but after a restart Redis reports its boot time there,
    // not the age of the data it loaded.
    const bySave = [pod(0, { ...fenced(0, 5), state: { rdbLastSaveTime: 100 } as EngineObservation['state'] }), pod(1, { ...fenced(0, 4), state: { rdbLastSaveTime: 200 } as EngineObservation['state'] })];
    const plan = planTopology(input(bySave));
    assert.equal(plan.master, 's-0');
    assert.equal(plan.reason, 'MostData');
    assert.equal(planTopology(input([pod(0, fenced(0, 5)), pod(1, fenced(0, 9))])).master, 's-1');
  });

  it('without a recorded master, a pod that already is master keeps the role', () => {
    const plan = planTopology(input([pod(0, replicaOf(1, 100)), pod(1, { role: 'master', replicationOffset: 100 })]));
    assert.equal(plan.master, 's-1');
    assert.equal(plan.reason, 'Existing');
    assert.equal(plan.promote, undefined);
  });

  it('a lost master that answers as master again (thawed after SIGSTOP) before any promotion keeps the role', () => {
    // The removed election left the lost master out and promoted s-1, making a second master while the thawed one
    // still takes writes. A pod answering as master never restarted (pods boot fenced), so it holds everything it
    // acknowledged and every replica's data is a part of its history.
    const plan = planTopology(input([pod(0, { role: 'master', replicationOffset: 1000 }, { roleLabel: 'master' }), pod(1, replicaOf(0, 1000, { masterLinkUp: false }))], afterLoss));
    assert.equal(plan.master, 's-0');
    assert.equal(plan.reason, 'Existing');
    assert.equal(plan.promote, undefined);
  });
});
