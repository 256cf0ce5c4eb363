// A keyed work queue: one sync per key at a time, repeated adds coalesce, failures retry with back-off.
import type { Logger } from 'pino';

export class WorkQueue {
  private readonly pending = new Set<string>();
  private readonly running = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly name: string,
    private readonly sync: (key: string) => Promise<void>,
    private readonly logger: Logger,
  ) {}

  add(key: string): void {
    if (this.stopped) return;
    if (this.running.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.pending.has(key)) return;
    this.pending.add(key);
    queueMicrotask(() => void this.process(key));
  }

  addAfter(key: string, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async process(key: string): Promise<void> {
    this.pending.delete(key);
    if (this.stopped) return;
    this.running.add(key);
    try {
      await this.sync(key);
      this.failures.delete(key);
    } catch (error: unknown) {
      const count = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, count);
      this.logger.debug({ err: error, queue: this.name, key, attempt: count }, 'sync failed, retrying');
      this.addAfter(key, Math.min(5000, 50 * 2 ** Math.min(count, 7)));
    } finally {
      this.running.delete(key);
      if (this.dirty.delete(key)) this.add(key);
    }
  }
}
