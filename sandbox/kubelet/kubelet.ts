// The sandbox kubelet: a client of the API server like the real one. It registers a few Nodes, runs the pods a
// scheduler bound to them (spec.nodeName) as local processes, reports their status through pods/status, and finishes
// graceful deletions with a delete at grace period 0. It schedules nothing (sandbox/scheduler/ does, as kube-scheduler).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { componentEventRecorder, controllerQueue, watchCache } from '../controllers/kube-io.js';
import type { EventRecorder } from '../../kube/event-recorder.js';
import { type Informer, objectKey } from '../../kube/informer.js';
import { isStatus } from '../../kube/errors.js';
import { sandboxClient } from '../controllers/kube-io.js';
import type { KubeClient } from '../../kube/client.js';
import type { WorkQueue } from '../../kube/work-queue.js';
import { canUseMountNamespaces, killAllContainers, type ContainerProcess } from './container-process.js';
import { PodIpPool } from './ip-pool.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import { PodWorker } from './pod-worker.js';
import { startLogServer, type LogLookup } from './log-server.js';
import { makeVolumeSource } from './api-volume-source.js';
import { NodeRegistry } from './nodes.js';
import { installShims, type ShimSet } from './shims.js';
import { PodTokenCache, kubernetesServiceEnv } from './service-account.js';
import { removePodDir } from './volumes.js';

export interface KubeletOptions {
  kc: KubeConfig;
  /** Sandbox directory: pods, volumes and shims live below it. */
  dir: string;
  logger: Logger;
  /** Run no process, even for a bound pod (the scheduler's option of the same name leaves pods unbound). */
  holdPodsPending?: boolean;
  nodeNames?: string[];
  /** Defaults to true when running as root on Linux. */
  mountNamespace?: boolean;
  /** First CrashLoopBackOff delay (Kubernetes: 10 s), doubling up to 300 s. */
  restartBackoffBaseMs?: number;
}

/** What a pod's grace period is cut to when the whole sandbox stops (Ctrl-C must finish in under 3 s). */
export const KUBELET_STOP_GRACE_CAP_SECONDS = 2;

export class Kubelet {
  readonly nodeNames: string[];
  private readonly core: CoreV1Api;
  private readonly rest: KubeClient;
  private readonly pods: Informer<V1Pod>;
  private readonly workers = new Map<string, PodWorker>();
  private readonly terminating = new Set<string>();
  private readonly lastStatus = new Map<string, string>();
  private readonly ips = new PodIpPool();
  private readonly lostNodes = new Set<string>();
  /** Workers of pods removed from the API while their node was lost: frozen until the node returns, then killed. */
  private readonly orphans = new Set<PodWorker>();
  private readonly syncQueue: WorkQueue;
  private readonly statusQueue: WorkQueue;
  private readonly nodes: NodeRegistry;
  private shims!: ShimSet;
  private logServer?: { port: number; stop(): Promise<void> };
  private readonly mountNamespace: boolean;
  /** Pods' ServiceAccount tokens, from TokenRequest (never the kubelet's own credentials). */
  private readonly tokens: PodTokenCache;
  private readonly clusterEnv: Record<string, string>;
  private readonly events: EventRecorder;

  constructor(private readonly options: KubeletOptions) {
    this.nodeNames = options.nodeNames ?? ['sandbox-node-1', 'sandbox-node-2', 'sandbox-node-3'];
    this.core = options.kc.makeApiClient(CoreV1Api);
    this.rest = sandboxClient(options.kc);
    this.pods = watchCache<V1Pod>(this.rest, '/api/v1/pods', options.logger);
    this.syncQueue = controllerQueue('kubelet-pods', (key) => this.syncPod(key), options.logger);
    this.statusQueue = controllerQueue('kubelet-status', (key) => this.writeStatus(key), options.logger);
    this.mountNamespace = options.mountNamespace ?? canUseMountNamespaces();
    this.tokens = new PodTokenCache((namespace, account, body) =>
      this.rest.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${account}/token`, body));
    this.clusterEnv = kubernetesServiceEnv(options.kc.getCurrentCluster()?.server ?? 'https://127.0.0.1:443');
    this.events = componentEventRecorder(this.rest, 'kubelet', options.logger);
    this.nodes = new NodeRegistry(this.core, this.rest, this.nodeNames, (node) => this.lostNodes.has(node), options.logger);
  }

  async start(): Promise<void> {
    mkdirSync(this.options.dir, { recursive: true });
    this.shims = installShims(join(this.options.dir, 'bin'));
    this.logServer = await startLogServer({ logFile: (ns, pod, container, previous) => this.logFile(ns, pod, container, previous) });
    await this.nodes.start(this.logServer.port);
    const enqueue = (pod: V1Pod) => this.syncQueue.add(objectKey(pod));
    this.pods.on((_event, pod) => enqueue(pod));
    await this.pods.start();
    this.options.logger.info({ nodes: this.nodeNames, mountNamespace: this.mountNamespace }, 'kubelet started');
  }

  /** Stops the kubelet and kills every pod it runs (pods' API objects stay, as when a node's kubelet stops). */
  async stop(): Promise<void> {
    this.nodes.stop();
    await this.logServer?.stop();
    this.pods.stop();
    void this.syncQueue.shutdown();
    void this.statusQueue.shutdown();
    // Every pod at once, each with its own grace period capped: the engines get their SIGTERM (a redis-server saves
    // its data on it, which a sandbox that survives restarts brings back), and the whole stop stays under 3 s.
    await Promise.all([...this.workers.values(), ...this.orphans].map((w) => w.terminate(Math.min(w.pod.spec?.terminationGracePeriodSeconds ?? 30, KUBELET_STOP_GRACE_CAP_SECONDS))));
    this.workers.clear();
    this.orphans.clear();
    this.ips.releaseAll();
    killAllContainers();
  }

  /** The log file of a container instance: `<podDir>/containers/<name>/<restartCount>.log`. */
  /** The kubelet's containerLogs lookup, with its messages (server.go getContainerLogs, validateContainerLogStatus). */
  logFile(namespace: string, name: string, container: string | undefined, previous: boolean): LogLookup {
    const worker = this.workers.get(`${namespace}/${name}`);
    if (!worker) return { code: 404, message: `pod "${name}" does not exist` };
    const runners = [...worker.runners, ...worker.initRunners];
    const runner = container ? runners.find((r) => r.name === container) : worker.runners[0];
    if (!runner) return { code: 404, message: `container "${container ?? ''}" not found in pod "${name}"` };
    const instance = runner.restartCount - (previous ? 1 : 0);
    const path = join(this.podDir(worker.pod), 'containers', runner.name, `${instance}.log`);
    if (instance >= 0 && existsSync(path)) return { path };
    if (previous) return { code: 400, message: `previous terminated container "${runner.name}" in pod "${name}" not found` };
    const reason = runner.state.waiting?.reason;
    if (reason) return { code: 400, message: `container "${runner.name}" in pod "${name}" is waiting to start: ${reason}` };
    return { code: 400, message: `container "${runner.name}" in pod "${name}" is waiting to start - no logs yet` };
  }

  /** Where this kubelet serves container logs (also in each Node's status.daemonEndpoints). */
  get logPort(): number | undefined {
    return this.logServer?.port;
  }

  // --- fault-injection hooks -------------------------------------------------------------------------------------

  podProcesses(namespace: string, name: string): ContainerProcess[] {
    return (this.workers.get(`${namespace}/${name}`)?.processes() ?? []) as ContainerProcess[];
  }

  freezeNextStart(namespace: string, name: string): void {
    const worker = this.workers.get(`${namespace}/${name}`);
    if (!worker) throw new Error(`pod ${namespace}/${name} is not running on this sandbox's kubelet`);
    worker.freezeNextStart();
  }

  nodeOf(namespace: string, name: string): string | undefined {
    return this.pods.get(namespace, name)?.spec?.nodeName;
  }

  /** The node's "kubelet dies": processes freeze, the Node turns NotReady and its pods' Ready condition Unknown. */
  async loseNode(nodeName: string): Promise<void> {
    this.lostNodes.add(nodeName);
    const now = rfc3339();
    for (const [key, worker] of this.workers) {
      if (worker.pod.spec?.nodeName !== nodeName) continue;
      worker.paused = true;
      for (const proc of worker.processes()) proc!.signal('SIGSTOP');
      const [namespace, name] = key.split('/') as [string, string];
      const pod = this.pods.get(namespace, name);
      const conditions = (pod?.status?.conditions ?? []).map((c) => (c.type === 'Ready' || c.type === 'ContainersReady')
        ? { ...c, status: 'Unknown', reason: 'NodeLost', message: `Node ${nodeName} which was running pod ${name} is unresponsive`, lastTransitionTime: now }
        : c);
      await this.patchPodStatus(namespace, name, pod?.metadata?.uid, { status: { conditions, reason: 'NodeLost', message: `Node ${nodeName} which was running pod ${name} is unresponsive` } })
        .catch((error: unknown) => this.options.logger.warn({ err: error, pod: key }, 'could not mark pod NodeLost'));
      this.lastStatus.delete(key);
    }
    await this.nodes.setReady(nodeName, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', true);
  }

  async restoreNode(nodeName: string): Promise<void> {
    this.lostNodes.delete(nodeName);
    await this.nodes.setReady(nodeName, 'True', 'KubeletReady', 'kubelet is posting ready status', false);
    for (const [key, worker] of this.workers) {
      if (worker.pod.spec?.nodeName !== nodeName) continue;
      for (const proc of worker.processes()) proc!.signal('SIGCONT');
      worker.paused = false;
      this.syncQueue.add(key);
      this.statusQueue.add(key);
    }
    for (const orphan of [...this.orphans]) {
      if (orphan.pod.spec?.nodeName !== nodeName) continue;
      this.orphans.delete(orphan);
      for (const proc of orphan.processes()) proc!.signal('SIGCONT');
      await orphan.terminate(1);
      this.ips.release(orphan.podIP);
      removePodDir(this.podDir(orphan.pod));
    }
    // Pods deleted or changed while the node was away.
    for (const pod of this.pods.list()) if (pod.spec?.nodeName === nodeName) this.syncQueue.add(objectKey(pod));
  }

  isNodeLost(nodeName: string): boolean {
    return this.lostNodes.has(nodeName);
  }

  // --- pods ----------------------------------------------------------------------------------------------------

  private podDir(pod: V1Pod): string {
    return join(this.options.dir, 'pods', `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`);
  }

  private async syncPod(key: string): Promise<void> {
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.pods.get(namespace, name);
    let worker = this.workers.get(key);
    if (worker && (!pod || pod.metadata?.uid !== worker.pod.metadata?.uid)) {
      // Gone from the API (force-deleted) or replaced by a new pod of the same name: kill the old one.
      if (this.lostNodes.has(worker.pod.spec?.nodeName ?? '')) {
        // Its node is unreachable: the processes stay frozen (as on a partitioned machine) and the name is free
        // for a replacement pod on another node.
        this.orphans.add(worker);
        this.workers.delete(key);
      } else {
        await this.finishWorker(key, worker, 1);
      }
      worker = undefined;
    }
    if (!pod) return;
    const nodeName = pod.spec?.nodeName;
    // Unscheduled, or another kubelet's pod.
    if (!nodeName || !this.nodeNames.includes(nodeName) || this.lostNodes.has(nodeName)) return;
    if (pod.metadata?.deletionTimestamp) {
      if (this.terminating.has(key)) return;
      // Already stopped and deleted at grace 0; only someone's finalizer keeps the object: nothing left to do.
      if (!worker && pod.metadata.deletionGracePeriodSeconds === 0) return;
      this.terminating.add(key);
      try {
        const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
        if (worker) {
          worker.pod = pod;
          await this.finishWorker(key, worker, grace);
          await this.writeFinalStatus(namespace, name, worker).catch(() => undefined);
        }
        await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0, body: { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } } })
          .catch((error: unknown) => { if (!isStatus(error, 404, 409)) throw error; });
      } finally {
        this.terminating.delete(key);
      }
      return;
    }
    if (worker) {
      worker.pod = pod;
      this.statusQueue.add(key);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    // Held: even a pod bound by hand (spec.nodeName set at creation) runs nothing.
    if (this.options.holdPodsPending) return;
    const podIP = this.ips.allocate(pod.metadata!.uid!, pod.status?.podIP);
    const podDir = this.podDir(pod);
    worker = new PodWorker({
      pod, podIP, podDir, source: makeVolumeSource(this.rest, this.tokens), shims: this.shims, clusterEnv: this.clusterEnv, serviceAccountVolume: true, mountNamespace: this.mountNamespace,
      backoffBaseMs: this.options.restartBackoffBaseMs ?? 10_000,
      onChange: () => this.statusQueue.add(key),
      onEvent: (type, reason, message) => void this.events.record({ ...pod, apiVersion: 'v1', kind: 'Pod' }, { type, reason, message }),
      logger: this.options.logger,
    });
    this.workers.set(key, worker);
    worker.start();
    this.statusQueue.add(key);
  }

  private async finishWorker(key: string, worker: PodWorker, graceSeconds: number): Promise<void> {
    await worker.terminate(graceSeconds);
    if (this.workers.get(key) === worker) this.workers.delete(key);
    this.ips.release(worker.podIP);
    this.lastStatus.delete(key);
    this.tokens.forget(worker.pod.metadata?.uid ?? '');
    removePodDir(this.podDir(worker.pod));
  }

  /**
   * The hot path (every probe transition): over the kept-alive REST connection rather than a new TLS handshake.
   * The pod's uid rides along as a precondition, and the cache is checked first, so a status meant for a pod never
   * lands on its same-named replacement (StatefulSets reuse names at once).
   */
  private async patchPodStatus(namespace: string, name: string, uid: string | undefined, body: { status: object }): Promise<unknown> {
    const cached = this.pods.get(namespace, name);
    if (!cached || cached.metadata?.uid !== uid) return undefined;
    return this.rest.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { metadata: { uid }, ...body }, 'application/merge-patch+json');
  }

  private async writeFinalStatus(namespace: string, name: string, worker: PodWorker): Promise<void> {
    const status = worker.status();
    const ready = status.conditions?.map((c) => (c.type === 'Ready' || c.type === 'ContainersReady') ? { ...c, status: 'False', reason: 'PodCompleted' } : c);
    await this.patchPodStatus(namespace, name, worker.pod.metadata?.uid, { status: { ...status, conditions: ready } });
  }

  private async writeStatus(key: string): Promise<void> {
    const worker = this.workers.get(key);
    if (!worker || this.terminating.has(key)) return;
    const [namespace, name] = key.split('/') as [string, string];
    const pod = this.pods.get(namespace, name);
    if (!pod || pod.metadata?.uid !== worker.pod.metadata?.uid) return;
    if (this.lostNodes.has(pod.spec?.nodeName ?? '')) return;
    worker.pod = pod;
    const status = worker.status();
    const body = { status: { ...status, reason: pod.status?.reason ? null : undefined, message: pod.status?.message ? null : undefined } };
    const text = JSON.stringify(body);
    if (this.lastStatus.get(key) === text) return;
    try {
      await this.patchPodStatus(namespace, name, pod.metadata?.uid, body);
      this.lastStatus.set(key, text);
    } catch (error: unknown) {
      if (isStatus(error, 404)) return;
      throw error;
    }
  }
}
