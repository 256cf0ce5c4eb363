/**
 * What a Manager runs (controller-runtime's Runnable and LeaderElectionRunnable in one): something that works until
 * its signal aborts. A leader-only runnable is started each time the lease is won and its signal aborts when the
 * lease is lost or the process shuts down, so it never has to ask whether it still leads.
 */
export interface Runnable {
  readonly name: string;
  /** True: runs only while this instance leads. False: runs for the whole life of the manager. */
  readonly needsLeaderElection: boolean;
  /**
   * Works until `signal` aborts. Resolves once everything it started has stopped; rejecting means it could not
   * start or run (logged by the manager, which does not restart it).
   */
  start(signal: AbortSignal): Promise<void>;
}

/** Resolves when `signal` aborts (at once if it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** A runnable made of a start and a stop function: the common shape of a loop that owns timers or watches. */
export function runnableOf(name: string, needsLeaderElection: boolean, begin: (signal: AbortSignal) => (() => Promise<void> | void)): Runnable {
  return {
    name,
    needsLeaderElection,
    async start(signal) {
      const end = begin(signal);
      await aborted(signal);
      await end();
    },
  };
}
