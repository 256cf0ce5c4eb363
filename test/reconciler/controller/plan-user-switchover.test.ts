import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { planUserSwitchover, type UserSwitchoverInput } from '../../../reconciler/controller/plan-user-switchover.js';
import { FailoverClock } from '../../../reconciler/controller/failover-clock.js';
import { switchoverRequestProblem } from '../../../shared/labels.js';

const pod = (ordinal: number, extra: Partial<UserSwitchoverInput['pods'][number]> = {}) => ({ name: `s-${ordinal}`, ordinal, ready: true, terminating: false, ...extra });

function input(request: string | undefined, extra: Partial<UserSwitchoverInput> = {}): UserSwitchoverInput {
  return { request, storeName: 's', desiredReplicas: 3, phase: 'Ready', master: 's-0', failingOver: false, pods: [pod(0), pod(1), pod(2)], ...extra };
}

function refusal(decisionInput: UserSwitchoverInput): string {
  const decision = planUserSwitchover(decisionInput);
  assert.equal(decision.kind, 'refuse', JSON.stringify(decision));
  return decision.kind === 'refuse' ? decision.reason : '';
}

describe('planUserSwitchover', () => {
  it('does nothing without a request', () => {
    assert.deepEqual(planUserSwitchover(input(undefined)), { kind: 'none' });
  });

  it('hands the master to the named replica, or to any ready replica that stays', () => {
    assert.deepEqual(planUserSwitchover(input('s-2')), { kind: 'switch', from: 's-0', candidates: ['s-2'] });
    assert.deepEqual(planUserSwitchover(input('any', { pods: [pod(0), pod(1, { ready: false }), pod(2), pod(3)] })), { kind: 'switch', from: 's-0', candidates: ['s-2'] });
  });

  it('refuses during a failover, another move, or when the store is not Ready, saying what to do', () => {
    assert.match(refusal(input('s-1', { failingOver: true })), /failover is under way.*once the store is Ready/);
    assert.match(refusal(input('s-1', { master: undefined })), /failover is under way/);
    assert.match(refusal(input('s-1', { otherMove: 'a scale-down handover' })), /scale-down handover is under way/);
    assert.match(refusal(input('s-1', { phase: 'Degraded' })), /the store is Degraded, not Ready/);
    assert.match(refusal(input('s-1', { phase: undefined })), /not yet reported/);
  });

  it('refuses a target that is the master, missing, leaving, not ready or not this store\'s', () => {
    assert.match(refusal(input('s-0')), /s-0 is already the master/);
    assert.match(refusal(input('s-2', { pods: [pod(0), pod(1)] })), /s-2 does not exist/);
    assert.match(refusal(input('s-1', { pods: [pod(0), pod(1, { terminating: true })] })), /s-1 does not exist or is leaving/);
    assert.match(refusal(input('s-1', { pods: [pod(0), pod(1, { ready: false })] })), /s-1 is not ready/);
    assert.match(refusal(input('s-7')), /names pod s-7, but the store has 3 pods/);
    assert.match(refusal(input('other-1')), /must be 'any' or the name of one of this store's pods/);
    assert.match(refusal(input('any', { pods: [pod(0), pod(1, { ready: false })] })), /no ready replica/);
  });
});

describe('switchoverRequestProblem', () => {
  it('accepts any and the store\'s pod names only', () => {
    assert.equal(switchoverRequestProblem('any', 'cache', 3), undefined);
    assert.equal(switchoverRequestProblem('cache-2', 'cache', 3), undefined);
    for (const bad of ['cache-3', 'cache-01', 'cache-', 'cache', 'other-0', 'ANY', '']) assert.ok(switchoverRequestProblem(bad, 'cache', 3), bad);
  });
});

describe('FailoverClock and a requested switchover', () => {
  it('records no failover and counts nothing, even when the status write failed once; the next failover is recorded', () => {
    const clock = new FailoverClock(() => 0);
    clock.switchedOverOnRequest({ from: 's-0', to: 's-1' });
    assert.equal(clock.settle('s-0', 's-1'), undefined);
    assert.equal(clock.settle('s-0', 's-1'), undefined, 'the status still says s-0 (its write failed): still no record');
    assert.equal(clock.settle('s-1', 's-1'), undefined, 'the status shows the move');
    clock.masterLost('MasterPodDeleted');
    clock.promoted();
    assert.equal(clock.settle('s-1', 's-2')?.reason, 'MasterPodDeleted');
    assert.deepEqual(clock.recorded(), { unplanned: true });
  });

  it('records a failover that follows the requested move before any status showed it', () => {
    const clock = new FailoverClock(() => 0);
    clock.switchedOverOnRequest({ from: 's-0', to: 's-1' });
    clock.masterLost('MasterPodDeleted');
    assert.equal(clock.settle('s-0', 's-2')?.reason, 'MasterPodDeleted');
  });
});
