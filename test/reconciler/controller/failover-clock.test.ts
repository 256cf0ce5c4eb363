import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { EXPECTED_EXIT_WINDOW_MS, FailoverClock } from '../../../reconciler/controller/failover-clock.js';

function clockAt(startMs: number) {
  let now = startMs;
  return { clock: new FailoverClock(() => now), advance: (ms: number) => { now += ms; } };
}

describe('FailoverClock', () => {
  it('times a failover from the first verdict to the promotion', () => {
    const { clock, advance } = clockAt(Date.parse('2026-12-07T06:00:00Z'));
    assert.equal(clock.masterLost('MasterPodDeleted'), true);
    advance(40);
    assert.equal(clock.masterLost('MasterUnreachable'), false, 'a later verdict keeps the first time and reason');
    assert.equal(clock.masterDownConfirmed, true);
    advance(60);
    clock.promoted();
    advance(500);
    clock.promoted();
    assert.deepEqual(clock.settle('s-0', 's-1'), { time: '2026-12-07T06:00:00Z', from: 's-0', to: 's-1', reason: 'MasterPodDeleted', durationMs: 100 });
    assert.deepEqual(clock.recorded(), { unplanned: true });
    assert.equal(clock.masterDownConfirmed, false);
  });

  it('names a planned switchover and counts it as planned', () => {
    const { clock } = clockAt(0);
    clock.switchedOver('ScaleDownSwitchover', { from: 's-2', to: 's-0' });
    assert.equal(clock.settle('s-2', 's-0')?.reason, 'ScaleDownSwitchover');
    assert.deepEqual(clock.recorded(), { unplanned: false });
  });

  it('voids a down verdict when the recorded master is still the master, and records nothing', () => {
    const { clock } = clockAt(0);
    clock.masterLost('MasterUnreachable');
    assert.equal(clock.settle('s-0', 's-0'), undefined);
    assert.equal(clock.masterDownConfirmed, false);
    clock.masterLost('MasterUnreachable');
    assert.equal(clock.settle('s-0', undefined), undefined, 'no master yet: the verdict stands');
    assert.equal(clock.masterDownConfirmed, true);
  });

  it('tracks an operator-only cut-off until the master answers or is declared lost', () => {
    const { clock } = clockAt(0);
    clock.cutOffFromOperator({ master: 's-0', replicasSeeingMaster: ['s-1'] });
    assert.deepEqual(clock.operatorCutOff, { master: 's-0', replicasSeeingMaster: ['s-1'] });
    assert.equal(clock.masterAnswers(), true);
    assert.equal(clock.masterAnswers(), false);
    clock.cutOffFromOperator({ master: 's-0', replicasSeeingMaster: [] });
    clock.masterLost('MasterUnreachable');
    assert.equal(clock.operatorCutOff, undefined);
  });
  it('expects the old master of its own switchover to exit or go silent for a while, and only that pod', () => {
    const { clock } = clockAt(0);
    clock.switchedOverOnRequest({ from: 's-0', to: 's-1' });
    assert.equal(clock.masterLost('MasterRestarted', 's-0'), false);
    assert.equal(clock.masterLost('MasterUnreachable', 's-0'), false);
    assert.equal(clock.masterDownConfirmed, false);
    assert.equal(clock.switchedOverTo('s-1'), true);
    assert.equal(clock.masterLost('MasterUnreachable', 's-1'), true, 'the new master failing is a loss');
    const { clock: later, advance: wait } = clockAt(0);
    later.switchedOver('ScaleDownSwitchover', { from: 's-2', to: 's-0' });
    wait(EXPECTED_EXIT_WINDOW_MS - 1);
    assert.equal(later.masterLost('MasterRestarted', 's-2'), false);
    wait(1);
    assert.equal(later.masterLost('MasterRestarted', 's-2'), true, 'after the window, judged as usual');
  });

  it('a promotion ends the expectation: the old pod may be master again', () => {
    const { clock } = clockAt(0);
    clock.switchedOver('RollingUpdateSwitchover', { from: 's-0', to: 's-1' });
    clock.promoted();
    assert.equal(clock.exitIsExpected('s-0'), false);
  });

  it('keeps one planned record until a status shows the move; a failover after it is recorded as such', () => {
    const { clock, advance } = clockAt(Date.parse('2026-12-07T06:00:00Z'));
    clock.switchedOver('RollingUpdateSwitchover', { from: 's-0', to: 's-1' });
    const first = clock.settle('s-0', 's-1');
    assert.equal(first?.reason, 'RollingUpdateSwitchover');
    assert.deepEqual(clock.recorded(), { unplanned: false });
    advance(500);
    assert.deepEqual(clock.settle('s-0', 's-1'), first, 'a stale read: the same record, not a MasterLost one');
    assert.deepEqual(clock.recorded(), { unplanned: false });
    assert.equal(clock.settle('s-1', 's-1'), undefined);
    assert.equal(clock.switchedOverTo('s-1'), false, 'forgotten once a status shows it');
    clock.masterLost('MasterPodDeleted', 's-1');
    clock.promoted();
    assert.equal(clock.settle('s-1', 's-2')?.reason, 'MasterPodDeleted');
    assert.deepEqual(clock.recorded(), { unplanned: true });
  });
});
