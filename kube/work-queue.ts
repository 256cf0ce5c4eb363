/**
 * A keyed work queue in the style of client-go's rate-limited workqueue: a key waiting to be processed is held once
 * however often it is added, one reconcile per key runs at a time (an add during a run marks the key dirty and it runs
 * again afterwards), failures retry with exponential backoff up to a maximum, and delayed re-adds keep only the
 * earliest deadline. A key's state is dropped as soon as it is idle (no run, no wait, no retry pending, no failure
 * to remember), so memory follows the live stores, not every key ever seen.
 * Timers and the clock are injectable so the behaviour is tested without waiting.
 */

export interface QueueTimers {
  now(): number;
  setTimeout(callback: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: QueueTimers = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    const handle = setTimeout(callback, delayMs);
    handle.unref?.();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** What a handler tells the queue after a successful run. */
export interface HandlerResult {
  /** Run this key again after this many milliseconds (e.g. waiting for pods to start). */
  requeueAfterMs?: number;
}

export type KeyHandler = (key: string) => Promise<HandlerResult | void>;

export interface WorkQueueOptions {
  /** Parallel handlers over different keys. Default 4. */
  concurrency?: number;
  /** First retry delay after a failure. Default 250 ms. */
  baseDelayMs?: number;
  /** Cap of the retry delay. Default 60 s. */
  maxDelayMs?: number;
  timers?: QueueTimers;
  /** Told about each failure (for logs and metrics); the queue itself only retries. */
  onError?: (key: string, error: unknown, failures: number) => void;
}

interface KeyState {
  failures: number;
  queued: boolean;
  running: boolean;
  /** Added again while running: run once more when the current run ends. */
  dirty: boolean;
  timer?: unknown;
  timerDueAt?: number;
}

/** The retry delay after `failures` consecutive failures: base * 2^(failures-1), capped. */
export function backoffDelayMs(failures: number, baseDelayMs: number, maxDelayMs: number): number {
  if (failures <= 0) return 0;
  const exponent = Math.min(failures - 1, 30);
  return Math.min(maxDelayMs, baseDelayMs * 2 ** exponent);
}

export class WorkQueue {
  private readonly states = new Map<string, KeyState>();
  private readonly ready: string[] = [];
  private readonly concurrency: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timers: QueueTimers;
  private readonly onError?: WorkQueueOptions['onError'];
  private handler?: KeyHandler;
  private active = 0;
  private shuttingDown = false;
  private drainWaiters: Array<() => void> = [];

  constructor(options: WorkQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 60_000;
    this.timers = options.timers ?? realTimers;
    this.onError = options.onError;
  }

  /** Begin processing with `handler`. Keys added before start wait until now. */
  start(handler: KeyHandler): void {
    this.handler = handler;
    this.pump();
  }

  /** Process `key` as soon as a worker is free. Coalesces with a pending add and with a delayed add. */
  add(key: string): void {
    if (this.shuttingDown) return;
    const state = this.stateOf(key);
    this.cancelTimer(state);
    if (state.running) {
      state.dirty = true;
      return;
    }
    if (state.queued) return;
    state.queued = true;
    this.ready.push(key);
    this.pump();
  }

  /** Process `key` after `delayMs`, unless it is processed earlier; the earliest pending deadline wins. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const state = this.stateOf(key);
    if (state.queued) return;
    const dueAt = this.timers.now() + delayMs;
    if (state.timer !== undefined && state.timerDueAt !== undefined && state.timerDueAt <= dueAt) return;
    this.cancelTimer(state);
    state.timerDueAt = dueAt;
    state.timer = this.timers.setTimeout(() => {
      state.timer = undefined;
      state.timerDueAt = undefined;
      this.add(key);
    }, delayMs);
  }

  /** Consecutive failures recorded for `key` (0 when unknown). */
  failuresOf(key: string): number {
    return this.states.get(key)?.failures ?? 0;
  }

  /** Keys with state held (queued, running, delayed, or failing). */
  get size(): number {
    return this.states.size;
  }

  /** Keys waiting for a worker. */
  get depth(): number {
    return this.ready.length;
  }

  get inFlight(): number {
    return this.active;
  }

  /** Stop taking work, drop delayed adds, and resolve when the running handlers are done. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.ready.length = 0;
    for (const state of this.states.values()) {
      this.cancelTimer(state);
      state.queued = false;
      state.dirty = false;
    }
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private stateOf(key: string): KeyState {
    let state = this.states.get(key);
    if (!state) {
      state = { failures: 0, queued: false, running: false, dirty: false };
      this.states.set(key, state);
    }
    return state;
  }

  private cancelTimer(state: KeyState): void {
    if (state.timer !== undefined) this.timers.clearTimeout(state.timer);
    state.timer = undefined;
    state.timerDueAt = undefined;
  }

  private pump(): void {
    if (!this.handler) return;
    while (!this.shuttingDown && this.active < this.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const state = this.stateOf(key);
      state.queued = false;
      state.running = true;
      this.active += 1;
      void this.run(key, state);
    }
  }

  private async run(key: string, state: KeyState): Promise<void> {
    let requeueAfterMs: number | undefined;
    let failed = false;
    try {
      const result = await this.handler!(key);
      state.failures = 0;
      requeueAfterMs = result?.requeueAfterMs;
    } catch (error) {
      failed = true;
      state.failures += 1;
      this.onError?.(key, error, state.failures);
    }
    state.running = false;
    this.active -= 1;
    if (!this.shuttingDown) {
      if (state.dirty) {
        state.dirty = false;
        // A change arrived during the run: run again now, but after a failure keep the backoff so a
        // change storm on a broken store does not become a hot loop.
        if (failed) this.addAfter(key, backoffDelayMs(state.failures, this.baseDelayMs, this.maxDelayMs));
        else this.add(key);
      } else if (failed) {
        this.addAfter(key, backoffDelayMs(state.failures, this.baseDelayMs, this.maxDelayMs));
      } else if (requeueAfterMs !== undefined) {
        this.addAfter(key, requeueAfterMs);
      } else if (state.failures === 0 && !state.queued && state.timer === undefined) {
        this.states.delete(key);
      }
    }
    if (this.active === 0 && this.shuttingDown) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
    this.pump();
  }
}
