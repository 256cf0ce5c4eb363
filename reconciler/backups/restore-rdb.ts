/**
 * Loads an RDB from S3 into one engine that holds no data and takes no writes (a new store's first pod, booted
 * fenced): the engine is pointed at a one-shot feed (rdb-feed-server.ts) that streams the object to it over the
 * replication protocol, loads it as a replica (read-only, not ready), and is then made master with REPLICAOF NO ONE.
 * The store's other pods then sync from it as from any master, so every replica ends with the same data. Nothing is
 * written by the operator to a volume and the object never sits in its memory.
 */
import { parseInfo } from '../replication/info.js';
import { closeEngineConnection, openEngineConnection, type EngineEndpoint } from '../replication/engine-connection.js';
import { sleepUnlessAborted } from '../../shared/abortable-sleep.js';
import type { S3Client } from './s3/s3-client.js';
import { startRdbFeed } from './rdb-feed-server.js';

export interface RestoreRdbInput {
  endpoint: EngineEndpoint;
  client: S3Client;
  bucket: string;
  key: string;
  /** The operator's address as the engine can dial it. */
  feedHost: string;
  /** The feed's TLS certificate, for an engine that replicates over TLS (see RdbFeedOptions.tls). */
  feedTls?: { certPem: string; keyPem: string };
  signal?: AbortSignal;
  /** Bound on the transfer and the load. Default 30 minutes. */
  timeoutMs?: number;
  pollIntervalMs?: number;
}

export interface RestoreRdbResult {
  sizeBytes: number;
  keys: number;
  durationMs: number;
}

/** Loaded: the link to the feed is up (the payload was read), no sync and no load in progress. Pure. */
export function loadFinished(info: Record<string, string>): boolean {
  return info.master_link_status === 'up' && info.master_sync_in_progress === '0' && info.loading === '0';
}

export async function restoreRdb(input: RestoreRdbInput): Promise<RestoreRdbResult> {
  const startedAt = performance.now();
  const timeoutMs = input.timeoutMs ?? 30 * 60_000;
  const deadline = Date.now() + timeoutMs;
  const object = await input.client.getObject(input.bucket, input.key);
  if (object.sizeBytes === undefined) {
    object.body.destroy();
    throw new Error(`s3://${input.bucket}/${input.key}: the server sent no Content-Length`);
  }
  const feed = await startRdbFeed({ host: input.feedHost, body: object.body, sizeBytes: object.sizeBytes, tls: input.feedTls });
  const engine = await openEngineConnection(input.endpoint, { purpose: 'restore', commandTimeoutMs: 10_000 }).catch(async (error: unknown) => {
    await feed.close();
    throw new Error(`cannot reach ${input.endpoint.host}:${input.endpoint.port} to restore into it`, { cause: error });
  });
  try {
    await engine.call('REPLICAOF', feed.host, String(feed.port));
    // Settles only when the transfer fails: a delivered payload still has to be loaded, which INFO tells.
    const failure = feed.delivered.then(() => new Promise<never>(() => undefined), (error: unknown) => error);
    // Bounded by the deadline: the transfer and the load of a large RDB take minutes, a stuck one ends here.
    for (;;) {
      input.signal?.throwIfAborted();
      const failed = await Promise.race([failure, sleepUnlessAborted(input.pollIntervalMs ?? 200, input.signal).then(() => undefined)]);
      if (failed) throw failed;
      input.signal?.throwIfAborted();
      const info = parseInfo(`${String(await engine.call('INFO', 'replication'))}\r\n${String(await engine.call('INFO', 'persistence'))}`);
      if (loadFinished(info)) break;
      if (Date.now() > deadline) throw new Error(`the restore did not finish within ${timeoutMs} ms`);
    }
    await engine.call('REPLICAOF', 'NO', 'ONE');
    const keys = Number(await engine.call('DBSIZE'));
    return { sizeBytes: object.sizeBytes, keys, durationMs: Math.round(performance.now() - startedAt) };
  } finally {
    closeEngineConnection(engine);
    await feed.close();
  }
}
