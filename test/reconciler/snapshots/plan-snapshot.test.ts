import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import { planSnapshot } from '../../../reconciler/snapshots/plan-snapshot.js';

const MASTER_IP = '10.0.0.1';

function master(ordinal: number, offset = 1000, extra: Partial<ObservedPod> = {}): ObservedPod {
  return {
    name: `cache-${ordinal}`, ordinal, ip: MASTER_IP, phase: 'Running', ready: true, terminating: false,
    engine: { role: 'master', replicationOffset: offset }, ...extra,
  };
}

function replica(ordinal: number, offset: number, extra: Partial<ObservedPod> = {}, engine: Partial<NonNullable<ObservedPod['engine']>> = {}): ObservedPod {
  return {
    name: `cache-${ordinal}`, ordinal, ip: `10.0.0.${ordinal + 10}`, phase: 'Running', ready: true, terminating: false,
    engine: { role: 'replica', masterHost: MASTER_IP, masterPort: 6379, masterLinkUp: true, replicationOffset: offset, ...engine }, ...extra,
  };
}

describe('planSnapshot', () => {
  it('source replica: the ready linked replica with the smallest lag', () => {
    const plan = planSnapshot({ pods: [master(0), replica(1, 900), replica(2, 990)], master: 'cache-0', source: 'replica' });
    assert.deepEqual(plan, { kind: 'run', pod: 'cache-2', role: 'replica' });
  });

  it('equal lag: the lowest ordinal', () => {
    const plan = planSnapshot({ pods: [replica(2, 1000), master(0), replica(1, 1000)], master: 'cache-0', source: 'replica' });
    assert.deepEqual(plan, { kind: 'run', pod: 'cache-1', role: 'replica' });
  });

  it('skips replicas that are not ready, terminating, unlinked, syncing, loading or following another master', () => {
    const pods = [
      master(0),
      replica(1, 1000, { ready: false }),
      replica(2, 1000, { terminating: true }),
      replica(3, 1000, {}, { masterLinkUp: false }),
      replica(4, 1000, {}, { syncInProgress: true }),
      replica(5, 1000, {}, { loading: true }),
      replica(6, 1000, {}, { masterHost: '10.9.9.9' }),
      replica(7, 10),
    ];
    assert.deepEqual(planSnapshot({ pods, master: 'cache-0', source: 'replica' }), { kind: 'run', pod: 'cache-7', role: 'replica' });
  });

  it('no usable replica: falls back to the master and says why', () => {
    const plan = planSnapshot({ pods: [master(0), replica(1, 1000, {}, { masterLinkUp: false })], master: 'cache-0', source: 'replica' });
    assert.equal(plan.kind, 'run');
    assert.equal(plan.kind === 'run' && plan.pod, 'cache-0');
    assert.equal(plan.kind === 'run' && plan.role, 'master');
    assert.match(plan.kind === 'run' ? plan.fallback ?? '' : '', /no ready replica/);
  });

  it('a store of one pod: saves on the master as its normal run, with no fallback note telling to check replicas', () => {
    assert.deepEqual(planSnapshot({ pods: [master(0)], master: 'cache-0', source: 'replica' }), { kind: 'run', pod: 'cache-0', role: 'master' });
    const notYetRunning = replica(1, 0, { ready: false, phase: 'Pending' }, { masterLinkUp: false });
    const plan = planSnapshot({ pods: [master(0), notYetRunning], master: 'cache-0', source: 'replica' });
    assert.match(plan.kind === 'run' ? plan.fallback ?? '' : '', /no ready replica/, 'a replica pod that exists but is not ready is worth a note');
  });

  it('source master: the master even when replicas are fine, without a fallback note', () => {
    const plan = planSnapshot({ pods: [master(0), replica(1, 1000)], master: 'cache-0', source: 'master' });
    assert.deepEqual(plan, { kind: 'run', pod: 'cache-0', role: 'master' });
  });

  it('the master is the recorded one when two pods claim the role, or the only one answering as master', () => {
    const other = master(1, 5, { ip: '10.0.0.2' });
    assert.deepEqual(planSnapshot({ pods: [master(0), other], master: 'cache-1', source: 'master' }), { kind: 'run', pod: 'cache-1', role: 'master' });
    assert.deepEqual(planSnapshot({ pods: [master(0), replica(1, 1)], master: undefined, source: 'master' }), { kind: 'run', pod: 'cache-0', role: 'master' });
    assert.equal(planSnapshot({ pods: [master(0), other], master: undefined, source: 'master' }).kind, 'none', 'two masters and no record: no guess');
  });

  it('no pod answering: a failed run with a reason naming the pods', () => {
    const silent = [master(0, 0, { engine: undefined, probeError: 'ECONNREFUSED' }), replica(1, 0, { engine: undefined })];
    const plan = planSnapshot({ pods: silent, master: 'cache-0', source: 'replica' });
    assert.equal(plan.kind, 'none');
    assert.equal(plan.kind === 'none' && plan.reason, 'NoPodAvailable');
    assert.match(plan.kind === 'none' ? plan.message : '', /none of cache-0, cache-1 answered/);
    const empty = planSnapshot({ pods: [], source: 'master' });
    assert.match(empty.kind === 'none' ? empty.message : '', /no pods/);
  });

  it('a terminating master is not used', () => {
    const plan = planSnapshot({ pods: [master(0, 1000, { terminating: true })], master: 'cache-0', source: 'master' });
    assert.equal(plan.kind, 'none');
  });
});
