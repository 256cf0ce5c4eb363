/** One scrape of a store pod's exporter sidecar (port 9121) from the host. */

/** The value of `redis_up` on the pod's exporter, or undefined when the scrape fails or lacks it. */
export async function scrapeRedisUp(podIp: string): Promise<string | undefined> {
  try {
    const response = await fetch(`http://${podIp}:9121/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (response.status !== 200) return undefined;
    return /^redis_up (\d+)$/m.exec(await response.text())?.[1];
  } catch {
    // not listening yet: the caller waits
    return undefined;
  }
}
