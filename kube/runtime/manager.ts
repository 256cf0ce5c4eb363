/**
 * A manager in controller-runtime's style: runnables that need no lease run from start to stop; leader-only ones
 * start each time the lease is won and stop when it is lost, each term with its own AbortSignal. Terms never
 * overlap: a term that starts while the previous one is still stopping waits for it, so two terms of one runnable
 * never act at once. Stop order: leader-only runnables (their signal aborts, in-flight work ends), then the lease is
 * released (a standby takes over at once), then the other runnables.
 */
import type { Logger } from '../../shared/logger.js';
import type { Runnable } from './runnable.js';

export interface LeadershipCallbacks {
  onStartedLeading(): void;
  onStoppedLeading(): void;
}

/** A lease holder (kube/leader-election.ts's LeaseLock, a namespace claim) as the manager drives it. */
export interface LeaderElector {
  start(): void;
  /** Stops campaigning and releases the lease when held. */
  stop(): Promise<void>;
}

export interface ManagerOptions {
  logger?: Logger;
  /** Builds the elector with the manager's callbacks. Absent: this instance leads from start to stop. */
  leaderElection?: (callbacks: LeadershipCallbacks) => LeaderElector;
  /** Told on every change of leadership (a metric, a log line). */
  onLeadershipChange?: (leading: boolean) => void;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

export class Manager {
  private readonly runnables: Runnable[] = [];
  private always?: Running;
  private term?: Running;
  /** Serializes term starts and stops. */
  private transitions: Promise<void> = Promise.resolve();
  private elector?: LeaderElector;
  private state: 'new' | 'started' | 'stopped' = 'new';

  constructor(private readonly options: ManagerOptions = {}) {}

  add(runnable: Runnable): void {
    if (this.state !== 'new') throw new Error(`cannot add runnable ${runnable.name}: the manager has started`);
    this.runnables.push(runnable);
  }

  isLeader(): boolean {
    return this.term !== undefined && !this.term.controller.signal.aborted;
  }

  /** Starts the runnables that need no lease, then campaigns (or leads at once without an elector). */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'started';
    this.always = this.launch(this.runnables.filter((runnable) => !runnable.needsLeaderElection));
    const callbacks: LeadershipCallbacks = {
      onStartedLeading: () => this.beginTerm(),
      onStoppedLeading: () => void this.endTerm(),
    };
    this.elector = this.options.leaderElection?.(callbacks);
    if (this.elector) this.elector.start();
    else this.beginTerm();
  }

  /** Resolves when every leader-only runnable of the current term has stopped (none running: at once). */
  endTerm(): Promise<void> {
    this.transitions = this.transitions.then(async () => {
      const term = this.term;
      if (!term) return;
      term.controller.abort(new Error('leadership lost'));
      this.options.onLeadershipChange?.(false);
      await term.done;
      this.term = undefined;
    });
    return this.transitions;
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    const started = this.state === 'started';
    this.state = 'stopped';
    if (!started) return;
    await this.endTerm();
    await this.elector?.stop();
    // The elector may have reported a new term while it stopped: end that one too.
    await this.endTerm();
    this.always?.controller.abort(new Error('shutting down'));
    await this.always?.done;
  }

  private beginTerm(): void {
    this.transitions = this.transitions.then(() => {
      if (this.term || this.state !== 'started') return;
      this.term = this.launch(this.runnables.filter((runnable) => runnable.needsLeaderElection));
      this.options.onLeadershipChange?.(true);
    });
  }

  private launch(runnables: Runnable[]): Running {
    const controller = new AbortController();
    const done = Promise.all(runnables.map((runnable) => runnable.start(controller.signal).catch((error: unknown) => {
      this.options.logger?.error({ err: error, runnable: runnable.name }, 'runnable failed');
    }))).then(() => undefined);
    return { controller, done };
  }
}
