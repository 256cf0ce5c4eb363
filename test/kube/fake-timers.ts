import type { QueueTimers } from '../../kube/work-queue.js';

/** Manual timers for queue tests: time only moves when the test calls advance(). */
export class FakeTimers implements QueueTimers {
  private current = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { dueAt: number; callback: () => void }>();

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { dueAt: this.current + delayMs, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Move time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextDue = Infinity;
      for (const [id, timer] of this.pending) {
        if (timer.dueAt <= target && timer.dueAt < nextDue) {
          nextDue = timer.dueAt;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.pending.get(nextId)!;
      this.pending.delete(nextId);
      this.current = timer.dueAt;
      timer.callback();
    }
    this.current = target;
  }

  /** Due times of pending timers, relative to now. */
  pendingDelays(): number[] {
    return [...this.pending.values()].map((timer) => timer.dueAt - this.current).sort((a, b) => a - b);
  }
}

/** Let queued promise callbacks run. */
export async function flushMicrotasks(): Promise<void> {
  for (let index = 0; index < 10; index += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
