/**
 * A TCP proxy in front of a real engine that counts the commands clients send (by name) and can hold them: while
 * the gate is closed, bytes from clients wait in the proxy, so a test can freeze an engine step half-way (its
 * command sent, no answer yet) and change the world before the engine sees it.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface CommandGateProxy {
  /** Command names the engine received, in order, upper case. */
  readonly commands: string[];
  /** Commands clients sent that are held at the gate. */
  readonly held: number;
  close(): void;
  open(): void;
  shutdown(): Promise<void>;
}

/** Names of the RESP commands in a chunk of client bytes (arrays of bulk strings, as ioredis writes them). */
export function commandNames(chunk: Buffer): string[] {
  return [...chunk.toString('latin1').matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)].map((match) => match[1]!.toUpperCase());
}

export async function startCommandGateProxy(listen: { host: string; port: number }, target: { host: string; port: number }): Promise<CommandGateProxy> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  let gateOpen = true;
  const waiting: Array<{ upstream: Socket; chunk: Buffer }> = [];
  const forward = (upstream: Socket, chunk: Buffer) => {
    commands.push(...commandNames(chunk));
    upstream.write(chunk);
  };
  const server: Server = createServer((downstream) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [downstream, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => socket.destroy());
    }
    upstream.on('close', () => downstream.destroy());
    downstream.on('close', () => upstream.destroy());
    downstream.on('data', (chunk: Buffer) => {
      if (gateOpen) forward(upstream, chunk);
      else waiting.push({ upstream, chunk });
    });
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    commands,
    get held() {
      return waiting.reduce((count, entry) => count + commandNames(entry.chunk).length, 0);
    },
    close() {
      gateOpen = false;
    },
    open() {
      gateOpen = true;
      for (const entry of waiting.splice(0)) forward(entry.upstream, entry.chunk);
    },
    async shutdown() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
