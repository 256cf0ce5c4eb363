/**
 * Coordinated switchover for rollouts and scale-down: the master hands over to an in-sync replica while writes are
 * paused, so no acknowledged write is lost. Redis/Valkey ≥ 6.2: FAILOVER TO on the master. Dragonfly: REPLTAKEOVER
 * on the replica.
 */
import { endpointAddress, withEngineConnection, type EngineClient } from './engine-connection.js';
import { errorMessage } from '../../shared/error-message.js';
import type { PodCandidate } from './split-brain.js';
import { DEFAULT_FENCE, type ConnectedReplica, type EngineKind, type EngineState, type FencePlaceholder } from './info.js';
import { readEngineState } from './probe.js';
import { replicateFrom, type MasterAddress, type PodEndpoint, type StepResult } from './promotion.js';

export interface TargetChoice {
  target?: PodCandidate;
  reason: string;
}

export interface PickTargetOptions {
  /** Largest acceptable gap between the master's offset and the replica's, in bytes. */
  maxLagBytes?: number;
}

/** Index of the master's entry for this replica; the port alone when the master sees a different source address. */
export function findReplicaEntry(master: EngineState, replica: { host: string; port: number }): ConnectedReplica | undefined {
  const exact = master.connectedReplicas.find((r) => r.host === replica.host && r.port === replica.port);
  if (exact) return exact;
  const samePort = master.connectedReplicas.filter((r) => r.port === replica.port);
  return samePort.length === 1 ? samePort[0] : undefined;
}

/** An in-sync replica of this master: link up, not syncing or loading, lag within bounds; highest offset wins. */
export function pickSwitchoverTarget(master: EngineState, candidates: PodCandidate[], options: PickTargetOptions = {}): TargetChoice {
  const maxLagBytes = options.maxLagBytes ?? 0;
  const rejected: string[] = [];
  const eligible: PodCandidate[] = [];
  for (const candidate of candidates) {
    const state = candidate.state;
    const lag = state ? master.replicationOffset - state.replicationOffset : Infinity;
    const reason = !state ? 'unreachable'
      : candidate.terminating ? 'terminating'
        : state.role !== 'replica' || state.fenced ? `not a replica (role ${state.role}${state.fenced ? ', fenced' : ''})`
          : state.masterSyncInProgress ? 'full sync in progress'
            : state.loading ? 'loading'
              : !state.masterLinkUp ? 'link to the master down'
                : state.masterReplid !== master.masterReplid ? 'follows another history'
                  : lag > maxLagBytes ? `lags ${lag} bytes`
                    : undefined;
    if (reason) rejected.push(`${candidate.pod} ${reason}`);
    else eligible.push(candidate);
  }
  eligible.sort((a, b) => b.state!.replicationOffset - a.state!.replicationOffset || a.ordinal - b.ordinal);
  const target = eligible[0];
  if (!target) return { reason: `no replica in sync${rejected.length ? `: ${rejected.join('; ')}` : ''}` };
  return { target, reason: `${target.pod} is in sync (offset ${target.state!.replicationOffset})` };
}

export interface SwitchoverOptions {
  engine: EngineKind;
  /** How long the master may pause writes while the target catches up. */
  timeoutMs?: number;
  masterauth?: string;
  fence?: FencePlaceholder;
  /** The address the other pods should replicate from once the target is master; defaults to its endpoint. */
  targetAddress?: MasterAddress;
  /** Other replicas to repoint at the new master afterwards (otherwise they would chain through the old one). */
  otherReplicas?: PodEndpoint[];
  /** Called as soon as the target answers as master: the place to move the role label (master Service). */
  onPromoted?: () => Promise<void> | void;
}

export interface SwitchoverResult {
  ok: boolean;
  detail: string;
  durationMs: number;
  steps: StepResult[];
}

const POLL_MS = 20;

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function handOver(master: PodEndpoint, target: PodEndpoint, options: SwitchoverOptions, timeoutMs: number): Promise<string> {
  const connect = { connectTimeoutMs: 2000, commandTimeoutMs: timeoutMs + 2000, purpose: 'switchover' };
  const fence = options.fence ?? DEFAULT_FENCE;
  if (options.engine === 'dragonfly') {
    await withEngineConnection(target.endpoint, connect, (client) => client.call('REPLTAKEOVER', String(Math.max(1, Math.ceil(timeoutMs / 1000)))));
    return 'REPLTAKEOVER';
  }
  return withEngineConnection(master.endpoint, connect, async (client: EngineClient) => {
    const state = await readEngineState(client, master.endpoint, fence);
    const entry = findReplicaEntry(state, target.endpoint);
    if (!entry) throw new Error(`${target.pod} is not among ${master.pod}'s connected replicas`);
    // FAILOVER on its own waits for the replica's acknowledgement, which replicas send once a second: writes would be
    // held for up to a second. Pausing writes first and reading the target's own offset shows when it has every
    // write; FAILOVER … FORCE then hands over at once, and only after that check, so nothing acknowledged is lost.
    await client.call('CLIENT', 'PAUSE', String(timeoutMs + 5000), 'WRITE');
    const caughtUp = await waitUntil(async () => {
      const [now, replica] = await Promise.all([readEngineState(client, master.endpoint, fence), roleOf(target, fence)]);
      return replica !== undefined && replica.role === 'replica' && replica.masterLinkUp && !replica.masterSyncInProgress
        && replica.masterReplid === now.masterReplid && replica.replicationOffset >= now.replicationOffset;
    }, timeoutMs);
    if (!caughtUp) {
      await client.call('CLIENT', 'UNPAUSE');
      throw new Error(`${target.pod} did not catch up with ${master.pod} within ${timeoutMs} ms`);
    }
    await client.call('FAILOVER', 'TO', entry.host, String(entry.port), 'TIMEOUT', String(FORCE_AFTER_MS), 'FORCE');
    return `FAILOVER TO ${entry.host} ${entry.port}`;
  });
}

/** How long FAILOVER waits for the acknowledgement before FORCE applies, once the target was seen in sync. */
const FORCE_AFTER_MS = 50;

/** Lifts the write pause switchover() set, once the old master is a replica (no FAILOVER in progress on it). */
async function unpause(pod: PodEndpoint): Promise<void> {
  await withEngineConnection(pod.endpoint, { connectTimeoutMs: 1000, commandTimeoutMs: 1000, purpose: 'switchover' }, (c) => c.call('CLIENT', 'UNPAUSE'))
    .catch(() => undefined);
}

async function roleOf(pod: PodEndpoint, fence: FencePlaceholder): Promise<EngineState | undefined> {
  try {
    return await withEngineConnection(pod.endpoint, { connectTimeoutMs: 1000, commandTimeoutMs: 1000, purpose: 'switchover' }, (c) => readEngineState(c, pod.endpoint, fence));
  } catch {
    return undefined;
  }
}

/**
 * After REPLTAKEOVER the old master's process exits with code 0 by design (in 27-54 ms, its clients see LOADING,
 * then EOF): there is nothing to repoint or wait for on it. Its pod restarts, unassigned, and the reconciler makes it a
 * replica like any restarted pod; that exit is not a crash to fail over from. Only the other replicas are repointed.
 */
async function finishDragonfly(
  target: PodEndpoint, address: MasterAddress, options: SwitchoverOptions, how: string,
  finish: (ok: boolean, detail: string, steps?: StepResult[]) => SwitchoverResult,
): Promise<SwitchoverResult> {
  const fence = options.fence ?? DEFAULT_FENCE;
  const steps = await Promise.all((options.otherReplicas ?? []).map((pod) => replicateFrom(pod, address, { masterauth: options.masterauth, fence })));
  const ok = steps.every((s) => s.outcome !== 'failed');
  return finish(ok, `${how}: ${target.pod} is master at ${endpointAddress(address)}; the old master's process exits and rejoins as a replica once restarted`, steps);
}

/** Hands the master role to `target` and waits until it is master and the old master follows it in sync. */
export async function switchover(master: PodEndpoint, target: PodEndpoint, options: SwitchoverOptions): Promise<SwitchoverResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 5000;
  const fence = options.fence ?? DEFAULT_FENCE;
  const address = options.targetAddress ?? { host: target.endpoint.host, port: target.endpoint.port };
  const finish = (ok: boolean, detail: string, steps: StepResult[] = []): SwitchoverResult => ({ ok, detail, durationMs: Date.now() - started, steps });
  const targetState = await roleOf(target, fence);
  let how = 'already switched';
  if (targetState?.role !== 'master') {
    try {
      how = await handOver(master, target, options, timeoutMs);
    } catch (error) {
      return finish(false, `switchover to ${target.pod} refused: ${errorMessage(error)}`);
    }
    const promoted = await waitUntil(async () => (await roleOf(target, fence))?.role === 'master', timeoutMs + 2000);
    if (!promoted) return finish(false, `${target.pod} did not become master within ${timeoutMs} ms (${how})`);
  }
  await options.onPromoted?.();
  if (options.engine === 'dragonfly') return finishDragonfly(target, address, options, how, finish);
  // FAILOVER points the old master at the address it saw for the target, which may be a source address; pin it.
  const steps = [await replicateFrom(master, address, { masterauth: options.masterauth, fence })];
  await unpause(master);
  // Clients still on the old master would get READONLY; dropped, they reconnect through the master Service.
  await withEngineConnection(master.endpoint, { connectTimeoutMs: 1000, commandTimeoutMs: 1000, purpose: 'switchover' }, (c) => c.call('CLIENT', 'KILL', 'TYPE', 'normal'))
    .catch(() => undefined);
  steps.push(...await Promise.all((options.otherReplicas ?? []).map((pod) => replicateFrom(pod, address, { masterauth: options.masterauth, fence }))));
  const synced = await waitUntil(async () => {
    const old = await roleOf(master, fence);
    return old?.role === 'replica' && old.masterLinkUp && !old.masterSyncInProgress;
  }, timeoutMs + 5000);
  const ok = synced && steps.every((s) => s.outcome !== 'failed');
  return finish(ok, `${how}: ${target.pod} is master at ${endpointAddress(address)}; ${master.pod} ${synced ? 'follows it in sync' : 'not yet in sync'}`, steps);
}
