/**
 * A client as users run one against a store with `minReplicasToWrite: 1`: SET through the master Service, then
 * `WAIT 1 500`. A write counts as acknowledged only when WAIT says a replica has it; those are the writes the operator
 * promises never to lose. Errors (a dead or frozen master, a closed connection) are retried on a new connection.
 */
import { Redis } from 'ioredis';
import { PodPoller } from './pod-poller.js';

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
export class WritableMasterWatcher extends PodPoller {
  readonly overlaps: string[] = [];
  private readonly lastAcknowledged = new Map<string, number>();

  constructor(password: string, intervalMs = 25, private readonly windowMs = 20) {
    super(password, intervalMs, 300);
  }

  protected async poll(name: string, client: Redis): Promise<void> {
    await client.set(`chaos-probe:${name}`, String(Date.now()));
    // Taking a write is not enough: a master thawed after a failover may take one before it notices its replicas
    // left, but no replica acknowledges it. Two masters acknowledging writes at once is the split brain that loses them.
    if (Number(await client.call('WAIT', '1', '100')) < 1) return;
    const now = Date.now();
    this.lastAcknowledged.set(name, now);
    for (const [other, at] of this.lastAcknowledged) {
      if (other !== name && now - at <= this.windowMs) this.overlaps.push(`${name} and ${other} both had writes acknowledged within ${now - at} ms`);
    }
  }
}
