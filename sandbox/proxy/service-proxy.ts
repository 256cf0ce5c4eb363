// The sandbox's kube-proxy: each ClusterIP Service port is a TCP listener on the Service's loopback clusterIP that
// forwards every new connection to a ready pod the Service's selector matches (round-robin). It reads the pods
// themselves, not Endpoints or EndpointSlices: a real kube-apiserver refuses loopback pod IPs there, and one
// implementation serves the full sandbox and `--kubelet-only` alike. The endpoints are what the endpoints controller
// would write (pod-endpoints.ts): ready pods; terminating-but-serving ones only when none is ready. When a pod's
// address stops being an endpoint (deleted, relabelled), its proxied connections are closed, as kube-proxy's
// conntrack cleanup does. With no ready endpoint a connection is reset, as kube-proxy's REJECT rule does.
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { KubeConfig, V1Pod, V1Service } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { inNamespace, type Informer, objectKey } from '../../kube/informer.js';
import { sandboxClient, watchCache } from '../controllers/kube-io.js';
import { mapSelectorMatches } from '../controllers/selectors.js';
import { endpointPods, podReady, resolveTargetPort } from '../controllers/pod-endpoints.js';

interface Backend { address: string; port: number }

interface ServiceState {
  listeners: Map<string, { server: Server; portName: string }>;
  /** Ready backends per service port name. */
  backends: Map<string, Backend[]>;
  /** Every endpoint address (any condition). */
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
  private readonly pods: Informer<V1Pod>;
  private readonly state = new Map<string, ServiceState>();
  private readonly logger: Logger;

  constructor(options: ServiceProxyOptions) {
    const rest = sandboxClient(options.kc);
    this.logger = options.logger;
    this.services = watchCache<V1Service>(rest, '/api/v1/services', options.logger);
    this.pods = watchCache<V1Pod>(rest, '/api/v1/pods', options.logger);
    const onService = (svc: V1Service) => this.sync(objectKey(svc));
    this.services.on((_event, svc) => onService(svc));
    const onPod = (pod: V1Pod, old?: V1Pod) => {
      for (const svc of this.services.list(inNamespace(pod.metadata?.namespace))) {
        if (mapSelectorMatches(svc.spec?.selector, pod.metadata?.labels) || (old && mapSelectorMatches(svc.spec?.selector, old.metadata?.labels))) this.sync(objectKey(svc));
      }
    };
    this.pods.on((_event, pod, old) => onPod(pod, old));
  }

  async start(): Promise<void> {
    await this.pods.start();
    await this.services.start();
  }

  async stop(): Promise<void> {
    this.services.stop();
    this.pods.stop();
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
    this.updateBackends(st, svc);
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

  private updateBackends(st: ServiceState, svc: V1Service): void {
    const ready = new Map<string, Backend[]>();
    const serving = new Map<string, Backend[]>();
    const known = new Set<string>();
    const publishNotReady = !!svc.spec?.publishNotReadyAddresses;
    for (const pod of endpointPods(svc, this.pods.list(inNamespace(svc.metadata?.namespace)))) {
      const address = pod.status!.podIP!;
      known.add(address);
      const terminating = !!pod.metadata?.deletionTimestamp;
      const target = publishNotReady || (podReady(pod) && !terminating) ? ready : podReady(pod) ? serving : undefined;
      if (!target) continue;
      for (const servicePort of svc.spec?.ports ?? []) {
        const port = resolveTargetPort(servicePort, pod);
        if (port === undefined) continue;
        const portName = servicePort.name ?? '';
        const list = target.get(portName) ?? [];
        list.push({ address, port });
        target.set(portName, list);
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
