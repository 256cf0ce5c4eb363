/**
 * A client that keeps writing incrementing keys through the master Service (a proxy here), retrying each write for
 * up to `retryForMs` on a fresh connection, as an application with a short retry budget would.
 */
import { Redis } from 'ioredis';
import { errorMessage } from '../shared/error-message.js';

export interface WriterOptions {
  host: string;
  port: number;
  password?: string;
  prefix: string;
  /** Give up on a key after retrying this long (it then counts as failed, not acknowledged). */
  retryForMs: number;
  /** WAIT for this many replicas after each SET (0: plain SET). Only writes WAIT confirmed are acknowledged. */
  waitReplicas?: number;
  waitTimeoutMs?: number;
}

export interface WriterReport {
  acknowledged: string[];
  failedKeys: string[];
  /** Every failed attempt, with its time, to compute unavailability windows. */
  errors: { atMs: number; message: string; /** How many writes were acknowledged before this failure. */ ackedBefore: number }[];
  /** Completion time of every acknowledged write. */
  ackTimesMs: number[];
}

export class Writer {
  private stopped = false;
  private client?: Redis;
  private readonly done: Promise<void>;
  readonly report: WriterReport = { acknowledged: [], failedKeys: [], errors: [], ackTimesMs: [] };

  constructor(private readonly options: WriterOptions) {
    this.done = this.run();
  }

  private connection(): Redis {
    if (!this.client) {
      this.client = new Redis({
        host: this.options.host, port: this.options.port, password: this.options.password, lazyConnect: false,
        retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: true, connectTimeout: 300, commandTimeout: 500,
      });
      this.client.on('error', () => undefined);
    }
    return this.client;
  }

  private drop(): void {
    this.client?.disconnect();
    this.client = undefined;
  }

  private async writeOnce(key: string, value: string): Promise<void> {
    const client = this.connection();
    const reply = await client.set(key, value);
    if (reply !== 'OK') throw new Error(`SET answered ${String(reply)}`);
    const replicas = this.options.waitReplicas ?? 0;
    if (replicas > 0) {
      const acked = Number(await client.call('WAIT', String(replicas), String(this.options.waitTimeoutMs ?? 300)));
      if (acked < replicas) throw new Error(`WAIT: ${acked} of ${replicas} replicas`);
    }
  }

  private async run(): Promise<void> {
    for (let i = 0; !this.stopped; i += 1) {
      const key = `${this.options.prefix}:${i}`;
      const firstTry = Date.now();
      for (;;) {
        try {
          await this.writeOnce(key, String(i));
          this.report.acknowledged.push(key);
          this.report.ackTimesMs.push(Date.now());
          break;
        } catch (error) {
          this.report.errors.push({ atMs: Date.now(), message: errorMessage(error), ackedBefore: this.report.acknowledged.length });
          this.drop();
          if (Date.now() - firstTry >= this.options.retryForMs || this.stopped) {
            this.report.failedKeys.push(key);
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    }
  }

  async stop(): Promise<WriterReport> {
    this.stopped = true;
    await this.done;
    this.drop();
    return this.report;
  }
}
