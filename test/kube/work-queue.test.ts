import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { WorkQueue, backoffDelayMs } from '../../kube/work-queue.js';
import { FakeTimers, flushMicrotasks } from './fake-timers.js';

/** A handler whose runs the test completes by hand. */
function controlledHandler() {
  const calls: string[] = [];
  const pending: Array<{ key: string; resolve: (value?: { requeueAfterMs?: number }) => void; reject: (error: Error) => void }> = [];
  const handler = (key: string) => {
    calls.push(key);
    return new Promise<{ requeueAfterMs?: number } | void>((resolve, reject) => pending.push({ key, resolve, reject }));
  };
  return { calls, pending, handler };
}

describe('backoffDelayMs', () => {
  it('doubles from the base and stops at the maximum', () => {
    assert.deepEqual([1, 2, 3, 4].map((failures) => backoffDelayMs(failures, 100, 1000)), [100, 200, 400, 800]);
    assert.equal(backoffDelayMs(5, 100, 1000), 1000);
    assert.equal(backoffDelayMs(200, 100, 1000), 1000);
    assert.equal(backoffDelayMs(0, 100, 1000), 0);
  });
});

describe('WorkQueue', () => {
  it('coalesces duplicate adds of a waiting key', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers, concurrency: 1 });
    const { calls, pending, handler } = controlledHandler();
    queue.add('ns/a');
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    queue.start(handler);
    await flushMicrotasks();
    assert.deepEqual(calls, ['ns/a']);
    pending.shift()!.resolve();
    await flushMicrotasks();
    pending.shift()!.resolve();
    await flushMicrotasks();
    assert.deepEqual(calls, ['ns/a', 'ns/b']);
    assert.equal(queue.size, 0);
  });

  it('runs one reconcile per key at a time and re-runs a key added during its run', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers, concurrency: 4 });
    const { calls, pending, handler } = controlledHandler();
    queue.start(handler);
    queue.add('ns/a');
    await flushMicrotasks();
    queue.add('ns/a');
    queue.add('ns/a');
    await flushMicrotasks();
    assert.deepEqual(calls, ['ns/a'], 'no second run while the first is in flight');
    pending.shift()!.resolve();
    await flushMicrotasks();
    assert.deepEqual(calls, ['ns/a', 'ns/a'], 'exactly one more run for the adds during the run');
    pending.shift()!.resolve();
    await flushMicrotasks();
    assert.equal(calls.length, 2);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers, concurrency: 2 });
    const { calls, pending, handler } = controlledHandler();
    queue.start(handler);
    for (const key of ['a', 'b', 'c']) queue.add(key);
    await flushMicrotasks();
    assert.deepEqual(calls, ['a', 'b']);
    assert.equal(queue.inFlight, 2);
    assert.equal(queue.depth, 1);
    pending.shift()!.resolve();
    await flushMicrotasks();
    assert.deepEqual(calls, ['a', 'b', 'c']);
  });

  it('retries failures with exponential backoff up to the maximum and resets after a success', async () => {
    const timers = new FakeTimers();
    const errors: number[] = [];
    const queue = new WorkQueue({ timers, baseDelayMs: 100, maxDelayMs: 400, onError: (_key, _error, failures) => errors.push(failures) });
    const { calls, pending, handler } = controlledHandler();
    queue.start(handler);
    queue.add('k');
    const observedDelays: number[] = [];
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await flushMicrotasks();
      pending.shift()!.reject(new Error('boom'));
      await flushMicrotasks();
      const delays = timers.pendingDelays().filter((delay) => delay < 1000);
      observedDelays.push(delays[0]!);
      timers.advance(delays[0]!);
    }
    assert.deepEqual(observedDelays, [100, 200, 400, 400]);
    assert.deepEqual(errors, [1, 2, 3, 4]);
    assert.equal(queue.failuresOf('k'), 4);
    await flushMicrotasks();
    pending.shift()!.resolve();
    await flushMicrotasks();
    assert.equal(queue.failuresOf('k'), 0);
    assert.equal(calls.length, 5);
  });

  it('keeps the backoff when a key is changed while a failing run is in flight', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers, baseDelayMs: 100 });
    const { calls, pending, handler } = controlledHandler();
    queue.start(handler);
    queue.add('k');
    await flushMicrotasks();
    queue.add('k');
    pending.shift()!.reject(new Error('boom'));
    await flushMicrotasks();
    assert.equal(calls.length, 1, 'not re-run immediately after a failure');
    timers.advance(100);
    await flushMicrotasks();
    assert.equal(calls.length, 2);
  });

  it('honours requeueAfterMs and keeps the earliest of several delayed adds', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers });
    const { calls, pending, handler } = controlledHandler();
    queue.start(handler);
    queue.add('k');
    await flushMicrotasks();
    pending.shift()!.resolve({ requeueAfterMs: 5000 });
    await flushMicrotasks();
    queue.addAfter('k', 1000);
    queue.addAfter('k', 3000);
    timers.advance(999);
    await flushMicrotasks();
    assert.equal(calls.length, 1);
    timers.advance(1);
    await flushMicrotasks();
    assert.equal(calls.length, 2);
    pending.shift()!.resolve();
    timers.advance(10_000);
    await flushMicrotasks();
    assert.equal(calls.length, 2, 'the later deadlines were replaced, not kept');
  });

  it('an immediate add overrides a pending delayed add', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers });
    const { calls, pending, handler } = controlledHandler();
    queue.start(handler);
    queue.addAfter('k', 5000);
    queue.add('k');
    await flushMicrotasks();
    assert.equal(calls.length, 1);
    pending.shift()!.resolve();
    timers.advance(6000);
    await flushMicrotasks();
    assert.equal(calls.length, 1);
  });

  it('holds state only for keys that are waiting, running, delayed or failing', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers, baseDelayMs: 100 });
    const { pending, handler } = controlledHandler();
    queue.start(handler);
    queue.add('ok');
    queue.add('fails');
    queue.addAfter('delayed', 100_000);
    await flushMicrotasks();
    assert.equal(queue.size, 3);
    pending.shift()!.resolve();
    pending.shift()!.reject(new Error('boom'));
    await flushMicrotasks();
    assert.equal(queue.size, 2, 'the successful key is dropped, the failing one keeps its failure count');
    assert.equal(queue.failuresOf('fails'), 1);
    timers.advance(100);
    await flushMicrotasks();
    pending.shift()!.resolve();
    await flushMicrotasks();
    assert.equal(queue.size, 1, 'dropped after its retry succeeded');
    timers.advance(100_000);
    await flushMicrotasks();
    pending.shift()!.resolve();
    await flushMicrotasks();
    assert.equal(queue.size, 0);
  });

  it('shutdown waits for in-flight handlers and drops waiting and delayed keys', async () => {
    const timers = new FakeTimers();
    const queue = new WorkQueue({ timers, concurrency: 1 });
    const { calls, pending, handler } = controlledHandler();
    queue.start(handler);
    queue.add('a');
    queue.add('b');
    queue.addAfter('c', 100);
    await flushMicrotasks();
    let done = false;
    const stopped = queue.shutdown().then(() => { done = true; });
    await flushMicrotasks();
    assert.equal(done, false, 'waits for the running handler');
    queue.add('d');
    pending.shift()!.resolve();
    await stopped;
    timers.advance(1000);
    await flushMicrotasks();
    assert.deepEqual(calls, ['a']);
  });
});
