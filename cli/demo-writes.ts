/**
 * The demo's client: writes numbered keys through the master Service as fast as one connection allows (paced), and
 * counts a write as acknowledged only when the engine answered OK and, with replicas, `WAIT 1` confirmed a replica has
 * it, which is the guarantee the failover keeps (README, "Failover"). Every acknowledged key can be read back later.
 */
import { Redis } from 'ioredis';
import { errorMessage } from '../shared/error-message.js';

export interface DemoWritesOptions {
  host: string;
  port: number;
  password?: string;
  /** Key prefix; a fresh one per run, so keys of an earlier run never count. */
  prefix: string;
  /** 0: acknowledged on OK (a store without replicas, or Dragonfly, which has no WAIT). */
  waitReplicas: number;
  /** Pause between writes (ms). */
  paceMs?: number;
  /** Called on the first failed write after a success, and on the first acknowledged write after a failure. */
  onChange?: (change: WriteChange) => void;
}

/** `lastAckAtMs` on a failure: when the last write before it was acknowledged (the start of the outage). */
export type WriteChange = { kind: 'failing'; atMs: number; message: string; lastAckAtMs?: number } | { kind: 'recovered'; atMs: number };

export interface WriteCounters {
  acknowledged: number;
  failed: number;
  /** Round trip of the last PING (ms), measured once a second. */
  pingMs?: number;
  /** Completion time (performance.now()) of the last acknowledged write. */
  lastAckAtMs?: number;
  failing: boolean;
}

const WAIT_TIMEOUT_MS = 500;
const RETRY_PAUSE_MS = 50;
const PING_EVERY_MS = 1000;
const READ_BATCH = 500;

function connect(options: DemoWritesOptions): Redis {
  const client = new Redis({
    host: options.host, port: options.port, password: options.password, lazyConnect: false,
    // One attempt per connection: the loop reconnects itself, so a dead master costs one short timeout, not retries.
    retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: true, connectTimeout: 500, commandTimeout: 1000,
  });
  client.on('error', () => undefined);
  return client;
}

export class DemoWrites {
  private client?: Redis;
  private stopped = false;
  private sequence = 0;
  private lastPingAtMs = 0;
  private readonly keys: string[] = [];
  readonly counters: WriteCounters = { acknowledged: 0, failed: 0, failing: false };
  private readonly running: Promise<void>;

  constructor(private readonly options: DemoWritesOptions) {
    this.running = this.loop();
  }

  private connection(): Redis {
    this.client ??= connect(this.options);
    return this.client;
  }

  private drop(): void {
    this.client?.disconnect();
    this.client = undefined;
  }

  private async writeOnce(key: string): Promise<void> {
    const client = this.connection();
    if (performance.now() - this.lastPingAtMs >= PING_EVERY_MS) {
      const pingStarted = performance.now();
      await client.ping();
      this.counters.pingMs = performance.now() - pingStarted;
      this.lastPingAtMs = performance.now();
    }
    const reply = await client.set(key, key);
    if (reply !== 'OK') throw new Error(`SET answered ${String(reply)}`);
    if (this.options.waitReplicas > 0) {
      const replicas = await client.wait(this.options.waitReplicas, WAIT_TIMEOUT_MS);
      if (replicas < this.options.waitReplicas) throw new Error(`WAIT: ${replicas} of ${this.options.waitReplicas} replicas acknowledged within ${WAIT_TIMEOUT_MS} ms`);
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const key = `${this.options.prefix}:${this.sequence}`;
      try {
        await this.writeOnce(key);
        this.keys.push(key);
        this.sequence += 1;
        this.counters.acknowledged += 1;
        this.counters.lastAckAtMs = performance.now();
        if (this.counters.failing) {
          this.counters.failing = false;
          this.options.onChange?.({ kind: 'recovered', atMs: performance.now() });
        }
        await new Promise((resolve) => setTimeout(resolve, this.options.paceMs ?? 10));
      } catch (error: unknown) {
        // The key is written again under the next number: a failed write may or may not have landed, so it never
        // counts, and its number is not reused.
        this.sequence += 1;
        this.counters.failed += 1;
        this.drop();
        if (!this.counters.failing) {
          this.counters.failing = true;
          this.options.onChange?.({ kind: 'failing', atMs: performance.now(), message: errorMessage(error), ...(this.counters.lastAckAtMs === undefined ? {} : { lastAckAtMs: this.counters.lastAckAtMs }) });
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  }

  /** Reads every acknowledged key back through the master Service; returns the ones missing or wrong. */
  async readBack(): Promise<{ checked: number; lost: string[] }> {
    const reader = connect(this.options);
    try {
      const keys = [...this.keys];
      const lost: string[] = [];
      for (let start = 0; start < keys.length; start += READ_BATCH) {
        const batch = keys.slice(start, start + READ_BATCH);
        const values = await reader.mget(...batch);
        batch.forEach((key, index) => { if (values[index] !== key) lost.push(key); });
      }
      return { checked: keys.length, lost };
    } catch (error: unknown) {
      throw new Error(`reading the acknowledged keys back from ${this.options.host}:${this.options.port} failed`, { cause: error });
    } finally {
      reader.disconnect();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    this.drop();
  }
}
