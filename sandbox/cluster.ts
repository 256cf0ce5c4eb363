// The whole sandbox: API server, controllers, kubelet and service proxy, each a separate client of the API server
// over HTTPS, as the control-plane components of a real cluster are.
import { mkdirSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { startApiServer } from './apiserver/server.js';
import { startControllers } from './controllers/index.js';
import { createFaults, type Faults } from './faults/faults.js';
import { killAllContainers } from './kubelet/container-process.js';
import { Kubelet } from './kubelet/kubelet.js';
import { ServiceProxy } from './proxy/service-proxy.js';

export type { Faults } from './faults/faults.js';

export interface SandboxOptions {
  dir: string;
  holdPodsPending?: boolean;
  logger?: Logger;
  /** First CrashLoopBackOff delay; Kubernetes uses 10 s. */
  restartBackoffBaseMs?: number;
}

export interface RunningSandbox {
  kubeconfigPath: string;
  apiServerUrl: string;
  dir: string;
  faults: Faults;
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
      void Promise.race([Promise.all(stops), new Promise((r) => setTimeout(r, 5000))]).finally(() => {
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

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const logger = options.logger ?? pino({ level: 'warn', name: 'sandbox' });
  mkdirSync(options.dir, { recursive: true });
  const apiServer = await startApiServer({ dir: options.dir, logger: logger.child({ component: 'apiserver' }) });
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
    const proxy = new ServiceProxy({ kc: loadKubeConfig(apiServer.kubeconfigPath), logger: logger.child({ component: 'proxy' }) });
    await proxy.start();
    stops.push(() => proxy.stop());
    const kubelet = new Kubelet({
      kc: loadKubeConfig(apiServer.kubeconfigPath), dir: options.dir, logger: logger.child({ component: 'kubelet' }),
      holdPodsPending: options.holdPodsPending, restartBackoffBaseMs: options.restartBackoffBaseMs,
    });
    await kubelet.start();
    stops.push(() => kubelet.stop());
    return {
      kubeconfigPath: apiServer.kubeconfigPath,
      apiServerUrl: apiServer.url,
      dir: options.dir,
      faults: createFaults(kubelet, kc),
      stop: stopAll,
    };
  } catch (error: unknown) {
    await stopAll();
    throw new Error('starting the sandbox failed', { cause: error });
  }
}

/** Only the process-backed kubelet, attached to any API server (`redwing sandbox --kubelet-only`). */
export async function startKubeletOnly(options: { kubeconfigPath: string; dir: string; logger?: Logger; holdPodsPending?: boolean }): Promise<{ stop(): Promise<void>; faults: Faults }> {
  const logger = options.logger ?? pino({ level: 'warn', name: 'kubelet' });
  mkdirSync(options.dir, { recursive: true });
  const kc = loadKubeConfig(options.kubeconfigPath);
  const kubelet = new Kubelet({ kc, dir: options.dir, logger, holdPodsPending: options.holdPodsPending });
  await kubelet.start();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      stopOnSignal.delete(stop);
      await kubelet.stop();
    })();
    return stopping;
  };
  stopOnSignal.add(stop);
  installSignalHandlers();
  return { stop, faults: createFaults(kubelet, kc) };
}
