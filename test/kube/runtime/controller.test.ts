import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { Controller, type ReconcileFailure } from '../../../kube/runtime/controller.js';
import { inPhase, TerminalError } from '../../../kube/runtime/reconcile-error.js';
import { waitFor } from '../../../harness/wait-for.js';

function counters() {
  const results: string[] = [];
  let errors = 0;
  let depth = -1;
  return {
    results,
    get errors() { return errors; },
    get depth() { return depth; },
    metrics: {
      reconcileDuration: { startTimer: () => (labels: { result: string }) => results.push(labels.result) },
      reconcileErrors: { inc: () => { errors += 1; } },
      queueDepth: { set: (value: number) => { depth = value; } },
    },
  };
}

describe('Controller', () => {
  it('reports a failure with the phase that failed and retries it with back-off', async () => {
    const failures: ReconcileFailure[] = [];
    const seen = counters();
    let runs = 0;
    const controller = new Controller({
      name: 'test', baseDelayMs: 5, metrics: seen.metrics,
      reconcile: async () => {
        runs += 1;
        if (runs <= 2) await inPhase('topology', async () => { throw new Error('promoting a-1 failed', { cause: new Error('ECONNREFUSED') }); });
        return {};
      },
      onFailure: (failure) => { failures.push(failure); },
    });
    const term = new AbortController();
    const running = controller.start(term.signal);
    controller.enqueue('default/a');
    await waitFor('the third run', () => runs >= 3, 5_000, 5);
    term.abort();
    await running;
    assert.equal(failures.length, 2);
    assert.deepEqual(failures.map((failure) => [failure.phase, failure.message, failure.terminal, failure.failures]), [
      ['topology', 'promoting a-1 failed', false, 1],
      ['topology', 'promoting a-1 failed', false, 2],
    ]);
    assert.deepEqual(seen.results, ['error', 'error', 'success']);
    assert.equal(seen.errors, 2);
    assert.equal(seen.depth, 0);
  });

  it('does not requeue a terminal error', async () => {
    let runs = 0;
    const failures: ReconcileFailure[] = [];
    const controller = new Controller({
      name: 'test', baseDelayMs: 1,
      reconcile: async () => {
        runs += 1;
        throw new Error('spec cannot be applied', { cause: new TerminalError('replicas below 1') });
      },
      onFailure: (failure) => { failures.push(failure); },
    });
    const term = new AbortController();
    const running = controller.start(term.signal);
    controller.enqueue('default/a');
    await waitFor('the failure report', () => failures.length === 1, 5_000, 5);
    await new Promise((resolve) => setTimeout(resolve, 50));
    term.abort();
    await running;
    assert.equal(runs, 1);
    assert.equal(failures[0]!.terminal, true);
    assert.equal(failures[0]!.phase, undefined);
  });

  it('hands every reconcile the term signal, waits for in-flight runs on abort, and reports nothing after it', async () => {
    const failures: ReconcileFailure[] = [];
    let signalSeen: AbortSignal | undefined;
    let finished = false;
    const controller = new Controller({
      name: 'test',
      reconcile: async (_key, signal) => {
        signalSeen = signal;
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        finished = true;
        throw new Error('aborted mid-way');
      },
      onFailure: (failure) => { failures.push(failure); },
      initialKeys: () => ['default/a'],
    });
    const term = new AbortController();
    const running = controller.start(term.signal);
    await waitFor('the reconcile to start', () => signalSeen, 5_000, 5);
    assert.equal(controller.running, true);
    term.abort();
    await running;
    assert.equal(finished, true, 'start() resolves only after the in-flight reconcile ended');
    assert.equal(signalSeen!.aborted, true);
    assert.deepEqual(failures, []);
    assert.equal(controller.running, false);
    controller.enqueue('default/b');
  });
});
