/**
 * An RDB of a live engine, streamed over the replication protocol as `redis-cli --rdb` does: AUTH, `REPLCONF capa eof`
 * (a diskless engine then streams the snapshot without writing it to the pod's volume first), `REPLCONF rdb-only 1`
 * (the snapshot and no command stream after it; older engines answer an error, which is ignored), SYNC,
 * then the payload in either framing: `$<length>` (disk-based) or `$EOF:<40-byte mark>` (diskless, ended by the
 * mark). Nothing is written in the pod, no sidecar is needed, and the bytes flow to the caller with backpressure
 * (the socket is paused while the consumer is behind), so memory stays flat whatever the dataset's size.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { PassThrough, type Readable } from 'node:stream';
import type { EngineEndpoint } from '../replication/engine-connection.js';

export interface RdbStreamOptions {
  /** No byte for this long (the engine sends newlines while it prepares the snapshot) fails the stream. */
  idleTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface RdbStream {
  /** The RDB bytes; errors if the connection fails before the payload ends. */
  body: Readable;
  /** Known up front in the disk-based framing only. */
  sizeBytes: number | undefined;
}

const EOF_MARK_LENGTH = 40;

function encodeCommand(...parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`;
}

function openSocket(endpoint: EngineEndpoint): Socket {
  if (!endpoint.tls) return connectTcp({ host: endpoint.host, port: endpoint.port });
  return connectTls({
    host: endpoint.host, port: endpoint.port, ca: endpoint.tls.ca, cert: endpoint.tls.cert, key: endpoint.tls.key,
    servername: endpoint.tls.servername ?? endpoint.host,
  });
}

type Framing = { kind: 'length'; remaining: number } | { kind: 'eof'; mark: Buffer; tail: Buffer };

/** Reads `\r\n`-ended reply lines until the payload header; what follows the header is the payload's start. */
class PreambleReader {
  private buffer = Buffer.alloc(0);
  private repliesSeen = 0;
  /** `sendSync` is called once the replies are in: the engine refuses SYNC while it still has output for the client. */
  constructor(private readonly expectedReplies: number, private readonly authFirst: boolean, private readonly sendSync: () => void) {}

  /** undefined while more bytes are needed; the framing and the payload bytes already received otherwise. */
  feed(chunk: Buffer): { framing: Framing; rest: Buffer } | undefined {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      // The engine sends bare newlines as keepalives while it forks and saves.
      while (this.buffer[0] === 0x0a) this.buffer = this.buffer.subarray(1);
      const end = this.buffer.indexOf('\r\n');
      if (end < 0) return undefined;
      const line = this.buffer.subarray(0, end).toString('utf8');
      this.buffer = this.buffer.subarray(end + 2);
      if (this.repliesSeen < this.expectedReplies) {
        this.repliesSeen++;
        if (this.authFirst && this.repliesSeen === 1 && line.startsWith('-')) throw new Error(`AUTH refused: ${line.slice(1)}`);
        if (this.repliesSeen === this.expectedReplies) this.sendSync();
        continue;
      }
      if (line.startsWith('-')) throw new Error(`SYNC refused: ${line.slice(1)}`);
      if (line.startsWith('$EOF:')) {
        const mark = Buffer.from(line.slice(5), 'utf8');
        if (mark.length !== EOF_MARK_LENGTH) throw new Error(`SYNC: bad EOF mark in ${JSON.stringify(line)}`);
        return { framing: { kind: 'eof', mark, tail: Buffer.alloc(0) }, rest: this.buffer };
      }
      if (line.startsWith('$')) {
        const length = Number(line.slice(1));
        if (!Number.isSafeInteger(length) || length < 0) throw new Error(`SYNC: bad length in ${JSON.stringify(line)}`);
        return { framing: { kind: 'length', remaining: length }, rest: this.buffer };
      }
      // A `+FULLRESYNC …` or other status line may precede the payload on some engines.
      if (line.startsWith('+')) continue;
      throw new Error(`SYNC: unexpected reply ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
}

/** Forwards payload bytes; true once the payload is complete. */
function forwardPayload(framing: Framing, chunk: Buffer, body: PassThrough): boolean {
  if (framing.kind === 'length') {
    const take = chunk.subarray(0, framing.remaining);
    framing.remaining -= take.length;
    if (take.length > 0) body.write(take);
    return framing.remaining === 0;
  }
  // Hold back the last 40 bytes: they may be the end mark.
  const joined = Buffer.concat([framing.tail, chunk]);
  if (joined.length >= EOF_MARK_LENGTH && joined.subarray(joined.length - EOF_MARK_LENGTH).equals(framing.mark)) {
    body.write(joined.subarray(0, joined.length - EOF_MARK_LENGTH));
    return true;
  }
  const keep = Math.min(EOF_MARK_LENGTH, joined.length);
  if (joined.length > keep) body.write(joined.subarray(0, joined.length - keep));
  framing.tail = Buffer.from(joined.subarray(joined.length - keep));
  return false;
}

export function openRdbStream(endpoint: EngineEndpoint, options: RdbStreamOptions = {}): Promise<RdbStream> {
  const socket = openSocket(endpoint);
  const body = new PassThrough({ highWaterMark: 1024 * 1024 });
  const reader = new PreambleReader(endpoint.password ? 3 : 2, !!endpoint.password, () => socket.write(encodeCommand('SYNC')));
  socket.setTimeout(options.connectTimeoutMs ?? 5000);
  return new Promise((resolve, reject) => {
    let framing: Framing | undefined;
    let done = false;
    const fail = (error: Error): void => {
      if (done) return;
      done = true;
      socket.destroy();
      if (framing) body.destroy(error);
      else reject(error);
    };
    socket.on('timeout', () => fail(new Error(`no data from ${endpoint.host}:${endpoint.port} within ${framing ? options.idleTimeoutMs ?? 60_000 : options.connectTimeoutMs ?? 5000} ms`)));
    socket.on('error', (error) => fail(new Error(`RDB stream from ${endpoint.host}:${endpoint.port}: ${error.message}`, { cause: error })));
    socket.on('close', () => fail(new Error(`${endpoint.host}:${endpoint.port} closed the connection before the RDB ended`)));
    // The consumer cancelled (e.g. the upload failed): stop reading from the engine.
    body.on('close', () => { if (!done) { done = true; socket.destroy(); } });
    body.on('drain', () => socket.resume());
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(options.idleTimeoutMs ?? 60_000);
      const auth = endpoint.password ? (endpoint.username ? encodeCommand('AUTH', endpoint.username, endpoint.password) : encodeCommand('AUTH', endpoint.password)) : '';
      socket.write(`${auth}${encodeCommand('REPLCONF', 'capa', 'eof')}${encodeCommand('REPLCONF', 'rdb-only', '1')}`);
    });
    socket.on('data', (chunk: Buffer) => {
      if (done) return;
      let payload = chunk;
      if (!framing) {
        try {
          const header = reader.feed(chunk);
          if (!header) return;
          framing = header.framing;
          payload = header.rest;
          resolve({ body, sizeBytes: framing.kind === 'length' ? framing.remaining : undefined });
        } catch (error) {
          fail(error as Error);
          return;
        }
      }
      if (forwardPayload(framing, payload, body)) {
        done = true;
        socket.destroy();
        body.end();
        return;
      }
      if (body.writableNeedDrain) socket.pause();
    });
  });
}
