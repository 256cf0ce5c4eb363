/**
 * A client as users run one against a store with `minReplicasToWrite: 1`: SET through the master Service, then
 * `WAIT 1 500`. A write counts as acknowledged only when WAIT says a replica has it; those are the writes the operator
 * promises never to lose. Errors (a dead or frozen master, a closed connection) are retried on a new connection.
 */
import { Redis } from 'ioredis';

export interface AckedWrite {
  key: string;
  value: string;
  at: number;
}

export class AckedWriter {
  readonly acknowledged: AckedWrite[] = [];
  /** Writes that failed or were not acknowledged: the client was told so, nothing is promised for them. */
  unacknowledged = 0;
  /** The longest time between two acknowledged writes: how long clients had no usable master. */
  longestGapMs = 0;
  private stopped = false;
  private loop?: Promise<void>;
  private counter = 0;

  constructor(private readonly host: string, private readonly password: string, private readonly prefix: string) {}

  start(): void {
    this.loop = this.run();
  }

  private connect(): Redis {
    const client = new Redis({
      host: this.host, port: 6379, password: this.password, lazyConnect: false, maxRetriesPerRequest: 0,
      retryStrategy: () => null, connectTimeout: 1000, commandTimeout: 1500, enableOfflineQueue: true,
    });
    client.on('error', () => undefined);
    return client;
  }

  private async run(): Promise<void> {
    let client: Redis | undefined;
    let lastAck = Date.now();
    while (!this.stopped) {
      const key = `${this.prefix}:${this.counter++}`;
      const value = `v${this.counter}-${Date.now()}`;
      try {
        client ??= this.connect();
        await client.set(key, value);
        const replicas = Number(await client.call('WAIT', '1', '500'));
        if (replicas >= 1) {
          const now = Date.now();
          this.longestGapMs = Math.max(this.longestGapMs, now - lastAck);
          lastAck = now;
          this.acknowledged.push({ key, value, at: now });
        } else {
          this.unacknowledged++;
        }
      } catch {
        this.unacknowledged++;
        client?.disconnect();
        client = undefined;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    client?.disconnect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/**
 * Two writable masters at once is the split brain that loses writes. Every pod is asked to take a probe write every
 * `intervalMs` and have a replica acknowledge it; two pods doing so within `windowMs` of each other is recorded.
 */
export class WritableMasterWatcher {
  readonly overlaps: string[] = [];
  private readonly lastAccepted = new Map<string, number>();
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly password: string, private readonly intervalMs = 25, private readonly windowMs = 20) {}

  watch(pods: Array<{ name: string; ip?: string }>): void {
    for (const pod of pods) if (pod.ip) this.loops.push(this.loop(pod.name, pod.ip));
  }

  private async loop(name: string, host: string): Promise<void> {
    let client: Redis | undefined;
    while (!this.stopped) {
      try {
        if (!client) {
          client = new Redis({ host, port: 6379, password: this.password, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 300, commandTimeout: 300, enableOfflineQueue: true });
          client.on('error', () => undefined);
        }
        await client.set(`chaos-probe:${name}`, String(Date.now()));
        // Taking a write is not enough: a master thawed after a failover may take one before it notices its replicas
        // left, but no replica acknowledges it. Two masters acknowledging writes at once is the split brain that loses them.
        if (Number(await client.call('WAIT', '1', '100')) >= 1) {
          const now = Date.now();
          this.lastAccepted.set(name, now);
          for (const [other, at] of this.lastAccepted) {
            if (other !== name && now - at <= this.windowMs) this.overlaps.push(`${name} and ${other} both had writes acknowledged within ${now - at} ms`);
          }
        }
      } catch (error: unknown) {
        // READONLY (a replica) or NOREPLICAS (a master without a live replica) is the answer; anything else, reconnect.
        if (!/^(READONLY|NOREPLICAS|MASTERDOWN|LOADING)/.test(error instanceof Error ? error.message : '')) {
          client?.disconnect();
          client = undefined;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
    client?.disconnect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}
