/** A tiny TCP proxy playing the master Service: clients connect to it, the failover logic repoints it. */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

export interface TcpProxy {
  host: string;
  port: number;
  setTarget(target: ProxyTarget | undefined): void;
  target(): ProxyTarget | undefined;
  close(): Promise<void>;
}

/** `blackhole`: accept and never answer (an operator whose packets to the master are dropped). */
export async function startTcpProxy(host: string, initial?: ProxyTarget, options: { blackhole?: boolean } = {}): Promise<TcpProxy> {
  let current = initial;
  const sockets = new Set<Socket>();
  const server: Server = createServer((downstream) => {
    sockets.add(downstream);
    downstream.on('close', () => sockets.delete(downstream));
    downstream.on('error', () => downstream.destroy());
    if (options.blackhole) return;
    // Like a Service with no endpoints: refuse at once.
    if (!current) { downstream.destroy(); return; }
    const upstream = connect(current.port, current.host);
    sockets.add(upstream);
    upstream.on('close', () => { sockets.delete(upstream); downstream.destroy(); });
    upstream.on('error', () => upstream.destroy());
    downstream.on('close', () => upstream.destroy());
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, host, () => resolve()); });
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('proxy has no address');
  return {
    host,
    port: address.port,
    setTarget(target) { current = target; },
    target: () => current,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
