/**
 * The other half of the replication protocol: a one-shot master that serves an RDB (streamed from S3) to an engine
 * told `REPLICAOF <host> <port>`. It answers the replica's handshake (PING, AUTH, REPLCONF: +PONG/+OK), answers
 * PSYNC/SYNC with `+FULLRESYNC <new replication id> 0` and the payload in the length framing (`$<size>\r\n`, which
 * every Redis and Valkey replica accepts), with backpressure, so the operator holds a socket buffer, never the RDB.
 * Plain TCP, or TLS for engines that replicate over TLS. The engine writes the payload to its volume and loads it as a
 * replica: read-only and not ready throughout. After
 * the payload the connection stays open (silent) until `close()`, so the engine does not reconnect and sync again.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import type { Readable } from 'node:stream';

export interface RdbFeed {
  host: string;
  port: number;
  /** Resolves once the whole payload was handed to the replica's socket; rejects if the source or the socket fails. */
  delivered: Promise<void>;
  close(): Promise<void>;
}

export interface RdbFeedOptions {
  /** Address the engine dials; the server listens there. */
  host: string;
  body: Readable;
  sizeBytes: number;
  /**
   * Serve TLS with this certificate: a TLS store's engines replicate with `tls-replication yes` and verify their
   * master against their CA file, so the certificate must come from a CA in it (the operator's, for its own).
   */
  tls?: { certPem: string; keyPem: string };
}

/** Complete RESP arrays (or inline commands) at the start of `buffer`, and the bytes left over. Pure. */
export function parseCommands(buffer: Buffer): { commands: string[][]; rest: Buffer } {
  const commands: string[][] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    if (buffer[offset] !== 0x2a) {
      // An inline command (`PING\r\n`).
      const line = buffer.subarray(offset, lineEnd).toString('utf8').trim();
      if (line) commands.push(line.split(/\s+/));
      offset = lineEnd + 2;
      continue;
    }
    const count = Number(buffer.subarray(offset + 1, lineEnd).toString('utf8'));
    let cursor = lineEnd + 2;
    const parts: string[] = [];
    for (let index = 0; index < count; index++) {
      const headerEnd = buffer.indexOf('\r\n', cursor);
      if (headerEnd < 0) break;
      const length = Number(buffer.subarray(cursor + 1, headerEnd).toString('utf8'));
      if (buffer.length < headerEnd + 2 + length + 2) break;
      parts.push(buffer.subarray(headerEnd + 2, headerEnd + 2 + length).toString('utf8'));
      cursor = headerEnd + 2 + length + 2;
    }
    if (parts.length < count) break;
    commands.push(parts);
    offset = cursor;
  }
  return { commands, rest: buffer.subarray(offset) };
}

async function sendPayload(socket: Socket, body: Readable, sizeBytes: number): Promise<void> {
  socket.write(`+FULLRESYNC ${randomBytes(20).toString('hex')} 0\r\n$${sizeBytes}\r\n`);
  let sent = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    sent += buffer.length;
    if (sent > sizeBytes) throw new Error(`the source sent more than the ${sizeBytes} bytes announced`);
    if (!socket.write(buffer)) {
      await new Promise<void>((resolve, reject) => {
        const onClose = () => reject(new Error('the replica closed the connection during the transfer'));
        socket.once('close', onClose);
        socket.once('drain', () => { socket.off('close', onClose); resolve(); });
      });
    }
  }
  if (sent !== sizeBytes) throw new Error(`the source ended after ${sent} of ${sizeBytes} bytes`);
}

export async function startRdbFeed(options: RdbFeedOptions): Promise<RdbFeed> {
  const sockets = new Set<Socket>();
  let started = false;
  let settle: { resolve: () => void; reject: (error: Error) => void } | undefined;
  const delivered = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
  // Reported through `delivered`; an unobserved rejection must not crash the process if the caller gave up first.
  delivered.catch(() => undefined);
  const onConnection = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffer: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (started) return;
      const parsed = parseCommands(Buffer.concat([buffer, chunk]));
      buffer = parsed.rest;
      for (const command of parsed.commands) {
        const name = (command[0] ?? '').toUpperCase();
        if (name === 'PSYNC' || name === 'SYNC') {
          // One transfer only: a second replica (or a reconnect) is turned away.
          if (started) { socket.end('-ERR this source serves one transfer\r\n'); return; }
          started = true;
          sendPayload(socket, options.body, options.sizeBytes).then(() => settle?.resolve(), (error: unknown) => {
            settle?.reject(new Error('serving the RDB to the engine failed', { cause: error }));
            socket.destroy();
          });
          return;
        }
        socket.write(name === 'PING' ? '+PONG\r\n' : '+OK\r\n');
      }
    });
  };
  const server: Server = options.tls
    ? createTlsServer({ cert: options.tls.certPem, key: options.tls.keyPem }, onConnection).on('tlsClientError', () => undefined)
    : createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: options.host, port, delivered,
    close: async () => {
      options.body.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
