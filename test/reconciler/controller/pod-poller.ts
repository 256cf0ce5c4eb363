/**
 * One loop per pod IP with its own connection (short timeouts, no retries), asking something every `intervalMs` until
 * stopped: what the failover tests use to see every pod's role or writability for the whole of a fault. Frozen or dead
 * pods simply do not answer. An engine's error reply (READONLY, NOREPLICAS…) keeps the connection; anything else
 * drops it, and the next round connects again.
 */
import { Redis } from 'ioredis';

const ENGINE_REPLY = /^(READONLY|NOREPLICAS|MASTERDOWN|LOADING)/;

export abstract class PodPoller {
  private stopped = false;
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly password: string, private readonly intervalMs: number, private readonly timeoutMs = 500) {}

  /** One round for one pod. */
  protected abstract poll(name: string, client: Redis): Promise<void>;

  watch(pods: Array<{ name: string; ip?: string }>): void {
    for (const pod of pods) if (pod.ip) this.loops.push(this.loop(pod.name, pod.ip));
  }

  private async loop(name: string, host: string): Promise<void> {
    let client: Redis | undefined;
    while (!this.stopped) {
      try {
        client ??= this.connect(host);
        await this.poll(name, client);
      } catch (error: unknown) {
        if (!ENGINE_REPLY.test(error instanceof Error ? error.message : '')) {
          client?.disconnect();
          client = undefined;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
    client?.disconnect();
  }

  private connect(host: string): Redis {
    const client = new Redis({
      host, port: 6379, password: this.password, maxRetriesPerRequest: 0, retryStrategy: () => null,
      connectTimeout: this.timeoutMs, commandTimeout: this.timeoutMs, enableOfflineQueue: true, lazyConnect: false,
    });
    client.on('error', () => undefined);
    return client;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }
}
