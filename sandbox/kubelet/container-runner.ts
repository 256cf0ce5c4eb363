// The life of one container: start, postStart, probe, restart with back-off, terminate with the grace period and
// preStop.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Container, V1ContainerState, V1ContainerStatus, V1Probe } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { execInContainer, launchContainer, type ContainerProcess, type ExitInfo, type LaunchSpec } from './container-process.js';
import { ConfigError } from './env.js';
import { ProbeState, runProbe } from './probes.js';
import { rfc3339 } from '../../shared/rfc3339.js';
import { sleepUnlessAborted as sleep } from '../../shared/abortable-sleep.js';
import { errorMessage } from '../../shared/error-message.js';

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export type Prepared = { ok: true; spec: LaunchSpec } | { ok: false; reason: string; message: string; permanent: boolean };

export interface ContainerRunnerOptions {
  container: V1Container;
  image: string;
  podIP: string;
  podRef: string;
  restartPolicy: RestartPolicy;
  /** Builds the launch (env, argv, mounts) afresh before each start, as the kubelet does. */
  prepare(): Promise<Prepared>;
  terminationGraceSeconds(): number;
  backoffBaseMs: number;
  onChange(): void;
  /** Pod events, as the kubelet records them (Started, Killing, Unhealthy, BackOff, Failed). */
  onEvent?(type: 'Normal' | 'Warning', reason: string, message: string): void;
  logger: Logger;
}

const MAX_BACKOFF_MS = 300_000;
/** The longest a postStart hook may run here before it counts as failed. */
const POST_START_LIMIT_MS = 120_000;
/** An instance that ran less than this is logged with its output (see runInstance). */
const SHORT_RUN_MS = 5_000;
const LOG_TAIL_BYTES = 2_000;

/** The last LOG_TAIL_BYTES of a file (read from its end: five seconds of output can be large), or '' when unreadable. */
function tailOfFile(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, LOG_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export class ContainerRunner {
  state: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: V1ContainerState = {};
  restartCount = 0;
  ready = false;
  started = false;
  process?: ContainerProcess;
  spec?: LaunchSpec;
  /** Settles when the container will never run again (stopped, or finished under its restart policy). */
  readonly done: Promise<ExitInfo | undefined>;
  /**
   * Settles once the first start attempt is over: launched and its postStart hook finished (or failed), or the launch
   * failed. The kubelet starts a pod's containers one after another this way, so a container whose postStart waits
   * (Istio's `pilot-agent wait` with holdApplicationUntilProxyStarts) holds the containers after it.
   */
  readonly firstStartSettled: Promise<void>;
  paused = false;
  /** Fault injection: the next instance is SIGSTOPped as it is launched, before it can answer anyone. */
  freezeNextStart = false;

  private stopping = false;
  private readonly stopController = new AbortController();
  private runController?: AbortController;
  private backoffMs = 0;
  private resolveDone!: (info: ExitInfo | undefined) => void;
  private settleFirstStart!: () => void;
  private lastExit?: ExitInfo;

  constructor(private readonly options: ContainerRunnerOptions) {
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
    this.firstStartSettled = new Promise((resolve) => { this.settleFirstStart = resolve; });
    void this.done.then(() => this.settleFirstStart());
  }

  get name(): string { return this.options.container.name; }

  start(): void {
    void this.loop().catch((error: unknown) => {
      this.options.logger.error({ err: error, pod: this.options.podRef, container: this.name }, 'container loop failed');
      this.resolveDone(this.lastExit);
    });
  }

  private setState(state: V1ContainerState): void {
    this.state = state;
    this.options.onChange();
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      try {
        if (await this.runInstance() === 'finished') break;
      } catch (error: unknown) {
        // A start that failed in the sandbox itself (spawn, the log file): the kubelet reports RunContainerError and
        // retries with back-off. A runner that gave up would leave the pod running nothing, with nothing said.
        const message = errorMessage(error);
        this.options.logger.error({ err: error, pod: this.options.podRef, container: this.name }, 'container run failed; retrying');
        const stray = this.process;
        if (stray && !stray.exitInfo) {
          // Never two instances at once: one that was started before the error goes first.
          stray.signal('SIGKILL');
          await stray.exited;
        }
        this.event('Warning', 'Failed', `Error: ${message}`);
        this.setState({ waiting: { reason: 'RunContainerError', message } });
        this.settleFirstStart();
        await sleep(this.nextBackoffMs() || this.options.backoffBaseMs, this.stopController.signal);
      }
    }
    this.resolveDone(this.lastExit);
  }

  /** The back-off before the next restart (0 the first time), doubling up to MAX_BACKOFF_MS. */
  private nextBackoffMs(): number {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs === 0 ? this.options.backoffBaseMs : this.backoffMs * 2);
    return delay;
  }

  /** Prepares, starts and watches one instance of the container; says whether the container will run again. */
  private async runInstance(): Promise<'again' | 'finished'> {
    const { container, logger } = this.options;
    const prepared = await this.safePrepare();
    if (this.stopping) return 'finished';
    if (!prepared.ok) {
      if (this.state.waiting?.reason !== prepared.reason) this.event('Warning', 'Failed', `Error: ${prepared.message}`);
      this.setState({ waiting: { reason: prepared.reason, message: prepared.message } });
      this.settleFirstStart();
      await sleep(prepared.permanent ? 10_000 : 2_000, this.stopController.signal);
      return 'again';
    }
    this.spec = prepared.spec;
    // One log file per container instance (`<restartCount>.log`), so `previous` logs survive a restart.
    const logFileName = `${this.lastExit ? this.restartCount + 1 : this.restartCount}.log`;
    const proc = launchContainer({ ...prepared.spec, logFileName });
    this.process = proc;
    if (this.freezeNextStart) {
      this.freezeNextStart = false;
      proc.signal('SIGSTOP');
    }
    if (this.lastExit) this.restartCount++;
    this.started = !container.startupProbe;
    this.ready = this.started && !container.readinessProbe;
    this.setState({ running: { startedAt: rfc3339(proc.startedAt) as unknown as Date } });
    logger.debug({ pod: this.options.podRef, container: this.name, pid: proc.pid }, 'container started');
    this.event('Normal', 'Started', `Started container ${this.name}`);
    const run = new AbortController();
    this.runController = run;
    const killedBy = this.startProbes(proc, run.signal);
    const hookFailure = await this.runPostStart(proc);
    this.settleFirstStart();
    const outcome = hookFailure ?? await Promise.race([proc.exited.then(() => undefined), killedBy]);
    if (outcome && !this.stopping) {
      logger.info({ pod: this.options.podRef, container: this.name, reason: outcome }, 'container failed its probe, restarting');
      this.event('Normal', 'Killing', outcome);
      await this.terminateProcess(proc, this.options.terminationGraceSeconds());
    }
    const info = await proc.exited;
    run.abort();
    this.ready = false;
    this.lastExit = info;
    const terminated = {
      exitCode: info.exitCode,
      signal: undefined,
      reason: info.exitCode === 0 ? 'Completed' : 'Error',
      startedAt: rfc3339(proc.startedAt) as unknown as Date,
      finishedAt: rfc3339(info.finishedAt) as unknown as Date,
      containerID: `sandbox://${proc.pid}`,
      ...(outcome ? { message: outcome } : {}),
    };
    const ranMs = info.finishedAt.getTime() - proc.startedAt.getTime();
    if (!this.stopping && ranMs < SHORT_RUN_MS && info.exitCode !== 0 && info.exitCode < 128) {
      // A container that fails on its own right after its start (not killed by a signal) is usually the sandbox's
      // doing: a mount, a bind. Without its last words, a test that times out waiting for it says nothing useful.
      logger.warn({ pod: this.options.podRef, container: this.name, exitCode: info.exitCode, ranMs, log: tailOfFile(join(prepared.spec.containerDir, logFileName)) },
        'container exited soon after its start');
    }
    if (ranMs > 2 * MAX_BACKOFF_MS) this.backoffMs = 0;
    const policy = this.options.restartPolicy;
    const restart = !this.stopping && (policy === 'Always' || (policy === 'OnFailure' && info.exitCode !== 0));
    if (!restart) {
      this.setState({ terminated });
      return 'finished';
    }
    this.lastState = { terminated };
    const delay = this.nextBackoffMs();
    if (delay > 0) {
      this.event('Warning', 'BackOff', 'Back-off restarting failed container');
      this.setState({ waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.name} pod=${this.options.podRef}` } });
      await sleep(delay, this.stopController.signal);
    } else {
      this.setState({ terminated });
    }
    return 'again';
  }

  /**
   * The postStart exec hook, as the kubelet runs it right after the start (probes already running): a failure is a
   * FailedPostStartHook event and the container is killed and restarted under its policy. Bounded here, though the
   * kubelet sets no limit, so a hook that never returns cannot hold the pod for ever.
   */
  private async runPostStart(proc: ContainerProcess): Promise<string | undefined> {
    const command = this.options.container.lifecycle?.postStart?.exec?.command;
    if (!command || command.length === 0 || proc.exitInfo) return undefined;
    // Not before the container is in its own mount namespace with its volumes mounted: an exec entering the
    // namespace of a process still setting it up runs in the host's (seen in CI: a hook's file never reached the
    // volume the next container reads).
    await proc.running;
    if (proc.exitInfo) return undefined;
    const result = await execInContainer(this.spec!, proc, command, POST_START_LIMIT_MS);
    if (result.exitCode === 0 || proc.exitInfo || this.stopping) return undefined;
    const message = `PostStartHook failed: exit code ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}: ${result.output.trim().slice(0, 500)}`;
    this.event('Warning', 'FailedPostStartHook', message);
    return message;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.options.onEvent?.(type, reason, message);
  }

  private async safePrepare(): Promise<Prepared> {
    try {
      return await this.options.prepare();
    } catch (error: unknown) {
      if (error instanceof ConfigError) return { ok: false, reason: 'CreateContainerConfigError', message: error.message, permanent: false };
      throw error;
    }
  }

  /** Runs the probes; resolves with a message when the container must be killed (liveness/startup failure). */
  private startProbes(proc: ContainerProcess, signal: AbortSignal): Promise<string | undefined> {
    const { container } = this.options;
    return new Promise((resolve) => {
      const target = {
        podIP: this.options.podIP,
        container,
        exec: (argv: string[], timeoutMs: number) => execInContainer(this.spec!, proc, argv, timeoutMs),
      };
      const loop = async (probe: V1Probe, kind: 'startup' | 'liveness' | 'readiness') => {
        await proc.running;
        const state = new ProbeState(probe, kind === 'liveness');
        let lastUnhealthyEvent = 0;
        const initialMs = (probe.initialDelaySeconds ?? 0) * 1000 - (Date.now() - proc.startedAt.getTime());
        if (initialMs > 0) await sleep(initialMs, signal);
        while (!signal.aborted && !proc.exitInfo) {
          if (this.paused) { await sleep(500, signal); continue; }
          const outcome = await runProbe(probe, target);
          if (signal.aborted || proc.exitInfo || this.paused) break;
          const result = state.record(outcome.ok);
          if (!outcome.ok && Date.now() - lastUnhealthyEvent > 30_000) {
            // One event per probe per 30 s: a frozen pod must not flood the API with events.
            lastUnhealthyEvent = Date.now();
            this.event('Warning', 'Unhealthy', `${kind[0]!.toUpperCase()}${kind.slice(1)} probe failed: ${outcome.message}`);
          }
          if (kind === 'readiness' && this.ready !== result) {
            this.ready = result;
            this.options.onChange();
          }
          if (kind === 'startup' && state.succeeded) {
            this.started = true;
            this.ready = !container.readinessProbe;
            this.options.onChange();
            startMain();
            return;
          }
          if ((kind === 'liveness' || kind === 'startup') && state.failedOut) {
            resolve(`Container ${this.name} failed ${kind} probe, will be restarted${outcome.message ? `: ${outcome.message}` : ''}`);
            return;
          }
          await sleep((probe.periodSeconds ?? 10) * 1000, signal);
        }
      };
      const startMain = () => {
        if (container.livenessProbe) void loop(container.livenessProbe, 'liveness');
        if (container.readinessProbe) void loop(container.readinessProbe, 'readiness');
      };
      if (container.startupProbe) void loop(container.startupProbe, 'startup');
      else startMain();
      signal.addEventListener('abort', () => resolve(undefined));
    });
  }

  private async terminateProcess(proc: ContainerProcess, graceSeconds: number): Promise<void> {
    const deadline = Date.now() + graceSeconds * 1000;
    const preStop = this.options.container.lifecycle?.preStop;
    if (preStop?.exec?.command && !proc.exitInfo && graceSeconds > 0) {
      await execInContainer(this.spec!, proc, preStop.exec.command, Math.max(1, deadline - Date.now()));
    }
    proc.signal('SIGTERM');
    const remaining = deadline - Date.now();
    if (remaining > 0) {
      await Promise.race([proc.exited, new Promise((r) => setTimeout(r, remaining))]);
    }
    // A frozen process keeps SIGTERM pending; SIGKILL works regardless.
    if (!proc.exitInfo) proc.signal('SIGKILL');
    await proc.exited;
  }

  /** Stops the container for good: preStop, SIGTERM, then SIGKILL once the grace period is over. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    this.stopController.abort();
    const proc = this.process;
    if (proc && !proc.exitInfo) {
      this.event('Normal', 'Killing', `Stopping container ${this.name}`);
      await this.terminateProcess(proc, graceSeconds);
    }
    this.runController?.abort();
    await this.done;
    this.ready = false;
  }

  toStatus(): V1ContainerStatus {
    const { container } = this.options;
    return {
      name: container.name,
      image: this.options.image,
      imageID: `sandbox://${this.options.image}`,
      ...(this.process ? { containerID: `sandbox://${this.process.pid}` } : {}),
      ready: this.ready,
      started: this.state.running ? this.started : false,
      restartCount: this.restartCount,
      state: this.state,
      lastState: this.lastState,
    } as V1ContainerStatus;
  }
}
