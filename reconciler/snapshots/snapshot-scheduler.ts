/**
 * One croner job per store with `spec.snapshot.cron`. Jobs exist in every reconciler instance (so a standby that
 * becomes leader needs no warm-up) but a firing job only runs while this instance leads. One run per store at a time:
 * a firing that finds the previous run still going is skipped (also across a cron change, which replaces the job).
 * `stop()` stops every job, tells running saves to stop waiting and waits for them.
 */
import { Cron } from 'croner';
import type { Logger } from '../../shared/logger.js';

export interface SnapshotSchedulerOptions {
  run: (key: string, signal: AbortSignal) => Promise<void>;
  isLeader: () => boolean;
  logger: Logger;
  /**
   * The croner pattern to schedule for a store's cron. Default: the cron itself, read as five fields in UTC. Tests
   * pass a six-field (seconds) pattern so that a run comes within seconds instead of at the next full minute.
   */
  patternFor?: (cron: string) => string;
}

export type RunNowResult = 'ran' | 'busy' | 'notLeader' | 'stopped';

interface Job {
  cron: string;
  job?: Cron;
}

export class SnapshotScheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(private readonly options: SnapshotSchedulerOptions) {}

  /** Creates, replaces (cron changed) or removes (no cron) the job of a store. Idempotent. */
  set(key: string, cron: string | undefined): void {
    if (this.stopped) return;
    const existing = this.jobs.get(key);
    if (cron === undefined || cron.trim() === '') {
      this.remove(key);
      return;
    }
    if (existing?.cron === cron) return;
    existing?.job?.stop();
    const pattern = this.options.patternFor ? this.options.patternFor(cron) : cron;
    try {
      const job = new Cron(pattern, {
        mode: this.options.patternFor ? 'auto' : '5-part', timezone: 'UTC', unref: true,
        catch: (error: unknown) => this.options.logger.warn({ err: error, store: key }, 'snapshot run failed'),
      }, () => this.fire(key));
      this.jobs.set(key, { cron, job });
      this.options.logger.info({ store: key, cron, next: job.nextRun()?.toISOString() }, 'snapshot schedule set');
    } catch (error: unknown) {
      // The webhook rejects such a cron; a store written around it gets no job (and a log line), not a crash.
      this.jobs.set(key, { cron });
      this.options.logger.warn({ err: error, store: key, cron }, 'snapshot cron does not parse; no snapshots scheduled');
    }
  }

  remove(key: string): void {
    const existing = this.jobs.get(key);
    if (!existing) return;
    existing.job?.stop();
    this.jobs.delete(key);
    this.options.logger.info({ store: key }, 'snapshot schedule removed');
  }

  /** Stores with a job (a cron that parsed). */
  scheduled(): string[] {
    return [...this.jobs].filter(([, job]) => job.job).map(([key]) => key);
  }

  cronOf(key: string): string | undefined {
    return this.jobs.get(key)?.cron;
  }

  isRunning(key: string): boolean {
    return this.running.has(key);
  }

  /** One run now, under the same rules as a firing job (leader only, never two at once). */
  async runNow(key: string): Promise<RunNowResult> {
    if (this.stopped) return 'stopped';
    if (!this.options.isLeader()) return 'notLeader';
    if (this.running.has(key)) return 'busy';
    const run = this.options.run(key, this.abort.signal)
      .catch((error: unknown) => this.options.logger.warn({ err: error, store: key }, 'snapshot run failed'))
      .finally(() => this.running.delete(key));
    this.running.set(key, run);
    await run;
    return 'ran';
  }

  private fire(key: string): void {
    void this.runNow(key).then((result) => {
      if (result === 'busy') this.options.logger.info({ store: key }, 'snapshot skipped: the previous run is still going');
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { job } of this.jobs.values()) job?.stop();
    this.jobs.clear();
    this.abort.abort();
    await Promise.all(this.running.values());
  }
}
