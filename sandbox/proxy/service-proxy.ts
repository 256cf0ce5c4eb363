// The sandbox's kube-proxy: each ClusterIP Service port is a TCP listener on the Service's loopback clusterIP that
// forwards every new connection to a ready endpoint from the Service's EndpointSlices (round-robin). When an address
// leaves the slices, its proxied connections are closed, as kube-proxy's conntrack cleanup does for a deleted pod.
// With no ready endpoint a connection is reset, as kube-proxy's REJECT rule does.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { KubeConfig, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { Informer, keyOf } from '../controllers/client/informer.js';
import { makeRestClient } from '../controllers/client/rest.js';
import type { EndpointSlice } from '../controllers/endpoints-controller.js';
import { SERVICE_NAME_LABEL } from '../controllers/endpoints-controller.js';

interface Backend { address: string; port: number }

interface ServiceState {
  listeners: Map<string, { server: Server; portName: string }>;
  /** Ready backends per service port name. */
  backends: Map<string, Backend[]>;
  /** Every address present in the slices (any condition). */
  known: Set<string>;
  cursor: number;
  connections: Map<string, Set<Socket>>;
}

export interface ServiceProxyOptions {
  kc: KubeConfig;
  logger: Logger;
}

export class ServiceProxy {
  private readonly services: Informer<V1Service>;
  private readonly slices: Informer<EndpointSlice>;
  private readonly state = new Map<string, ServiceState>();
  private readonly logger: Logger;

  constructor(options: ServiceProxyOptions) {
    const rest = makeRestClient(options.kc);
    this.logger = options.logger;
    this.services = new Informer<V1Service>(options.kc, rest, '/api/v1/services', options.logger);
    this.slices = new Informer<EndpointSlice>(options.kc, rest, '/apis/discovery.k8s.io/v1/endpointslices', options.logger);
    const onService = (svc: V1Service) => this.sync(keyOf(svc));
    this.services.on('add', onService).on('update', onService).on('delete', onService);
    const onSlice = (slice: EndpointSlice) => {
      const name = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
      if (name) this.sync(`${slice.metadata?.namespace}/${name}`);
    };
    this.slices.on('add', onSlice).on('update', onSlice).on('delete', onSlice);
  }

  async start(): Promise<void> {
    await this.slices.start();
    await this.services.start();
  }

  async stop(): Promise<void> {
    this.services.stop();
    this.slices.stop();
    await Promise.all([...this.state.keys()].map((key) => this.teardown(key)));
  }

  /** Where a new connection to a Service port would go now (for tests and diagnostics). */
  backendsOf(namespace: string, name: string, portName = ''): Backend[] {
    return this.state.get(`${namespace}/${name}`)?.backends.get(portName) ?? [];
  }

  private async teardown(key: string): Promise<void> {
    const st = this.state.get(key);
    if (!st) return;
    this.state.delete(key);
    for (const { server } of st.listeners.values()) await new Promise<void>((r) => server.close(() => r()));
    for (const set of st.connections.values()) for (const socket of set) socket.destroy();
  }

  private sync(key: string): void {
    const [namespace, name] = key.split('/') as [string, string];
    const svc = this.services.get(namespace, name);
    const ip = svc?.spec?.clusterIP;
    if (!svc || !ip || ip === 'None' || !ip.startsWith('127.') || svc.spec?.type === 'ExternalName') {
      void this.teardown(key);
      return;
    }
    let st = this.state.get(key);
    if (!st) {
      st = { listeners: new Map(), backends: new Map(), known: new Set(), cursor: 0, connections: new Map() };
      this.state.set(key, st);
    }
    this.updateBackends(st, namespace, name);
    const wanted = new Map<string, { port: number; portName: string }>();
    for (const p of svc.spec?.ports ?? []) {
      if ((p.protocol ?? 'TCP') !== 'TCP') continue;
      wanted.set(`${ip}:${p.port}`, { port: p.port, portName: p.name ?? '' });
    }
    for (const [addr, listener] of st.listeners) {
      if (!wanted.has(addr)) {
        listener.server.close();
        st.listeners.delete(addr);
      }
    }
    for (const [addr, { port, portName }] of wanted) {
      const existing = st.listeners.get(addr);
      if (existing) {
        existing.portName = portName;
        continue;
      }
      const entry = { server: createServer((socket) => this.forward(st!, entry.portName, socket)), portName };
      entry.server.on('error', (error: NodeJS.ErrnoException) => {
        // EADDRINUSE: another sandbox on this machine serves a Service at the same clusterIP.
        this.logger.error({ err: error, service: key, addr }, error.code === 'EADDRINUSE'
          ? 'service proxy cannot listen: the clusterIP:port is taken by another process (another sandbox?)'
          : 'service proxy listener failed');
        st!.listeners.delete(addr);
      });
      entry.server.listen(port, ip);
      st.listeners.set(addr, entry);
    }
  }

  private updateBackends(st: ServiceState, namespace: string, name: string): void {
    const slices = this.slices.list(namespace).filter((s) => s.metadata?.labels?.[SERVICE_NAME_LABEL] === name);
    const ready = new Map<string, Backend[]>();
    const serving = new Map<string, Backend[]>();
    const known = new Set<string>();
    for (const slice of slices) {
      for (const ep of slice.endpoints ?? []) {
        for (const address of ep.addresses) {
          known.add(address);
          for (const port of slice.ports ?? []) {
            if (port.port === undefined) continue;
            const portName = port.name ?? '';
            const target = ep.conditions.ready !== false ? ready : ep.conditions.serving ? serving : undefined;
            if (!target) continue;
            const list = target.get(portName) ?? [];
            list.push({ address, port: port.port });
            target.set(portName, list);
          }
        }
      }
    }
    // Like kube-proxy: terminating-but-serving endpoints are used only when nothing is ready.
    for (const [portName, list] of serving) if (!ready.has(portName)) ready.set(portName, list);
    st.backends = ready;
    for (const address of st.known) {
      if (known.has(address)) continue;
      for (const socket of st.connections.get(address) ?? []) socket.destroy();
      st.connections.delete(address);
    }
    st.known = known;
  }

  private forward(st: ServiceState, portName: string, client: Socket): void {
    const backends = st.backends.get(portName) ?? [];
    if (backends.length === 0) {
      client.resetAndDestroy();
      return;
    }
    const backend = backends[st.cursor++ % backends.length]!;
    const upstream = connect({ host: backend.address, port: backend.port });
    let set = st.connections.get(backend.address);
    if (!set) st.connections.set(backend.address, (set = new Set()));
    set.add(client);
    set.add(upstream);
    const cleanup = () => {
      set!.delete(client);
      set!.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', cleanup).on('close', cleanup);
    upstream.on('error', () => { client.resetAndDestroy(); cleanup(); }).on('close', cleanup);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
