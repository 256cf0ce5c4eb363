/**
 * Leader election on a coordination.k8s.io/v1 Lease, after client-go's leaderelection: the holder renews every
 * retry period; a candidate takes over once it has seen the same lease record unchanged for a whole lease duration
 * (measured on its own clock, so clock skew between machines does not matter) or when the holder released it.
 * Writes carry the resourceVersion they read, so two candidates can never both win one round.
 */
import type { Logger } from '../shared/logger.js';
import type { KubeClient, KubeObject } from './client.js';
import { isConflict, isNotFound } from './errors.js';
import { paths } from './paths.js';
import { microTime } from '../shared/rfc3339.js';

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number;
}

export interface LeaseObject extends KubeObject {
  spec?: LeaseSpec;
}

export type LeaseDecision = 'create' | 'renew' | 'takeover' | 'wait';

export interface LeaseObservation {
  /** The last record seen (holder + renewTime), and when this process first saw it. */
  record: string;
  observedAtMs: number;
}

export function leaseRecord(lease: LeaseObject | undefined): string {
  return `${lease?.spec?.holderIdentity ?? ''}|${lease?.spec?.renewTime ?? ''}|${lease?.metadata?.resourceVersion ?? ''}`;
}

/** What a candidate should do with the lease it just read. Pure. */
export function decideLease(
  lease: LeaseObject | undefined, identity: string, nowMs: number, observation: LeaseObservation | undefined, defaultDurationSeconds: number,
): LeaseDecision {
  if (!lease) return 'create';
  const holder = lease.spec?.holderIdentity ?? '';
  if (holder === identity) return 'renew';
  if (!holder) return 'takeover';
  const durationMs = (lease.spec?.leaseDurationSeconds ?? defaultDurationSeconds) * 1000;
  if (!observation || observation.record !== leaseRecord(lease)) return 'wait';
  return nowMs - observation.observedAtMs >= durationMs ? 'takeover' : 'wait';
}

export interface LeaseLockOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds?: number;
  /** How often to try to acquire or renew. Default a third of the lease duration. */
  retryPeriodMs?: number;
  /**
   * A leader that has not renewed for this long stops leading, on a timer of its own (so a process that was frozen
   * or starved stops before it acts on stale leadership). Must stay below the lease duration, which a standby waits
   * out before taking over. Default 80 % of the lease duration.
   */
  renewDeadlineMs?: number;
  labels?: Record<string, string>;
  logger?: Logger;
  onStartedLeading?: () => void;
  onStoppedLeading?: () => void;
}

export class LeaseLock {
  private leading = false;
  private observation?: LeaseObservation;
  private timer?: NodeJS.Timeout;
  private running = false;
  private lastRenewMs = 0;
  private inFlight?: Promise<void>;
  private readonly durationSeconds: number;
  private readonly retryPeriodMs: number;
  private readonly renewDeadlineMs: number;
  private deadlineTimer?: NodeJS.Timeout;

  constructor(private readonly options: LeaseLockOptions) {
    this.durationSeconds = options.leaseDurationSeconds ?? 15;
    this.retryPeriodMs = options.retryPeriodMs ?? Math.max(200, Math.floor((this.durationSeconds * 1000) / 3));
    this.renewDeadlineMs = Math.min(options.renewDeadlineMs ?? this.durationSeconds * 1000 * 0.8, this.durationSeconds * 1000 * 0.8);
  }

  /** Leading, and renewed within the renew deadline (checked on the clock, not only when a timer ran). */
  get isLeader(): boolean {
    return this.leading && Date.now() - this.lastRenewMs < this.renewDeadlineMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.tick();
  }

  /** Stops campaigning; when holding the lease, releases it so a standby takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.deadlineTimer);
    await this.inFlight;
    if (this.leading) {
      await this.release();
      this.setLeading(false);
    }
  }

  private tick(): void {
    if (!this.running) return;
    this.inFlight = this.attempt().finally(() => {
      this.inFlight = undefined;
      if (this.running) this.timer = setTimeout(() => this.tick(), this.retryPeriodMs);
    });
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    this.options.logger?.info({ lease: `${this.options.namespace}/${this.options.name}`, identity: this.options.identity, leading }, leading ? 'acquired lease' : 'lost lease');
    if (leading) this.options.onStartedLeading?.();
    else this.options.onStoppedLeading?.();
  }

  private spec(previous: LeaseSpec | undefined, now: Date, takeover: boolean): LeaseSpec {
    const time = microTime(now);
    return {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: this.durationSeconds,
      acquireTime: takeover || !previous?.acquireTime ? time : previous.acquireTime,
      renewTime: time,
      leaseTransitions: (previous?.leaseTransitions ?? 0) + (takeover ? 1 : 0),
    };
  }

  private async attempt(): Promise<void> {
    const { client, namespace, name } = this.options;
    const now = new Date();
    try {
      const lease = await client.getOptional<LeaseObject>(paths.lease(namespace, name));
      const record = leaseRecord(lease);
      if (!this.observation || this.observation.record !== record) this.observation = { record, observedAtMs: now.getTime() };
      const decision = decideLease(lease, this.options.identity, now.getTime(), this.observation, this.durationSeconds);
      if (decision === 'wait') {
        this.setLeading(false);
        return;
      }
      if (decision === 'create') {
        await client.create(paths.leases(namespace), {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name, namespace, labels: this.options.labels },
          spec: this.spec(undefined, now, true),
        });
      } else {
        await client.request('PUT', paths.lease(namespace, name), {
          ...lease,
          metadata: { ...lease!.metadata, labels: { ...lease!.metadata?.labels, ...this.options.labels } },
          spec: this.spec(lease!.spec, now, decision === 'takeover'),
        });
      }
      this.lastRenewMs = now.getTime();
      this.armDeadline();
      this.setLeading(true);
    } catch (error) {
      if (isConflict(error) || isNotFound(error)) this.options.logger?.debug({ err: error }, 'lease changed under us');
      else this.options.logger?.warn({ err: error, lease: `${namespace}/${name}` }, 'lease acquire/renew failed');
      // A leader that cannot renew within the lease duration must stop acting before someone else may start.
      if (this.leading && Date.now() - this.lastRenewMs >= this.renewDeadlineMs) this.setLeading(false);
      else if (!this.leading) this.setLeading(false);
    }
  }

  /** Steps down at the renew deadline unless a renewal came first (each renewal re-arms it). */
  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => {
      if (this.leading && Date.now() - this.lastRenewMs >= this.renewDeadlineMs) {
        this.options.logger?.warn({ lease: `${this.options.namespace}/${this.options.name}`, renewDeadlineMs: this.renewDeadlineMs }, 'lease not renewed in time; stepping down');
        this.setLeading(false);
      }
    }, this.renewDeadlineMs);
    this.deadlineTimer.unref();
  }

  private async release(): Promise<void> {
    const { client, namespace, name } = this.options;
    try {
      const lease = await client.getOptional<LeaseObject>(paths.lease(namespace, name));
      if (!lease || lease.spec?.holderIdentity !== this.options.identity) return;
      await client.request('PUT', paths.lease(namespace, name), {
        ...lease,
        spec: { ...lease.spec, holderIdentity: null, leaseDurationSeconds: 1, renewTime: microTime(new Date()) },
      });
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'lease release failed; a standby takes over after the lease duration');
    }
  }
}
