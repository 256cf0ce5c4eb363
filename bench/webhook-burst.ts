/**
 * A burst of large UPDATE reviews against a running webhook, with the server's resident memory sampled from
 * /proc while it lasts: what issue 12 measured (16–32 concurrent ~6 MiB reviews pushed the webhook past its
 * Deployment's 256Mi limit). Shared by `npm run bench:webhook-burst` and test/webhook/burst-memory.test.ts.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { errorMessage } from '../shared/error-message.js';

/** An UPDATE AdmissionReview of about `mebibytes` MiB: object and oldObject carry half each, as many config keys. */
export function largeUpdateReview(uid: string, mebibytes: number): string {
  const valueLength = 200;
  const keysPerObject = Math.round((mebibytes * 1024 * 1024) / 2 / (valueLength + 20));
  const config: Record<string, string> = {};
  for (let index = 0; index < keysPerObject; index += 1) config[`key-${index}`] = `${index}`.padEnd(valueLength, 'v');
  const store = (generation: number) => ({
    apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore',
    metadata: { name: 'big', namespace: 'prod', uid: 'u-1', generation, resourceVersion: String(generation) },
    spec: { replicas: 3, config },
  });
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid, kind: { group: 'redwing.dev', version: 'v1alpha1', kind: 'KVStore' },
      resource: { group: 'redwing.dev', version: 'v1alpha1', resource: 'kvstores' },
      name: 'big', namespace: 'prod', operation: 'UPDATE', userInfo: { username: 'alice', groups: ['system:authenticated'] },
      object: store(2), oldObject: store(1), dryRun: false,
    },
  });
}

/** Resident set size of a process, in bytes (VmRSS), or 0 once it is gone. */
export function residentBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface BurstResult {
  /** RSS before the burst, the highest sampled during it, and after it. */
  rssBeforeBytes: number;
  rssPeakBytes: number;
  rssAfterBytes: number;
  /** HTTP status (or the error) of each request. */
  outcomes: Array<number | string>;
  durationMs: number;
}

function post(port: number, ca: string, path: string, body: string): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method: 'POST', ca, servername: 'localhost', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolvePost(res.statusCode ?? 0));
    });
    req.setTimeout(60_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `concurrency` copies of `body` at once to `path` and samples the server's RSS every 10 ms meanwhile. */
export async function runBurst(options: { pid: number; port: number; ca: string; path: string; body: string; concurrency: number }): Promise<BurstResult> {
  const rssBeforeBytes = residentBytes(options.pid);
  let rssPeakBytes = rssBeforeBytes;
  const sampler = setInterval(() => { rssPeakBytes = Math.max(rssPeakBytes, residentBytes(options.pid)); }, 10);
  const started = performance.now();
  const outcomes = await Promise.all(Array.from({ length: options.concurrency }, () =>
    post(options.port, options.ca, options.path, options.body).catch((error: unknown) => errorMessage(error))));
  const durationMs = performance.now() - started;
  clearInterval(sampler);
  rssPeakBytes = Math.max(rssPeakBytes, residentBytes(options.pid));
  return { rssBeforeBytes, rssPeakBytes, rssAfterBytes: residentBytes(options.pid), outcomes, durationMs };
}
