// The kubelet's read-only log endpoint, the piece of the real kubelet's API that `kubectl logs` ends up at:
// GET /containerLogs/<namespace>/<pod>/<container>?follow=&tailLines=&previous=&limitBytes=. Plain HTTP on 127.0.0.1;
// the port is published in each Node's status.daemonEndpoints.kubeletEndpoint.Port for an API server to proxy
// pods/log to. Errors are worded as the kubelet words them (404 unknown pod or container, 400 no logs yet).
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A container instance's log file, or the kubelet's answer when there is none. */
export type LogLookup = { path: string } | { code: 400 | 404; message: string };

export interface LogSource {
  /** The log file of a container instance (the current one, or the previous with `previous`). */
  logFile(namespace: string, pod: string, container: string | undefined, previous: boolean): LogLookup;
}

function readRange(path: string, start: number, end: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.max(0, end - start));
    readSync(fd, buffer, 0, buffer.length, start);
    return buffer;
  } finally {
    closeSync(fd);
  }
}

function tail(text: Buffer, lines: number): Buffer {
  let count = 0;
  let i = text.length - 1;
  if (i >= 0 && text[i] === 0x0a) i--;
  for (; i >= 0; i--) {
    if (text[i] === 0x0a && ++count === lines) return text.subarray(i + 1);
  }
  return text;
}

/** Writes at most `limitBytes` in all (the kubelet's limitBytes covers the whole answer, follow included). */
class LimitedWriter {
  constructor(private readonly res: ServerResponse, private remaining: number) {}
  get done(): boolean { return this.remaining <= 0; }
  write(chunk: Buffer): void {
    if (this.done) return;
    const part = chunk.subarray(0, this.remaining);
    this.remaining -= part.length;
    this.res.write(part);
  }
}

function follow(res: ServerResponse, out: LimitedWriter, path: string, from: number): void {
  let offset = from;
  const timer = setInterval(() => {
    try {
      const size = statSync(path).size;
      if (size > offset) {
        out.write(readRange(path, offset, size));
        offset = size;
      }
      if (out.done) throw new Error('limitBytes reached');
    } catch {
      clearInterval(timer);
      res.end();
    }
  }, 250);
  res.on('close', () => clearInterval(timer));
}

export async function startLogServer(source: LogSource): Promise<{ port: number; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (req.method !== 'GET' || !m) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    const [, namespace, pod, container] = m.map((part) => (part === undefined ? undefined : decodeURIComponent(part)));
    const found = source.logFile(namespace!, pod!, container, url.searchParams.get('previous') === 'true');
    if (!('path' in found)) {
      res.writeHead(found.code, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${found.message}\n`);
      return;
    }
    const { path } = found;
    let size = 0;
    try { size = statSync(path).size; } catch { /* not written yet */ }
    let body = size > 0 ? readRange(path, 0, size) : Buffer.alloc(0);
    const tailLines = Number(url.searchParams.get('tailLines'));
    if (Number.isInteger(tailLines) && tailLines >= 0 && url.searchParams.has('tailLines')) body = tail(body, tailLines);
    const limitBytes = Number(url.searchParams.get('limitBytes'));
    const out = new LimitedWriter(res, Number.isInteger(limitBytes) && limitBytes > 0 ? limitBytes : Number.POSITIVE_INFINITY);
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    out.write(body);
    if (url.searchParams.get('follow') === 'true' && !out.done) follow(res, out, path, size);
    else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
