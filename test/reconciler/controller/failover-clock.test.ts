import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { FailoverClock } from '../../../reconciler/controller/failover-clock.js';

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
    clock.switchedOver('ScaleDownSwitchover');
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
});
