/**
 * A controller in controller-runtime's style: it owns the work queue (one run per key at a time, coalesced adds,
 * back-off on failure), the reconcile metrics and the failure reporting, and knows nothing of what a reconcile does.
 * It is a leader-only Runnable: its queue exists while this instance leads, every reconcile gets the term's
 * AbortSignal (aborted on lease loss and on shutdown), and a failure that happens after the signal fired is neither
 * reported nor retried, since the next leader starts from live state.
 */
import { WorkQueue, type HandlerResult, type QueueTimers } from '../work-queue.js';
import { failedPhaseOf, isTerminal, rootMessage } from './reconcile-error.js';
import { aborted, type Runnable } from './runnable.js';

export type Reconcile = (key: string, signal: AbortSignal) => Promise<HandlerResult | void>;

export interface ReconcileFailure {
  key: string;
  error: unknown;
  /** The phase named by a PhaseError along the cause chain, if any. */
  phase?: string;
  /** The message of the underlying error (the phase wrappers left out). */
  message: string;
  /** Terminal: not requeued until the key is added again. */
  terminal: boolean;
  /** Consecutive failures of this key, this one included. */
  failures: number;
}

/** The shape of the prom-client metrics it updates (structural: kube/ does not depend on a registry). */
export interface ControllerMetrics {
  reconcileDuration: { startTimer(): (labels: { result: string }) => unknown };
  reconcileErrors: { inc(): void };
  queueDepth: { set(value: number): void };
}

export interface ControllerOptions {
  name: string;
  reconcile: Reconcile;
  /** Parallel reconciles over different keys. Default 8. */
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  timers?: QueueTimers;
  metrics?: ControllerMetrics;
  /** Told about every failure before it is retried (log it, emit an Event). Its own errors are swallowed. */
  onFailure?: (failure: ReconcileFailure) => Promise<void> | void;
  /** Keys added during the term's start (the initial list). */
  initialKeys?: () => Iterable<string>;
}

export class Controller implements Runnable {
  readonly needsLeaderElection = true;
  readonly name: string;
  private queue?: WorkQueue;

  constructor(private readonly options: ControllerOptions) {
    this.name = options.name;
  }

  /** Whether a term is running (adds are dropped otherwise: the next term lists everything again). */
  get running(): boolean {
    return this.queue !== undefined;
  }

  enqueue(key: string | undefined): void {
    if (key) this.queue?.add(key);
  }

  enqueueAfter(key: string, delayMs: number): void {
    this.queue?.addAfter(key, delayMs);
  }

  async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    const queue = new WorkQueue({
      concurrency: this.options.concurrency ?? 8,
      baseDelayMs: this.options.baseDelayMs,
      maxDelayMs: this.options.maxDelayMs,
      timers: this.options.timers,
    });
    this.queue = queue;
    queue.start((key) => this.handle(queue, key, signal));
    for (const key of this.options.initialKeys?.() ?? []) queue.add(key);
    await aborted(signal);
    if (this.queue === queue) this.queue = undefined;
    // In-flight reconciles see the aborted signal and stop before their next engine command; wait for them.
    await queue.shutdown();
  }

  private async handle(queue: WorkQueue, key: string, signal: AbortSignal): Promise<HandlerResult | void> {
    const metrics = this.options.metrics;
    const stopTimer = metrics?.reconcileDuration.startTimer();
    try {
      const result = await this.options.reconcile(key, signal);
      stopTimer?.({ result: 'success' });
      return result;
    } catch (error) {
      stopTimer?.({ result: 'error' });
      // Lost the lease or shutting down: whatever failed is the next leader's to find out; nothing is reported.
      if (signal.aborted) return {};
      metrics?.reconcileErrors.inc();
      const failure: ReconcileFailure = {
        key, error, phase: failedPhaseOf(error), message: rootMessage(error), terminal: isTerminal(error),
        failures: queue.failuresOf(key) + 1,
      };
      try {
        await this.options.onFailure?.(failure);
      } catch {
        // Reporting is a courtesy: it must not turn into a second failure of the reconcile.
      }
      if (failure.terminal) return {};
      throw error;
    } finally {
      metrics?.queueDepth.set(queue.depth);
    }
  }
}
