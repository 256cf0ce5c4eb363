import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import { observePods } from '../../../reconciler/controller/observed.js';
import { planRollout } from '../../../reconciler/controller/plan-rollout.js';
import { planScale } from '../../../reconciler/controller/plan-scale.js';
import { transitionEvents } from '../../../reconciler/controller/events.js';
import { storeUpdateMatters } from '../../../reconciler/controller/store-watches.js';
import { storeClaimNames } from '../../../reconciler/controller/deletion.js';
import { storeKeyOf } from '../../../reconciler/controller/informers.js';
import type { KVStoreStatus } from '../../../shared/schema/kvstore.js';

function pod(ordinal: number, revision: string, role: 'master' | 'replica', extra: Partial<ObservedPod> = {}): ObservedPod {
  return {
    name: `s-${ordinal}`, ordinal, ip: `127.0.0.${10 + ordinal}`, phase: 'Running', ready: true, terminating: false, revision,
    engine: role === 'master'
      ? { role: 'master', replicationOffset: 100 }
      : { role: 'replica', masterHost: '127.0.0.10', masterPort: 6379, masterLinkUp: true, replicationOffset: 100 },
    ...extra,
  };
}

describe('planRollout', () => {
  it('does nothing when every pod is on the update revision', () => {
    assert.deepEqual(planRollout({ pods: [pod(0, 'new', 'master'), pod(1, 'new', 'replica')], updateRevision: 'new', master: 's-0', desiredReplicas: 2 }), { kind: 'none' });
  });

  it('restarts replicas first, highest ordinal first, one at a time', () => {
    const pods = [pod(0, 'old', 'master'), pod(1, 'old', 'replica'), pod(2, 'old', 'replica')];
    const step = planRollout({ pods, updateRevision: 'new', master: 's-0', desiredReplicas: 3 });
    assert.equal(step.kind, 'delete');
    assert.equal(step.kind === 'delete' && step.pod, 's-2');
  });

  it('waits while a restarted replica is not back in sync', () => {
    const syncing = pod(2, 'new', 'replica', { ready: false, engine: { role: 'replica', masterHost: '127.0.0.10', masterPort: 6379, masterLinkUp: false, syncInProgress: true, replicationOffset: 0 } });
    const step = planRollout({ pods: [pod(0, 'old', 'master'), pod(1, 'old', 'replica'), syncing], updateRevision: 'new', master: 's-0', desiredReplicas: 3 });
    assert.equal(step.kind, 'wait');
    assert.match(step.kind === 'wait' ? step.reason : '', /s-2/);
  });

  it('waits while a pod is missing (deleted, not recreated yet)', () => {
    const step = planRollout({ pods: [pod(0, 'old', 'master'), pod(1, 'new', 'replica')], updateRevision: 'new', master: 's-0', desiredReplicas: 3 });
    assert.equal(step.kind, 'wait');
  });

  it('switches the master over once only the master is outdated, then restarts it', () => {
    const step = planRollout({ pods: [pod(0, 'old', 'master'), pod(1, 'new', 'replica'), pod(2, 'new', 'replica')], updateRevision: 'new', master: 's-0', desiredReplicas: 3 });
    assert.deepEqual(step.kind, 'switchover');
    // after the switchover s-1 is master and s-0 an outdated replica
    const after = [pod(0, 'old', 'replica', { engine: { role: 'replica', masterHost: '127.0.0.11', masterPort: 6379, masterLinkUp: true, replicationOffset: 100 } }),
      pod(1, 'new', 'master', { engine: { role: 'master', replicationOffset: 100 } }),
      pod(2, 'new', 'replica', { engine: { role: 'replica', masterHost: '127.0.0.11', masterPort: 6379, masterLinkUp: true, replicationOffset: 100 } })];
    const next = planRollout({ pods: after, updateRevision: 'new', master: 's-1', desiredReplicas: 3 });
    assert.equal(next.kind === 'delete' && next.pod, 's-0');
  });

  it('a single-pod store restarts its master (nothing to hand over to)', () => {
    const step = planRollout({ pods: [pod(0, 'old', 'master')], updateRevision: 'new', master: 's-0', desiredReplicas: 1 });
    assert.equal(step.kind === 'delete' && step.pod, 's-0');
  });
});

describe('planScale', () => {
  it('scales straight to the desired size when the master stays', () => {
    assert.deepEqual(planScale({ desiredReplicas: 2, currentReplicas: 5, master: { name: 's-0', ordinal: 0 } }), { statefulSetReplicas: 2, direction: 'down' });
    assert.deepEqual(planScale({ desiredReplicas: 5, currentReplicas: 3, master: { name: 's-0', ordinal: 0 } }), { statefulSetReplicas: 5, direction: 'up' });
    assert.deepEqual(planScale({ desiredReplicas: 3 }), { statefulSetReplicas: 3, direction: 'none' });
  });

  it('holds the StatefulSet size and asks for a switchover when the master would be removed', () => {
    assert.deepEqual(planScale({ desiredReplicas: 2, currentReplicas: 5, master: { name: 's-4', ordinal: 4 } }), { statefulSetReplicas: 5, moveMasterBelowOrdinal: 2, direction: 'down' });
  });
});

describe('transitionEvents', () => {
  const ready: KVStoreStatus = { phase: 'Ready', master: 's-0', pods: [{ name: 's-0', role: 'master', ready: true }, { name: 's-1', role: 'replica', ready: true }] };

  it('reports the first election and replicas joining', () => {
    const events = transitionEvents({ phase: 'Creating', pods: [] }, ready);
    assert.deepEqual(events.map((event) => event.reason), ['MasterElected', 'ReplicaJoined']);
  });

  it('reports a failover with its record, and degradation', () => {
    const failedOver: KVStoreStatus = {
      phase: 'Degraded', master: 's-1', pods: [{ name: 's-1', role: 'master', ready: true }],
      lastFailover: { time: '2026-01-01T00:00:00Z', from: 's-0', to: 's-1', reason: 'MasterLost', durationMs: 800 },
      conditions: [{ type: 'Degraded', status: 'True', reason: 'ReplicasUnavailable', message: '1/2 pods ready', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    const events = transitionEvents(ready, failedOver);
    assert.deepEqual(events.map((event) => event.reason), ['FailedOver', 'Degraded']);
    assert.match(events[0]!.message, /s-0 to s-1/);
    assert.equal(transitionEvents(failedOver, failedOver).length, 0, 'no repeats for an unchanged status');
  });

  it('says nothing of a master moved by a switchover this process made (its own Event told it); a plain move is told', () => {
    // A requested switchover records no lastFailover: only status.master moves.
    const switched: KVStoreStatus = { ...ready, master: 's-1', pods: [{ name: 's-0', role: 'replica', ready: true }, { name: 's-1', role: 'master', ready: true }] };
    // The old master joining as a replica is news of its own; the move is not told twice.
    assert.deepEqual(transitionEvents(ready, switched, { switchedOver: true }).map((event) => event.reason), ['ReplicaJoined']);
    const told = transitionEvents(ready, switched);
    assert.deepEqual(told.map((event) => event.reason), ['MasterElected', 'ReplicaJoined']);
    assert.equal(told[0]!.message, 'master moved from s-0 to s-1');
    // A rollout's switchover: the record names it, so nothing either way.
    const rolled: KVStoreStatus = { ...switched, lastFailover: { time: '2026-01-01T00:00:00Z', from: 's-0', to: 's-1', reason: 'RollingUpdateSwitchover', durationMs: 0 } };
    assert.deepEqual(transitionEvents(ready, rolled).map((event) => event.reason), ['ReplicaJoined']);
  });
});

describe('controller helpers', () => {
  it('ignores status-only KVStore updates', () => {
    const before = { metadata: { generation: 1, resourceVersion: '1' }, status: { phase: 'Creating' } };
    assert.equal(storeUpdateMatters(before, { metadata: { generation: 1, resourceVersion: '2' }, status: { phase: 'Ready' } }), false);
    assert.equal(storeUpdateMatters(before, { metadata: { generation: 2, resourceVersion: '3' } }), true);
    assert.equal(storeUpdateMatters(before, { metadata: { generation: 1, deletionTimestamp: '2026-01-01T00:00:00Z' } }), true);
  });

  it('finds a store’s PVCs by the StatefulSet naming scheme only', () => {
    const claims = ['data-s-0', 'data-s-12', 'data-s-other-0', 'data-s-', 'data-s2-0', 'x-s-0'].map((name) => ({ metadata: { name } }));
    assert.deepEqual(storeClaimNames('s', claims), ['data-s-0', 'data-s-12']);
  });

  it('maps owned objects to their store', () => {
    assert.equal(storeKeyOf({ metadata: { namespace: 'n', labels: { 'app.kubernetes.io/instance': 'a' } } }), 'n/a');
    assert.equal(storeKeyOf({ metadata: { namespace: 'n', ownerReferences: [{ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', name: 'b', uid: 'u' }] } }), 'n/b');
    assert.equal(storeKeyOf({ metadata: { namespace: 'n' } }), undefined);
  });

  it('observes only the store’s StatefulSet pods, sorted by ordinal, with terminating ones flagged', () => {
    const pods = observePods('s', [
      { metadata: { name: 's-10', labels: { 'controller-revision-hash': 'r1' } }, status: { phase: 'Running', podIP: '127.0.0.3' } },
      { metadata: { name: 's-2', deletionTimestamp: new Date() }, status: { phase: 'Running' } },
      { metadata: { name: 's-x' } },
      { metadata: { name: 's-0' }, status: { phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True' }, { type: 'Ready', status: 'True' }] } },
    ]);
    assert.deepEqual(pods.map((entry) => [entry.name, entry.terminating, entry.ready]), [['s-0', true, true], ['s-2', true, false], ['s-10', false, false]]);
    assert.equal(pods[2]!.revision, 'r1');
  });
});
