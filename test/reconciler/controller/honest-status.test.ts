/**
 * Issue 18, "status that never cries wolf": pods starting, syncing, leaving or being recreated are progress (phase Updating, Degraded
 * False saying nothing is wrong, no Warning Event); a pod that cannot start, crashed, hangs or has no node, and a missing
 * Secret, are Degraded with a message naming them, and one Warning Event per kind of cause.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import { planTopology } from '../../../reconciler/controller/plan-topology.js';
import { podProblems, STARTUP_GRACE_MS } from '../../../reconciler/controller/pod-problems.js';
import { computeStatus, type StatusInput } from '../../../reconciler/controller/status.js';
import { transitionEvents } from '../../../reconciler/controller/events.js';
import type { KVStoreStatus } from '../../../shared/schema/kvstore.js';

const NOW = new Date('2026-01-01T00:10:00Z');
const LONG_AGO = new Date(NOW.getTime() - STARTUP_GRACE_MS - 60_000).toISOString();
const JUST_NOW = new Date(NOW.getTime() - 5_000).toISOString();

function master(): ObservedPod {
  return { name: 's-0', ordinal: 0, ip: '127.0.0.10', phase: 'Running', ready: true, terminating: false, roleLabel: 'master', engine: { role: 'master', replicationOffset: 100 }, container: { restarts: 0, runningSince: LONG_AGO } };
}

function replica(ordinal: number, extra: Partial<ObservedPod> = {}): ObservedPod {
  return {
    name: `s-${ordinal}`, ordinal, ip: `127.0.0.${10 + ordinal}`, phase: 'Running', ready: true, terminating: false, roleLabel: 'replica',
    engine: { role: 'replica', masterHost: '127.0.0.10', masterPort: 6379, masterLinkUp: true, replicationOffset: 100 }, container: { restarts: 0, runningSince: LONG_AGO },
    ...extra,
  };
}

/** A pod the StatefulSet just made: running a few seconds, making its first sync. */
function starting(ordinal: number): ObservedPod {
  return replica(ordinal, { ready: false, engine: { role: 'replica', masterHost: '127.0.0.10', masterPort: 6379, masterLinkUp: false, syncInProgress: true, replicationOffset: 0 }, container: { restarts: 0, runningSince: JUST_NOW } });
}

function statusOf(pods: ObservedPod[], desiredReplicas: number, extra: Partial<StatusInput> = {}): KVStoreStatus {
  const plan = planTopology({ pods, knownMaster: extra.previous?.master ?? 's-0', masterDownConfirmed: false, failoverEnabled: true, port: 6379 });
  return computeStatus({ generation: 1, desiredReplicas, selector: 'x', pods, plan, now: NOW, ...extra });
}

const degradedOf = (status: KVStoreStatus) => status.conditions!.find((condition) => condition.type === 'Degraded')!;
const READY3 = statusOf([master(), replica(1), replica(2)], 3);

describe('honest status', () => {
  it('a scale-up 3 -> 5 is Updating while the new pods start and sync: Degraded False, no Warning', () => {
    const scaling = statusOf([master(), replica(1), replica(2), starting(3)], 5, { previous: READY3 });
    assert.equal(scaling.phase, 'Updating');
    assert.equal(degradedOf(scaling).status, 'False');
    assert.match(degradedOf(scaling).message, /^nothing wrong: 3\/5 pods ready/);
    assert.doesNotMatch(degradedOf(scaling).message, /no problems found/);
    assert.equal(scaling.conditions!.find((condition) => condition.type === 'Progressing')!.reason, 'Scaling');
    assert.deepEqual(transitionEvents(READY3, scaling).filter((event) => event.type === 'Warning'), []);
  });

  it('a scale-down 5 -> 3 is Updating while the extra pods leave, then Ready saying all pods are ready', () => {
    const five = statusOf([master(), replica(1), replica(2), replica(3), replica(4)], 5);
    const leaving = statusOf([master(), replica(1), replica(2), replica(3), replica(4, { terminating: true })], 3, { previous: five });
    assert.equal(leaving.phase, 'Updating');
    assert.equal(degradedOf(leaving).status, 'False');
    assert.deepEqual(transitionEvents(five, leaving).filter((event) => event.type === 'Warning'), []);
    const done = statusOf([master(), replica(1), replica(2)], 3, { previous: leaving });
    assert.equal(done.phase, 'Ready');
    assert.equal(degradedOf(done).message, 'all 3 pods ready and in sync');
  });

  it('names a pod that cannot start, crashed, hangs or has no node; a missing pod is being recreated', () => {
    const problems = podProblems({
      desiredReplicas: 6, now: NOW,
      pods: [
        master(),
        replica(1, { ready: false, container: { restarts: 0, waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "redis:nope"' } } }),
        replica(2, { ready: false, container: { restarts: 3, runningSince: JUST_NOW } }),
        replica(3, { ready: false, notReadySince: new Date(NOW.getTime() - 45_000).toISOString() }),
        replica(4, { phase: 'Pending', ready: false, unschedulable: '0/3 nodes are available: 3 Insufficient memory.', container: undefined }),
      ],
    });
    assert.deepEqual(problems, [
      's-1: ImagePullBackOff (Back-off pulling image "redis:nope")',
      's-2 is not ready after 3 restarts',
      's-3 has not been ready for 45 s',
      's-4 cannot be scheduled: 0/3 nodes are available: 3 Insufficient memory.',
    ]);
    assert.deepEqual(podProblems({ desiredReplicas: 3, now: NOW, pods: [master(), replica(1)] }), [], 's-2 missing: being recreated');
    // A long-running replica resyncing after a switchover for a few seconds; a crashed one long since back.
    assert.deepEqual(podProblems({ desiredReplicas: 3, now: NOW, pods: [master(), replica(1, { ready: false, notReadySince: JUST_NOW }), replica(2, { ready: false, notReadySince: JUST_NOW, container: { restarts: 4, runningSince: LONG_AGO } })] }), []);
  });

  it('a crash-looping replica is Degraded with its name, and one Warning however often it restarts', () => {
    const crashing = (restarts: number) => replica(2, { ready: false, container: { restarts, waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container' } } });
    const first = statusOf([master(), replica(1), crashing(1)], 3, { previous: READY3 });
    assert.equal(first.phase, 'Degraded');
    assert.equal(degradedOf(first).reason, 'PodsUnavailable');
    assert.match(degradedOf(first).message, /^s-2: CrashLoopBackOff/);
    assert.deepEqual(transitionEvents(READY3, first).map((event) => [event.type, event.reason, event.message]), [['Warning', 'Degraded', degradedOf(first).message]]);
    const again = statusOf([master(), replica(1), crashing(2)], 3, { previous: first });
    assert.deepEqual(transitionEvents(first, again), []);
  });

  it('a missing password Secret: Failed, Degraded naming the Secret and the command that creates it, one Warning', () => {
    const message = 'password Secret ns/mine does not exist: create it (kubectl -n ns create secret generic mine --from-literal=password=<password>)';
    const pending: KVStoreStatus = statusOf([], 3, { previous: undefined });
    const blocked = statusOf([replica(0, { phase: 'Pending', ready: false, engine: undefined, container: { restarts: 0, waiting: { reason: 'ContainerCreating' } } })], 3, { previous: pending, blocked: { reason: 'PasswordSecretMissing', message } });
    assert.equal(blocked.phase, 'Failed');
    assert.deepEqual([degradedOf(blocked).status, degradedOf(blocked).reason, degradedOf(blocked).message], ['True', 'PasswordSecretMissing', message]);
    assert.deepEqual(transitionEvents(pending, blocked).filter((event) => event.type === 'Warning').map((event) => event.message), [message]);
  });

  it('a refused spec change leaves a serving store Ready (Progressing says why)', () => {
    const refused = statusOf([master(), replica(1), replica(2)], 3, { previous: READY3, blocked: { reason: 'UnsupportedChange', message: 'storageClassName cannot change' } });
    assert.equal(refused.phase, 'Ready');
    assert.equal(degradedOf(refused).status, 'False');
  });
});
