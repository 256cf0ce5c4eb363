// Runs one pod: volumes, init containers in order, then the app containers, and its termination.
import { mkdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1Pod, V1PodStatus } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { LaunchSpec } from './container-process.js';
import type { Mount } from './mount-shadow.js';
import { ContainerRunner, type Prepared, type RestartPolicy } from './container-runner.js';
import { expandVars, resolveEnv } from './env.js';
import { resolveEntrypoint } from './images.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import { buildPodStatus } from './pod-status.js';
import { POD_IP_ENV, type ShimSet } from './shims.js';
import { withServiceAccountVolume } from './service-account.js';
import { materializeVolumes, type MaterializedVolume, type VolumeSource } from './volumes.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../../shared/error-message.js';

export interface PodWorkerOptions {
  pod: V1Pod;
  podIP: string;
  podDir: string;
  source: VolumeSource;
  shims: ShimSet;
  /** Variables every container gets: the `kubernetes` Service's (service-account.ts kubernetesServiceEnv). */
  clusterEnv?: Record<string, string>;
  /** Add the ServiceAccount volume a pod created through kube-apiserver would carry (the kubelet sets it). */
  serviceAccountVolume?: boolean;
  mountNamespace: boolean;
  backoffBaseMs: number;
  onChange(): void;
  onEvent?(type: 'Normal' | 'Warning', reason: string, message: string, container: string): void;
  logger: Logger;
}

const VOLUME_REFRESH_MS = 10_000;

/**
 * The image's folder through a link in the pod's directory: the mount script names every source relative to their
 * common directory (so a volume at /tmp cannot hide a later source), which must stay inside the sandbox dir.
 */
function imageLink(podDir: string, hostRoot: string): string {
  const link = join(podDir, 'image');
  mkdirSync(podDir, { recursive: true });
  try {
    if (readlinkSync(link) === hostRoot) return link;
    rmSync(link, { force: true });
  } catch {
    // no link yet
  }
  symlinkSync(hostRoot, link);
  return link;
}

export class PodWorker {
  private current!: V1Pod;
  readonly podIP: string;
  readonly startTime = rfc3339();
  volumesReady = false;
  initialized = false;
  initFailed = false;
  readonly initRunners: ContainerRunner[] = [];
  readonly runners: ContainerRunner[] = [];
  private volumes: MaterializedVolume[] = [];
  private stopping = false;
  private refreshTimer?: NodeJS.Timeout;
  private volumeMessage?: string;

  constructor(private readonly options: PodWorkerOptions) {
    this.pod = options.pod;
    this.podIP = options.podIP;
  }

  /** The pod as it runs: with the ServiceAccount volume the admission plugin would have added (service-account.ts). */
  get pod(): V1Pod {
    return this.current;
  }

  set pod(value: V1Pod) {
    this.current = this.options.serviceAccountVolume ? withServiceAccountVolume(value) : value;
  }

  get ref(): string {
    return `${this.pod.metadata?.name}_${this.pod.metadata?.namespace}(${this.pod.metadata?.uid})`;
  }

  /** Every live container process of this pod (for fault injection). */
  processes() {
    return [...this.initRunners, ...this.runners].map((r) => r.process).filter((p) => p && !p.exitInfo);
  }

  /** Fault injection: every container's next instance starts frozen (SIGSTOP) until thawed. */
  freezeNextStart(): void {
    for (const runner of [...this.initRunners, ...this.runners]) runner.freezeNextStart = true;
  }

  set paused(value: boolean) {
    for (const runner of [...this.initRunners, ...this.runners]) runner.paused = value;
  }

  start(): void {
    void this.run().catch((error: unknown) => this.options.logger.error({ err: error, pod: this.ref }, 'pod worker failed'));
  }

  private async run(): Promise<void> {
    // Volumes first: the pod stays ContainerCreating until its ConfigMaps, Secrets and claims exist.
    while (!this.stopping) {
      try {
        this.volumes = await materializeVolumes(this.pod, this.options.podDir, this.options.source);
        this.volumesReady = true;
        this.volumeMessage = undefined;
        break;
      } catch (error: unknown) {
        this.volumeMessage = `MountVolume.SetUp failed: ${errorMessage(error)}`;
        this.options.onChange();
        await sleep(2000);
      }
    }
    if (this.stopping) return;
    this.options.onChange();
    this.refreshTimer = setInterval(() => {
      materializeVolumes(this.pod, this.options.podDir, this.options.source).catch(() => undefined);
    }, VOLUME_REFRESH_MS);
    this.refreshTimer.unref();

    const policy = (this.pod.spec?.restartPolicy ?? 'Always') as RestartPolicy;
    const initPolicy: RestartPolicy = policy === 'Never' ? 'Never' : 'OnFailure';
    for (const container of this.pod.spec?.initContainers ?? []) {
      const runner = this.makeRunner(container, initPolicy);
      this.initRunners.push(runner);
      runner.start();
      const exit = await runner.done;
      if (this.stopping) return;
      if (!exit || exit.exitCode !== 0) {
        this.initFailed = true;
        this.options.onChange();
        return;
      }
    }
    this.initialized = true;
    // In order, each after the one before it started and ran its postStart hook, as the kubelet's SyncPod does.
    for (const container of this.pod.spec?.containers ?? []) {
      const runner = this.makeRunner(container, policy);
      this.runners.push(runner);
      runner.start();
      this.options.onChange();
      await runner.firstStartSettled;
      if (this.stopping) return;
    }
    this.options.onChange();
  }

  private makeRunner(container: V1Container, restartPolicy: RestartPolicy): ContainerRunner {
    return new ContainerRunner({
      container,
      image: container.image ?? '',
      podIP: this.podIP,
      podRef: this.ref,
      restartPolicy,
      prepare: () => this.prepare(container),
      terminationGraceSeconds: () => this.pod.spec?.terminationGracePeriodSeconds ?? 30,
      backoffBaseMs: this.options.backoffBaseMs,
      onChange: this.options.onChange,
      onEvent: (type, reason, message) => this.options.onEvent?.(type, reason, message, container.name),
      logger: this.options.logger,
    });
  }

  private async prepare(container: V1Container): Promise<Prepared> {
    const podWithIP: V1Pod = { ...this.pod, status: { ...this.pod.status, podIP: this.podIP, podIPs: [{ ip: this.podIP }], hostIP: '127.0.0.1' } };
    const kubeEnv = await resolveEnv(podWithIP, container, this.options.source);
    const entry = resolveEntrypoint(container.image ?? '', container.command, container.args, this.options.shims.path);
    if (!entry.runnable) return { ok: false, reason: entry.reason, message: entry.message, permanent: true };
    const argv = entry.argv.map((a) => expandVars(a, kubeEnv));
    const mounts: Mount[] = [];
    for (const vm of container.volumeMounts ?? []) {
      const volume = this.volumes.find((v) => v.name === vm.name);
      if (!volume) continue;
      const subPath = vm.subPath ?? (vm.subPathExpr ? expandVars(vm.subPathExpr, kubeEnv) : undefined);
      mounts.push({ hostPath: subPath ? join(volume.hostPath, subPath) : volume.hostPath, containerPath: vm.mountPath, readOnly: !!vm.readOnly });
    }
    // The image's own files (the operator image): mounted like a container's root filesystem, read-only.
    const imageFiles = entry.filesystem;
    if (imageFiles) mounts.unshift({ hostPath: imageLink(this.options.podDir, imageFiles.hostRoot), containerPath: imageFiles.mountPath, readOnly: true });
    const env: Record<string, string> = {
      PATH: this.options.shims.path,
      HOME: '/root',
      HOSTNAME: this.pod.spec?.hostname ?? this.pod.metadata?.name ?? '',
      [POD_IP_ENV]: this.podIP,
      ...this.options.clusterEnv,
      ...imageFiles?.env,
      ...kubeEnv,
    };
    const spec: LaunchSpec = {
      argv,
      env,
      workingDir: container.workingDir ?? imageFiles?.workingDir ?? (entry.family === 'other' ? undefined : '/data'),
      containerDir: join(this.options.podDir, 'containers', container.name),
      mounts,
      mountNamespace: this.options.mountNamespace,
      shimDir: this.options.shims.dir,
    };
    return { ok: true, spec };
  }

  /** Terminates every container with the grace period (preStop, SIGTERM, SIGKILL). */
  async terminate(graceSeconds: number): Promise<void> {
    this.stopping = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await Promise.all([...this.initRunners, ...this.runners].map((r) => r.stop(graceSeconds)));
  }

  status(): V1PodStatus {
    const waitingReason = this.volumesReady ? 'PodInitializing' : 'ContainerCreating';
    const notStarted = (c: V1Container) => ({
      name: c.name, image: c.image ?? '', imageID: '', ready: false, started: false, restartCount: 0,
      state: { waiting: { reason: waitingReason, ...(this.volumeMessage ? { message: this.volumeMessage } : {}) } }, lastState: {},
    });
    const initStatuses = (this.pod.spec?.initContainers ?? []).map((c) => this.initRunners.find((r) => r.name === c.name)?.toStatus() ?? notStarted(c));
    const statuses = (this.pod.spec?.containers ?? []).map((c) => this.runners.find((r) => r.name === c.name)?.toStatus() ?? notStarted(c));
    return buildPodStatus(this.pod, {
      podIP: this.podIP,
      hostIP: '127.0.0.1',
      startTime: this.startTime,
      volumesReady: this.volumesReady,
      initialized: this.initialized,
      initFailed: this.initFailed,
      initContainerStatuses: initStatuses,
      containerStatuses: statuses,
      restartPolicy: this.pod.spec?.restartPolicy ?? 'Always',
    });
  }
}
