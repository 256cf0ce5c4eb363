/**
 * Server-sent events: the page opens one EventSource per view and the server pushes what the watches report, so
 * nothing polls. A comment line every 20 s keeps proxies from closing an idle stream.
 */
import type { ServerResponse } from 'node:http';

const KEEPALIVE_MS = 20_000;

export interface EventStream {
  send(event: string, data: unknown): void;
  /** runs once when the browser goes away (or the server stops the stream) */
  onClose(handler: () => void): void;
  close(): void;
}

export function openEventStream(response: ServerResponse): EventStream {
  response.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  response.flushHeaders();
  const handlers: Array<() => void> = [];
  let closed = false;
  const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    for (const handler of handlers) handler();
  };
  response.on('close', finish);
  return {
    send(event, data) {
      if (!closed) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(handler) {
      handlers.push(handler);
    },
    close() {
      finish();
      response.end();
    },
  };
}
