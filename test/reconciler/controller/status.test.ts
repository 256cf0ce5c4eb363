import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import { planTopology } from '../../../reconciler/controller/plan-topology.js';
import { computeStatus, statusChanged, type StatusInput } from '../../../reconciler/controller/status.js';

const SELECTOR = 'app.kubernetes.io/name=kvstore,app.kubernetes.io/instance=s';

function master(offset: number): ObservedPod {
  return { name: 's-0', ordinal: 0, ip: '127.0.0.10', phase: 'Running', ready: true, terminating: false, roleLabel: 'master', engine: { role: 'master', replicationOffset: offset } };
}

function replica(ordinal: number, offset: number, extra: Partial<ObservedPod> = {}): ObservedPod {
  return {
    name: `s-${ordinal}`, ordinal, ip: `127.0.0.${10 + ordinal}`, phase: 'Running', ready: true, terminating: false, roleLabel: 'replica',
    engine: { role: 'replica', masterHost: '127.0.0.10', masterPort: 6379, masterLinkUp: true, replicationOffset: offset },
    ...extra,
  };
}

function statusOf(pods: ObservedPod[], extra: Partial<StatusInput> = {}) {
  const plan = planTopology({ pods, knownMaster: extra.previous?.master, masterDownConfirmed: false, failoverEnabled: true, port: 6379 });
  return computeStatus({ generation: 3, desiredReplicas: 3, selector: SELECTOR, pods, plan, now: new Date('2026-01-01T00:00:00Z'), ...extra });
}

describe('computeStatus', () => {
  it('reports Ready with every field when the master and all replicas are in sync', () => {
    const status = statusOf([master(100), replica(1, 90), replica(2, 100)]);
    assert.equal(status.phase, 'Ready');
    assert.equal(status.observedGeneration, 3);
    assert.equal(status.replicas, 3);
    assert.equal(status.readyReplicas, 3);
    assert.equal(status.selector, SELECTOR);
    assert.equal(status.master, 's-0');
    assert.deepEqual(status.pods, [
      { name: 's-0', role: 'master', ready: true, replicationOffset: 100 },
      { name: 's-1', role: 'replica', ready: true, replicationOffset: 90, lagBytes: 10 },
      { name: 's-2', role: 'replica', ready: true, replicationOffset: 100, lagBytes: 0 },
    ]);
    const byType = Object.fromEntries(status.conditions!.map((entry) => [entry.type, entry]));
    assert.equal(byType.Available!.status, 'True');
    assert.equal(byType.Progressing!.status, 'False');
    assert.equal(byType.Degraded!.status, 'False');
    assert.equal(byType.ReplicationHealthy!.status, 'True');
    assert.equal(byType.Available!.observedGeneration, 3);
  });

  it('is Pending with no pods and Creating while the first replicas sync', () => {
    assert.equal(statusOf([]).phase, 'Pending');
    const creating = statusOf([master(10), replica(1, 0, { ready: false, engine: { role: 'replica', masterHost: '127.0.0.10', masterPort: 6379, masterLinkUp: false, syncInProgress: true, replicationOffset: 0 } })]);
    assert.equal(creating.phase, 'Creating');
    const replication = creating.conditions!.find((entry) => entry.type === 'ReplicationHealthy')!;
    assert.equal(replication.status, 'False');
    assert.equal(replication.reason, 'ReplicasNotInSync');
    assert.equal(creating.pods![1]!.role, 'unknown');
  });

  it('turns Degraded after being Ready when a replica crashes, naming the cause; a pod being recreated is progress', () => {
    const ready = statusOf([master(100), replica(1, 100), replica(2, 100)]);
    const recreating = statusOf([master(100), replica(1, 100)], { previous: ready, now: new Date('2026-01-01T00:01:00Z') });
    assert.equal(recreating.phase, 'Updating', 'the StatefulSet recreates a missing pod at once');
    const crashed = replica(2, 0, { ready: false, engine: undefined, container: { restarts: 1, waiting: { reason: 'CrashLoopBackOff' } } });
    const degraded = statusOf([master(100), replica(1, 100), crashed], { previous: ready, now: new Date('2026-01-01T00:01:00Z') });
    assert.equal(degraded.phase, 'Degraded');
    const condition = degraded.conditions!.find((entry) => entry.type === 'Degraded')!;
    assert.equal(condition.status, 'True');
    assert.equal(condition.message, 's-2: CrashLoopBackOff', 'names the pod');
    assert.equal(condition.lastTransitionTime, '2026-01-01T00:01:00Z');
    const available = degraded.conditions!.find((entry) => entry.type === 'Available')!;
    assert.equal(available.lastTransitionTime, '2026-01-01T00:00:00Z', 'unchanged conditions keep their transition time');
  });

  it('reports Failover while a once-ready store has no reachable master, keeping the recorded master', () => {
    const ready = statusOf([master(100), replica(1, 100), replica(2, 100)]);
    const lost = statusOf([{ ...master(100), engine: undefined }, replica(1, 100), replica(2, 100)], { previous: ready });
    assert.equal(lost.phase, 'Failover');
    assert.equal(lost.master, 's-0');
    assert.equal(lost.conditions!.find((entry) => entry.type === 'Available')!.status, 'False');
  });

  it('reports a master cut off from the operator alone as Degraded with Available Unknown, not as a failover', () => {
    const ready = statusOf([master(100), replica(1, 100), replica(2, 100)]);
    const cutOff = statusOf([{ ...master(100), engine: undefined }, replica(1, 100), replica(2, 100)], {
      previous: ready, operatorCutOff: { master: 's-0', replicasSeeingMaster: ['s-1', 's-2'] },
    });
    assert.equal(cutOff.phase, 'Degraded');
    assert.equal(cutOff.master, 's-0');
    const byType = Object.fromEntries(cutOff.conditions!.map((entry) => [entry.type, entry]));
    assert.equal(byType.Available!.status, 'Unknown');
    assert.equal(byType.Available!.reason, 'MasterUnreachableFromOperator');
    assert.equal(byType.Degraded!.reason, 'MasterUnreachableFromOperator');
    assert.match(byType.Degraded!.message, /s-0 does not answer the operator, but s-1, s-2 still replicate from it: no failover/);
    // A cut-off reported for another master (stale) changes nothing.
    const stale = statusOf([{ ...master(100), engine: undefined }, replica(1, 100), replica(2, 100)], {
      previous: ready, operatorCutOff: { master: 's-9', replicasSeeingMaster: ['s-1'] },
    });
    assert.equal(stale.phase, 'Failover');
  });

  it('reports Updating during a rollout and Failed when blocked without a master', () => {
    const ready = statusOf([master(100), replica(1, 100), replica(2, 100)]);
    assert.equal(statusOf([master(100), replica(1, 100), replica(2, 100)], { previous: ready, updating: true }).phase, 'Updating');
    const failed = statusOf([], { blocked: { reason: 'InvalidSpec', message: 'bad spec' } });
    assert.equal(failed.phase, 'Failed');
    const progressing = failed.conditions!.find((entry) => entry.type === 'Progressing')!;
    assert.deepEqual([progressing.status, progressing.reason, progressing.message], ['False', 'InvalidSpec', 'bad spec']);
    const blockedButServing = statusOf([master(100), replica(1, 100), replica(2, 100)], { previous: ready, blocked: { reason: 'UnsupportedChange', message: 'storageClassName cannot change' } });
    assert.equal(blockedButServing.phase, 'Ready', 'a refused spec change does not take a serving store down');
    assert.equal(blockedButServing.conditions!.find((entry) => entry.type === 'Progressing')!.reason, 'UnsupportedChange');
  });

  it('carries over lastFailover, lastSnapshot and conditions owned by other components', () => {
    const previous = {
      lastSnapshot: { time: '2026-01-01T00:00:00Z', pod: 's-1', result: 'Succeeded' as const, durationMs: 5 },
      conditions: [{ type: 'PolicyCompliant', status: 'False' as const, reason: 'Violation', message: 'x', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    };
    const failover = { time: '2026-01-01T00:00:01Z', from: 's-1', to: 's-0', reason: 'MasterLost', durationMs: 700 };
    const status = statusOf([master(1), replica(1, 1), replica(2, 1)], { previous, failover });
    assert.deepEqual(status.lastSnapshot, previous.lastSnapshot);
    assert.deepEqual(status.lastFailover, failover);
    assert.ok(status.conditions!.some((entry) => entry.type === 'PolicyCompliant' && entry.status === 'False'));
  });

  it('an unchanged store produces an identical status, so nothing is written', () => {
    const pods = [master(100), replica(1, 100), replica(2, 100)];
    const first = statusOf(pods);
    const second = statusOf(pods, { previous: first, now: new Date('2026-01-01T05:00:00Z') });
    assert.equal(statusChanged(first, second), false);
    const moved = statusOf([master(120), replica(1, 100), replica(2, 120)], { previous: first });
    assert.equal(statusChanged(first, moved), true);
  });
});
