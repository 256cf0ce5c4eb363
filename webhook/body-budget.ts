/**
 * How many request-body bytes the webhook holds at once. Bodies are read whole before they are parsed, and reading
 * runs concurrently while parsing and judging run one at a time: 32 concurrent ~6 MiB UPDATE reviews buffered
 * ~190 MiB (plus copies) and pushed the process past its Deployment's 256Mi limit (issue 12). A request waits,
 * unread (TCP back-pressure holds the client), until its bytes fit; small requests pass large waiting ones when
 * they fit (first fit), so a burst of large reviews does not stall the usual 3 KB ones.
 */

interface Waiter {
  bytes: number;
  grant: () => void;
}

export class BodyBudget {
  private used = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly capacityBytes: number) {}

  /** Bytes currently reserved. */
  get reservedBytes(): number {
    return this.used;
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  /**
   * Calls `grant` once `bytes` fit (at once when they do now). A request larger than the whole budget is granted
   * when nothing else is reserved, so it can still be answered. Returns a cancel function for a request that goes
   * away while waiting; after the grant it does nothing.
   */
  reserve(bytes: number, grant: () => void): () => void {
    const waiter: Waiter = { bytes, grant };
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.used += bytes;
      grant();
      return () => undefined;
    }
    this.waiting.push(waiter);
    return () => {
      const index = this.waiting.indexOf(waiter);
      if (index !== -1) this.waiting.splice(index, 1);
    };
  }

  /** Gives back what `reserve` granted, and grants whoever now fits. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    for (let index = 0; index < this.waiting.length;) {
      const waiter = this.waiting[index]!;
      if (!this.fits(waiter.bytes)) {
        index += 1;
        continue;
      }
      this.waiting.splice(index, 1);
      this.used += waiter.bytes;
      waiter.grant();
    }
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.capacityBytes;
  }
}
