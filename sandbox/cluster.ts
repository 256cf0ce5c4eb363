// The whole sandbox: API server, controllers (kube-controller-manager), scheduler (kube-scheduler) and the node side
// (kubelet, service proxy, storage provisioner), each a separate client of the API server over HTTPS, as the
// components of a real cluster are. The node side alone attaches to any control plane (`--kubelet-only`).
import { mkdirSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { RbacUsage } from './apiserver/rbac/audit.js';
import { startApiServer } from './apiserver/server.js';
import { startControllers } from './controllers/index.js';
import { createFaults, type Faults } from './faults/faults.js';
import { killAllContainers } from './kubelet/container-process.js';
import { HostPathProvisioner } from './kubelet/hostpath-provisioner.js';
import { Kubelet } from './kubelet/kubelet.js';
import { ServiceProxy } from './proxy/service-proxy.js';
import { Scheduler } from './scheduler/scheduler.js';

export type { Faults } from './faults/faults.js';

export interface SandboxOptions {
  dir: string;
  holdPodsPending?: boolean;
  logger?: Logger;
  /** First CrashLoopBackOff delay; Kubernetes uses 10 s. */
  restartBackoffBaseMs?: number;
  /**
   * The API server behaves like kube-apiserver where the sandbox normally diverges (loopback endpoints refused,
   * ClusterIPs in 127.96.0.0/16): proves the node side works on a real control plane.
   */
  strict?: boolean;
  /**
   * Keep the cluster's objects in `dir` and resume them at the next start (apiserver/persistence.ts): with the pods'
   * volumes, also in `dir`, stores and their data survive a restart.
   */
  persist?: boolean;
}

export interface RunningSandbox {
  kubeconfigPath: string;
  apiServerUrl: string;
  dir: string;
  faults: Faults;
  /** What RBAC allowed and refused to users outside system:masters, so far (rbac/audit.ts). */
  rbacUsage(): RbacUsage;
  stop(): Promise<void>;
}

const stopOnSignal = new Set<() => Promise<void>>();
let signalsInstalled = false;

/** SIGINT/SIGTERM stop every running sandbox (and its processes) before the process exits. */
function installSignalHandlers(): void {
  if (signalsInstalled) return;
  signalsInstalled = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      // Another handler for the same signal (a CLI's graceful shutdown) owns the exit; without one, the sandbox
      // cleans up and exits as the default action would have.
      const othersHandle = process.listenerCount(signal) > 0;
      const stops = [...stopOnSignal].map((stop) => stop().catch(() => undefined));
      // unref: the deadline must not itself hold the process open for its 5 s once everything has stopped
      void Promise.race([Promise.all(stops), new Promise((r) => setTimeout(r, 5000).unref())]).finally(() => {
        killAllContainers();
        if (!othersHandle) process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
      });
    });
  }
}

function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export interface NodeSideOptions {
  kubeconfigPath: string;
  dir: string;
  logger?: Logger;
  holdPodsPending?: boolean;
  restartBackoffBaseMs?: number;
}

interface NodeSide {
  faults: Faults;
  stops: Array<() => Promise<void>>;
}

/**
 * What a cluster's nodes provide, and all that `--kubelet-only` runs: the kubelet (pods as processes), the service
 * proxy (ClusterIPs routed from the pods) and the storage provisioner (a default StorageClass, PVs in the sandbox
 * dir). Each is its own API client; nothing here schedules or relies on sandbox-only API behaviour. The returned
 * stops are in start order; on a failure, what already started is stopped before the error is thrown.
 */
async function startNodeSide(options: NodeSideOptions, logger: Logger): Promise<NodeSide> {
  mkdirSync(options.dir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  try {
    const provisioner = new HostPathProvisioner({ kc: loadKubeConfig(options.kubeconfigPath), dir: options.dir, nodeNames: KUBELET_NODES, logger: logger.child({ component: 'provisioner' }) });
    await provisioner.start();
    stops.push(async () => provisioner.stop());
    const proxy = new ServiceProxy({ kc: loadKubeConfig(options.kubeconfigPath), logger: logger.child({ component: 'proxy' }) });
    await proxy.start();
    stops.push(() => proxy.stop());
    const kc = loadKubeConfig(options.kubeconfigPath);
    const kubelet = new Kubelet({
      kc, dir: options.dir, logger: logger.child({ component: 'kubelet' }), nodeNames: KUBELET_NODES,
      holdPodsPending: options.holdPodsPending, restartBackoffBaseMs: options.restartBackoffBaseMs,
    });
    await kubelet.start();
    stops.push(() => kubelet.stop());
    return { faults: createFaults(kubelet, kc), stops };
  } catch (error: unknown) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw new Error('starting the node side failed', { cause: error });
  }
}

const KUBELET_NODES = ['sandbox-node-1', 'sandbox-node-2', 'sandbox-node-3'];

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const logger = options.logger ?? pino({ level: 'warn', name: 'sandbox' });
  mkdirSync(options.dir, { recursive: true });
  const apiServer = await startApiServer({ dir: options.dir, logger: logger.child({ component: 'apiserver' }), strict: options.strict, persist: options.persist });
  const stops: Array<() => Promise<void>> = [() => apiServer.stop()];
  let stopping: Promise<void> | undefined;
  // Idempotent: a signal handler and the application may both call it.
  const stopAll = (): Promise<void> => {
    stopping ??= (async () => {
      stopOnSignal.delete(stopAll);
      for (const stop of [...stops].reverse()) {
        try { await stop(); } catch (error: unknown) { logger.warn({ err: error }, 'sandbox component failed to stop'); }
      }
      killAllContainers();
    })();
    return stopping;
  };
  stopOnSignal.add(stopAll);
  installSignalHandlers();
  try {
    const kc = loadKubeConfig(apiServer.kubeconfigPath);
    const controllers = await startControllers({ kc, dir: options.dir, logger: logger.child({ component: 'controllers' }) });
    stops.push(() => controllers.stop());
    const scheduler = new Scheduler({ kc: loadKubeConfig(apiServer.kubeconfigPath), logger: logger.child({ component: 'scheduler' }), holdPodsPending: options.holdPodsPending });
    await scheduler.start();
    stops.push(async () => scheduler.stop());
    const nodeSide = await startNodeSide({ ...options, kubeconfigPath: apiServer.kubeconfigPath }, logger);
    stops.push(...nodeSide.stops);
    return {
      kubeconfigPath: apiServer.kubeconfigPath,
      apiServerUrl: apiServer.url,
      dir: options.dir,
      faults: nodeSide.faults,
      rbacUsage: () => apiServer.core.rbacAudit.usage(),
      stop: stopAll,
    };
  } catch (error: unknown) {
    await stopAll();
    throw new Error('starting the sandbox failed', { cause: error });
  }
}

/**
 * Only the node side (kubelet, service proxy, storage provisioner), attached to any API server
 * (`redwing sandbox --kubelet-only`). The control plane must schedule pods and bind volumes: a real
 * kube-scheduler and kube-controller-manager, or the sandbox's scheduler and controllers.
 */
export async function startKubeletOnly(options: NodeSideOptions): Promise<{ stop(): Promise<void>; faults: Faults }> {
  const logger = options.logger ?? pino({ level: 'warn', name: 'kubelet' });
  const nodeSide = await startNodeSide(options, logger);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopOnSignal.delete(stop);
      for (const stopOne of [...nodeSide.stops].reverse()) {
        try { await stopOne(); } catch (error: unknown) { logger.warn({ err: error }, 'node side component failed to stop'); }
      }
      killAllContainers();
    })();
    return stopping;
  };
  stopOnSignal.add(stop);
  installSignalHandlers();
  return { stop, faults: nodeSide.faults };
}
