/**
 * Active master health loop, independent of kubelet readiness. Each master is pinged every `intervalMs` over its own
 * connection. It is declared down only when it has not answered for `downAfterMilliseconds` AND none of its replicas
 * still hears from it: a partition between the operator and the master alone never causes a failover. From the first
 * late ping on, the replicas' read offsets are sampled, so that "still hears from it" is judged by replication
 * traffic to the millisecond (replication-silence.ts) by the time downAfterMilliseconds runs out.
 */
import { EventEmitter } from 'node:events';
import { type EngineEndpoint } from './engine-connection.js';
import { errorMessage } from '../../shared/error-message.js';
import { checkReplicaView, openPingChannel, pingPeriodSeconds, type PingChannel, type ReplicaView } from './monitor-channels.js';
import type { MasterRoleObservation } from './data-bounds.js';
import { judgeBySilence, nextMark, silenceWindowMs, undecided, type LastAnswer, type OffsetMark } from './replication-silence.js';

export type { PingChannel, ReplicaView } from './monitor-channels.js';

export interface MonitorTarget {
  pod: string;
  endpoint: EngineEndpoint;
  /** Other names replicas may use for this pod in REPLICAOF (pod DNS name, pod IP). */
  aliases?: string[];
  /** The address replicas use in REPLICAOF when it differs from the operator's `endpoint` (another network path). */
  replicationAddress?: { host: string; port: number };
}

export interface MonitoredStore {
  /** namespace/name */
  key: string;
  master: MonitorTarget;
  replicas: MonitorTarget[];
  downAfterMilliseconds: number;
}

export interface MasterDownEvent {
  storeKey: string;
  master: MonitorTarget;
  /** Last time the master answered a ping (ms, monitor clock); the watch start when it never did. */
  lastSeenAtMs: number;
  detectedAtMs: number;
  trigger: 'tick' | 'triggered';
  replicaViews: ReplicaView[];
  lastError?: string;
}

export interface MasterUnreachableEvent {
  storeKey: string;
  master: MonitorTarget;
  /** The replicas that still hear from the master: the operator is the one cut off. */
  replicaViews: ReplicaView[];
}

/**
 * The master has fewer connected replicas than at the previous ping: one restarted, lost its link, or was promoted by
 * hand (REPLICAOF NO ONE), which nothing in Kubernetes would show. The store is worth a look now, not at the next resync.
 */
export interface ReplicaDisconnectedEvent {
  storeKey: string;
  master: MonitorTarget;
  connectedReplicas: number;
  previously: number;
}

/** Every answered ping: the master's offset and its replicas' acknowledged offsets, by pod (data-bounds.ts). */
export interface MasterRoleEvent {
  storeKey: string;
  role: MasterRoleObservation;
}

export interface TimerApi {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export interface HealthMonitorOptions {
  intervalMs?: number;
  clock?: () => number;
  timers?: TimerApi;
  openChannel?: (target: MonitorTarget, timeoutMs: number) => PingChannel;
  viewReplica?: (replica: MonitorTarget, master: MonitorTarget, store: MonitoredStore) => Promise<ReplicaView>;
  /** Minimum spacing of replica confirmations while the operator cannot reach a master the replicas still see. */
  confirmIntervalMs?: number;
  /** The store's repl-ping-replica-period in seconds, read from a replica (once per watch). */
  pingPeriodOf?: (replica: MonitorTarget) => Promise<number>;
  /** A ping unanswered this long starts sampling the replicas' offsets (real time; 0 leaves it to the ticks). */
  latePingMs?: number;
}

interface StoreWatch {
  store: MonitoredStore;
  channel: PingChannel;
  lastSeenAtMs: number;
  lastError?: string;
  pingInFlight: boolean;
  confirming: boolean;
  lastConfirmAtMs: number;
  down: boolean;
  partitionReported: boolean;
  /** From the last answered ping; undefined until the first one. */
  connectedReplicas?: number;
  /** The master's offset in its last answer, for the replicas' silence (replication-silence.ts). */
  lastAnswer?: LastAnswer;
  /** Each replica's read offset since the master stopped answering; cleared by an answer. */
  marks: Map<string, OffsetMark>;
  sampling: boolean;
  /** A replica's offset stood still but not yet for a whole window: confirm again at the next tick. */
  undecided: boolean;
  pingPeriod?: Promise<number>;
}

export type CheckOutcome = 'up' | 'down' | 'unconfirmed' | 'waiting' | 'unknown-store';

export interface TriggerOptions {
  /** The master pod is known to be gone (deleted, node lost): do not wait downAfterMilliseconds once it fails. */
  skipDownAfter?: boolean;
}

const realTimers: TimerApi = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as NodeJS.Timeout),
};

export declare interface HealthMonitor {
  on(event: 'masterDown', listener: (event: MasterDownEvent) => void): this;
  on(event: 'masterUnreachable', listener: (event: MasterUnreachableEvent) => void): this;
  /** The master answers again after a masterDown or a masterUnreachable. */
  on(event: 'masterUp', listener: (event: { storeKey: string; master: MonitorTarget }) => void): this;
  on(event: 'replicaDisconnected', listener: (event: ReplicaDisconnectedEvent) => void): this;
  on(event: 'masterRole', listener: (event: MasterRoleEvent) => void): this;
}

export class HealthMonitor extends EventEmitter {
  private readonly watches = new Map<string, StoreWatch>();
  private readonly intervalMs: number;
  private readonly clock: () => number;
  private readonly timers: TimerApi;
  private readonly openChannel: (target: MonitorTarget, timeoutMs: number) => PingChannel;
  private readonly viewReplica: (replica: MonitorTarget, master: MonitorTarget, store: MonitoredStore) => Promise<ReplicaView>;
  private readonly confirmIntervalMs: number;
  private readonly pingPeriodOf: (replica: MonitorTarget) => Promise<number>;
  private readonly latePingMs: number;
  private handle: unknown;

  constructor(options: HealthMonitorOptions = {}) {
    super();
    this.intervalMs = options.intervalMs ?? 150;
    this.clock = options.clock ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.openChannel = options.openChannel ?? ((target, timeoutMs) => openPingChannel(target.endpoint, timeoutMs));
    this.viewReplica = options.viewReplica ?? ((replica, master, store) => checkReplicaView(replica, master, store.downAfterMilliseconds));
    this.confirmIntervalMs = options.confirmIntervalMs ?? 300;
    this.pingPeriodOf = options.pingPeriodOf ?? ((replica) => pingPeriodSeconds(replica.endpoint, 500));
    this.latePingMs = options.latePingMs ?? (options.timers ? 0 : 50);
  }

  start(): void {
    if (this.handle === undefined) this.handle = this.timers.setInterval(() => this.tick(), this.intervalMs);
  }

  stop(): void {
    if (this.handle !== undefined) this.timers.clearInterval(this.handle);
    this.handle = undefined;
    for (const watch of this.watches.values()) watch.channel.close();
    this.watches.clear();
  }

  /** Starts or updates the watch. A changed master (after a failover) starts a fresh watch. */
  watch(store: MonitoredStore): void {
    const existing = this.watches.get(store.key);
    if (existing && sameEndpoint(existing.store.master, store.master)) {
      existing.store = store;
      return;
    }
    existing?.channel.close();
    const pingTimeoutMs = Math.min(store.downAfterMilliseconds, 1000);
    this.watches.set(store.key, {
      store, channel: this.openChannel(store.master, pingTimeoutMs), lastSeenAtMs: this.clock(), pingInFlight: false,
      confirming: false, lastConfirmAtMs: Number.NEGATIVE_INFINITY, down: false, partitionReported: false,
      marks: new Map(), sampling: false, undecided: false,
    });
  }

  unwatch(key: string): void {
    this.watches.get(key)?.channel.close();
    this.watches.delete(key);
  }

  watched(): string[] {
    return [...this.watches.keys()];
  }

  isDown(key: string): boolean {
    return this.watches.get(key)?.down ?? false;
  }

  /** One round over every store; called by the interval, callable directly in tests. */
  tick(): void {
    for (const watch of this.watches.values()) this.checkStore(watch, 'tick');
  }

  /** An immediate check (pod deleted or evicted, node lost, container restarted) instead of waiting for the tick. */
  async triggerCheck(key: string, options: TriggerOptions = {}): Promise<CheckOutcome> {
    const watch = this.watches.get(key);
    if (!watch) return 'unknown-store';
    if (watch.down) return 'down';
    const answered = await this.ping(watch);
    if (answered) return 'up';
    if (!options.skipDownAfter && this.clock() - watch.lastSeenAtMs < watch.store.downAfterMilliseconds) return 'waiting';
    return this.confirm(watch, 'triggered');
  }

  private checkStore(watch: StoreWatch, trigger: 'tick'): void {
    if (watch.down) return;
    if (!watch.pingInFlight) void this.ping(watch);
    const now = this.clock();
    const spacingMs = watch.undecided ? 0 : this.confirmIntervalMs;
    if (now - watch.lastSeenAtMs >= watch.store.downAfterMilliseconds && !watch.confirming && now - watch.lastConfirmAtMs >= spacingMs) {
      void this.confirm(watch, trigger);
    } else if (now - watch.lastSeenAtMs > 1.5 * this.intervalMs && now - watch.lastSeenAtMs < watch.store.downAfterMilliseconds) {
      // The last answer is older than a tick: the replicas' offsets start counting now, not at downAfterMilliseconds
      // (from then on the confirmations sample them, at their own spacing).
      this.sample(watch);
    }
  }

  private async ping(watch: StoreWatch): Promise<boolean> {
    watch.pingInFlight = true;
    // A ping this late starts the replicas' sampling before the next tick. setImmediate first: a reply already read
    // from the socket (a busy event loop) is handled before the sampling starts, so it does not start for nothing.
    const late = this.latePingMs > 0
      ? setTimeout(() => setImmediate(() => { if (watch.pingInFlight) this.sample(watch); }), this.latePingMs).unref()
      : undefined;
    try {
      const answer = await watch.channel.ping();
      if (this.watches.get(watch.store.key) !== watch) return true;
      watch.lastSeenAtMs = this.clock();
      watch.lastAnswer = { offset: answer.offset, atMs: watch.lastSeenAtMs };
      watch.marks.clear();
      watch.undecided = false;
      watch.lastError = undefined;
      const previously = watch.connectedReplicas;
      watch.connectedReplicas = answer.connectedReplicas;
      const byHost = new Map(watch.store.replicas.map((replica) => [replica.endpoint.host, replica.pod]));
      const replicas = answer.replicas.flatMap((replica) => {
        const pod = byHost.get(replica.host);
        return pod ? [{ pod, offset: replica.offset }] : [];
      });
      this.emit('masterRole', { storeKey: watch.store.key, role: { master: watch.store.master.pod, offset: answer.offset, replicas } } satisfies MasterRoleEvent);
      if (previously !== undefined && answer.connectedReplicas < previously) {
        this.emit('replicaDisconnected', { storeKey: watch.store.key, master: watch.store.master, connectedReplicas: answer.connectedReplicas, previously } satisfies ReplicaDisconnectedEvent);
      }
      // Answering again after being declared down, or after a partition from the operator alone was reported.
      const recovered = watch.down || watch.partitionReported;
      watch.partitionReported = false;
      if (recovered) {
        watch.down = false;
        this.emit('masterUp', { storeKey: watch.store.key, master: watch.store.master });
      }
      return true;
    } catch (error) {
      watch.lastError = errorMessage(error);
      return false;
    } finally {
      if (late) clearTimeout(late);
      watch.pingInFlight = false;
    }
  }

  /** One round of the replicas' views, their offsets recorded as marks; undefined when the master answered meanwhile. */
  private async viewReplicas(watch: StoreWatch): Promise<{ views: ReplicaView[]; sampledAtMs: number } | undefined> {
    const { store } = watch;
    const seenBefore = watch.lastSeenAtMs;
    const sampledAtMs = this.clock();
    if (store.replicas.length > 0) watch.pingPeriod ??= this.pingPeriodOf(store.replicas[0]!).catch(() => 10);
    const views = await Promise.all(store.replicas.map((replica) => this.viewReplica(replica, store.master, store)
      .catch((error: unknown): ReplicaView => ({ pod: replica.pod, seesMaster: false, status: 'unreachable', detail: errorMessage(error) }))));
    if (watch.lastSeenAtMs !== seenBefore || this.watches.get(store.key) !== watch) return undefined;
    // Both ends err towards "not silent yet": a new offset counts from when its sample returned, and the round is
    // judged at the time it started.
    const returnedAtMs = this.clock();
    for (const view of views) {
      if (view.offset === undefined) watch.marks.delete(view.pod);
      else watch.marks.set(view.pod, nextMark(watch.marks.get(view.pod), view.offset, returnedAtMs, watch.lastAnswer));
    }
    return { views, sampledAtMs };
  }

  /**
   * With real timers, the next confirmation runs the moment a pending replica's window closes rather than at the next
   * tick after it (up to an interval later). The tick still confirms too; whichever comes first finds the other busy.
   */
  private confirmWhenDecided(watch: StoreWatch, atMs: number): void {
    if (this.latePingMs <= 0) return;
    setTimeout(() => {
      if (this.watches.get(watch.store.key) === watch && watch.undecided && !watch.down) void this.confirm(watch, 'tick');
    }, Math.max(0, atMs - this.clock()) + 1).unref();
  }

  private sample(watch: StoreWatch): void {
    if (watch.sampling || watch.confirming || watch.down) return;
    watch.sampling = true;
    void this.viewReplicas(watch).catch(() => undefined).finally(() => { watch.sampling = false; });
  }

  private async confirm(watch: StoreWatch, trigger: MasterDownEvent['trigger']): Promise<CheckOutcome> {
    if (watch.confirming) return 'waiting';
    watch.confirming = true;
    watch.lastConfirmAtMs = this.clock();
    const seenBefore = watch.lastSeenAtMs;
    try {
      const { store } = watch;
      const round = await this.viewReplicas(watch);
      // The master answered while the replicas were asked, or the store moved on to another master meanwhile.
      if (!round || watch.lastSeenAtMs !== seenBefore || this.watches.get(store.key) !== watch || watch.down) return watch.down ? 'down' : 'up';
      // The ping period matters only for a replica that still sees the master: a lost link or a dead replica decides now.
      const vouching = round.views.some((view) => view.seesMaster && view.offset !== undefined);
      const windowMs = vouching ? silenceWindowMs(await (watch.pingPeriod ?? Promise.resolve(10))) : Number.POSITIVE_INFINITY;
      const views = round.views.map((view) => judgeBySilence(view, watch.marks.get(view.pod), round.sampledAtMs, windowMs));
      // An offset that has not moved since the master went quiet, but not for a whole window yet: no verdict either way.
      const pending = views.filter((view) => undecided(view, watch.marks.get(view.pod), round.sampledAtMs, windowMs));
      watch.undecided = pending.length > 0;
      if (watch.undecided) {
        this.confirmWhenDecided(watch, Math.min(...pending.map((view) => watch.marks.get(view.pod)!.sinceMs)) + windowMs);
        return 'waiting';
      }
      if (views.some((view) => view.seesMaster)) {
        if (!watch.partitionReported) {
          watch.partitionReported = true;
          this.emit('masterUnreachable', { storeKey: store.key, master: store.master, replicaViews: views } satisfies MasterUnreachableEvent);
        }
        return 'unconfirmed';
      }
      watch.down = true;
      const event: MasterDownEvent = {
        storeKey: store.key, master: store.master, lastSeenAtMs: watch.lastSeenAtMs, detectedAtMs: this.clock(), trigger,
        replicaViews: views, lastError: watch.lastError,
      };
      this.emit('masterDown', event);
      return 'down';
    } finally {
      watch.confirming = false;
    }
  }
}

function sameEndpoint(a: MonitorTarget, b: MonitorTarget): boolean {
  return a.pod === b.pod && a.endpoint.host === b.endpoint.host && a.endpoint.port === b.endpoint.port
    && a.endpoint.password === b.endpoint.password;
}
