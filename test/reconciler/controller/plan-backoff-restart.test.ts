import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ObservedPod, RestartBackOff } from '../../../reconciler/controller/observed.js';
import { BACK_OFF_RESTART_COOLDOWN_MS, planBackOffRestarts } from '../../../reconciler/controller/plan-backoff-restart.js';

function pod(name: string, backOff?: RestartBackOff, extra: Partial<ObservedPod> = {}): ObservedPod {
  return { name, ordinal: Number(name.split('-')[1]), phase: 'Running', ready: false, terminating: false, ...(backOff ? { backOff } : {}), ...extra };
}

const NOW = Date.parse('2026-12-07T07:00:00Z');
const plan = (awaiting: string[], pods: ObservedPod[], lastRestartMs = new Map<string, number>()) =>
  planBackOffRestarts({ awaiting, pods, lastRestartMs, nowMs: NOW }).map((restart) => restart.pod);

describe('planBackOffRestarts', () => {
  it('restarts an awaited pod whose engine was killed and now sits in back-off, saying why', () => {
    const restarts = planBackOffRestarts({ awaiting: ['s-0'], pods: [pod('s-0', { lastExitCode: 137, lastRunMs: 2_000 })], lastRestartMs: new Map(), nowMs: NOW });
    assert.equal(restarts.length, 1);
    assert.match(restarts[0]!.reason, /s-0 was killed \(exit code 137\) and waits in restart back-off; .* recreated now on the same volume/);
  });

  it('restarts one that served a while before it stopped, whatever its exit code', () => {
    assert.deepEqual(plan(['s-1'], [pod('s-1', { lastExitCode: 1, lastRunMs: 60_000 })]), ['s-1']);
  });

  it('leaves an engine that fails right after its start to the back-off: it would fail again', () => {
    assert.deepEqual(plan(['s-1'], [pod('s-1', { lastExitCode: 1, lastRunMs: 300 })]), []);
    assert.deepEqual(plan(['s-1'], [pod('s-1', {})]), [], 'nothing known of its last run');
  });

  it('touches only the pods the election waits for, in back-off, not already going', () => {
    const killed = { lastExitCode: 137, lastRunMs: 1_000 };
    const pods = [pod('s-0', killed), pod('s-1', killed, { terminating: true }), pod('s-2'), pod('s-3', killed)];
    assert.deepEqual(plan(['s-0', 's-1', 's-2', 's-9'], pods), ['s-0']);
  });

  it('restarts the same pod at most once per cooldown, so an engine that keeps dying still meets the back-off', () => {
    const pods = [pod('s-0', { lastExitCode: 137 })];
    assert.deepEqual(plan(['s-0'], pods, new Map([['s-0', NOW - 5_000]])), []);
    assert.deepEqual(plan(['s-0'], pods, new Map([['s-0', NOW - BACK_OFF_RESTART_COOLDOWN_MS]])), ['s-0']);
  });
});
