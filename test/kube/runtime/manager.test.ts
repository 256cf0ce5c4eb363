import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Manager, type LeadershipCallbacks } from '../../../kube/runtime/manager.js';
import { aborted, type Runnable } from '../../../kube/runtime/runnable.js';
import { waitFor } from '../../../harness/wait-for.js';

/** A runnable that records its terms: when each started, whether its signal fired, and when it finished stopping. */
function recordingRunnable(name: string, needsLeaderElection: boolean, stopDelayMs = 0) {
  const log: string[] = [];
  const signals: AbortSignal[] = [];
  const runnable: Runnable = {
    name, needsLeaderElection,
    async start(signal) {
      signals.push(signal);
      log.push('start');
      await aborted(signal);
      await new Promise((resolve) => setTimeout(resolve, stopDelayMs));
      log.push('stopped');
    },
  };
  return { runnable, log, signals };
}

/** An elector the test drives by hand, recording stop(). */
function manualElector() {
  let callbacks: LeadershipCallbacks | undefined;
  const calls: string[] = [];
  return {
    calls,
    win: () => callbacks!.onStartedLeading(),
    lose: () => callbacks!.onStoppedLeading(),
    factory: (given: LeadershipCallbacks) => {
      callbacks = given;
      return { start: () => { calls.push('start'); }, stop: async () => { calls.push('stop'); } };
    },
  };
}

describe('Manager', () => {
  it('starts leader-only runnables per term and aborts their signal when the lease is lost', async () => {
    const elector = manualElector();
    const leading: boolean[] = [];
    const manager = new Manager({ leaderElection: elector.factory, onLeadershipChange: (value) => leading.push(value) });
    const always = recordingRunnable('informers', false);
    const leaderOnly = recordingRunnable('controller', true, 20);
    manager.add(always.runnable);
    manager.add(leaderOnly.runnable);
    manager.start();
    await waitFor('the always-on runnable', () => always.log.length === 1, 2_000, 5);
    assert.deepEqual(leaderOnly.log, [], 'nothing leader-only before the lease is won');
    assert.equal(manager.isLeader(), false);

    elector.win();
    await waitFor('the first term', () => leaderOnly.log.length === 1, 2_000, 5);
    assert.equal(manager.isLeader(), true);
    elector.lose();
    // Won again at once: the second term waits for the first to finish stopping.
    elector.win();
    await waitFor('the second term', () => leaderOnly.log.length === 3, 2_000, 5);
    assert.deepEqual(leaderOnly.log, ['start', 'stopped', 'start']);
    assert.equal(leaderOnly.signals[0]!.aborted, true);
    assert.equal(leaderOnly.signals[1]!.aborted, false);

    await manager.stop();
    assert.deepEqual(leaderOnly.log, ['start', 'stopped', 'start', 'stopped']);
    assert.deepEqual(always.log, ['start', 'stopped']);
    assert.deepEqual(elector.calls, ['start', 'stop']);
    assert.deepEqual(leading, [true, false, true, false]);
  });

  it('leads from start to stop without an elector, stopping leader-only runnables before the others', async () => {
    const order: string[] = [];
    const manager = new Manager();
    for (const [name, needsLeaderElection] of [['informers', false], ['controller', true]] as const) {
      manager.add({ name, needsLeaderElection, start: async (signal) => { await aborted(signal); order.push(name); } });
    }
    manager.start();
    await waitFor('leadership', () => manager.isLeader(), 2_000, 5);
    assert.throws(() => manager.add({ name: 'late', needsLeaderElection: false, start: async () => undefined }), /has started/);
    await manager.stop();
    assert.deepEqual(order, ['controller', 'informers']);
    assert.equal(manager.isLeader(), false);
  });
});
