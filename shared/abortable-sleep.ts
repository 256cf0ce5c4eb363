/**
 * Waits `ms`, or less when `signal` fires (at once if it already has): a pause that a stop or a lost lease cuts short
 * rather than fails, so the caller's loop checks its signal next instead of handling an AbortError.
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
