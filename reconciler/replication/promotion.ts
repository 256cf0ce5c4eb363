/**
 * The promotion steps. Each step reads the pod's live role first and does nothing when it already holds, so running
 * the whole sequence again after the operator died half-way converges without a second promotion.
 */
import { endpointAddress, withEngineConnection, type EngineClient, type EngineEndpoint } from './engine-connection.js';
import { errorMessage } from '../../shared/error-message.js';
import { DEFAULT_FENCE, type EngineState, type FencePlaceholder } from './info.js';
import { readEngineState } from './probe.js';
import { markAssigned } from './dragonfly-state.js';

export interface PodEndpoint {
  pod: string;
  endpoint: EngineEndpoint;
}

export interface MasterAddress {
  host: string;
  port: number;
}

export interface PromotionOptions {
  timeoutMs?: number;
  /** Set as masterauth before REPLICAOF so the replica can authenticate to its new master. */
  masterauth?: string;
  fence?: FencePlaceholder;
  /**
   * Fires when this operator may no longer act (lease lost, shutdown): checked before every command that changes a
   * role, so a step already in flight sends no REPLICAOF after it.
   */
  signal?: AbortSignal;
}

export type StepAction = 'promote' | 'replicate' | 'demote';

export interface StepResult {
  pod: string;
  action: StepAction;
  outcome: 'done' | 'skipped' | 'failed';
  detail: string;
}

const DEFAULT_STEP_TIMEOUT_MS = 3000;

function connectionOptions(options: PromotionOptions) {
  const timeoutMs = options.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  return { connectTimeoutMs: timeoutMs, commandTimeoutMs: timeoutMs, purpose: 'promotion' };
}

async function waitForRole(client: EngineClient, target: PodEndpoint, role: 'master', timeoutMs: number, fence: FencePlaceholder): Promise<EngineState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await readEngineState(client, target.endpoint, fence);
    if (state.role === role) return state;
    if (Date.now() >= deadline) throw new Error(`${target.pod} still reports role ${state.role}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function step(target: PodEndpoint, action: StepAction, options: PromotionOptions, job: (client: EngineClient) => Promise<Omit<StepResult, 'pod' | 'action'>>): Promise<StepResult> {
  try {
    const result = await withEngineConnection(target.endpoint, connectionOptions(options), job);
    return { pod: target.pod, action, ...result };
  } catch (error) {
    return { pod: target.pod, action, outcome: 'failed', detail: errorMessage(error) };
  }
}

/** REPLICAOF NO ONE, then checks the role really is master. */
export async function promoteToMaster(target: PodEndpoint, options: PromotionOptions = {}): Promise<StepResult> {
  const fence = options.fence ?? DEFAULT_FENCE;
  return step(target, 'promote', options, async (client) => {
    const before = await readEngineState(client, target.endpoint, fence);
    if (before.role === 'master') return { outcome: 'skipped', detail: `already master at offset ${before.replicationOffset}` };
    if (before.masterSyncInProgress || before.loading) throw new Error('refusing to promote a pod that is still syncing or loading');
    options.signal?.throwIfAborted();
    await client.call('REPLICAOF', 'NO', 'ONE');
    if (before.engine === 'dragonfly') await markAssigned(client);
    const after = await waitForRole(client, target, 'master', options.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS, fence);
    return { outcome: 'done', detail: `promoted at offset ${after.replicationOffset} (was replica of ${before.masterHost}:${before.masterPort})` };
  });
}

async function pointAt(client: EngineClient, master: MasterAddress, options: PromotionOptions): Promise<void> {
  options.signal?.throwIfAborted();
  if (options.masterauth !== undefined) await client.call('CONFIG', 'SET', 'masterauth', options.masterauth);
  options.signal?.throwIfAborted();
  await client.call('REPLICAOF', master.host, String(master.port));
}

/** Makes the pod a replica of `master` unless it already is one. */
export async function replicateFrom(target: PodEndpoint, master: MasterAddress, options: PromotionOptions = {}): Promise<StepResult> {
  const fence = options.fence ?? DEFAULT_FENCE;
  return step(target, 'replicate', options, async (client) => {
    const state = await readEngineState(client, target.endpoint, fence);
    if (state.role === 'replica' && state.masterHost === master.host && state.masterPort === master.port) {
      return { outcome: 'skipped', detail: `already replica of ${endpointAddress(master)} (link ${state.masterLinkUp ? 'up' : 'down'})` };
    }
    const wasMaster = state.role === 'master';
    // Dragonfly refuses a master it cannot sync from at once (`-ERR replication cancelled`) and stays as it was: the
    // step fails, and an unassigned pod stays unmarked, so out of the Services.
    await pointAt(client, master, options);
    if (state.engine === 'dragonfly') await markAssigned(client);
    // A demoted master's clients would keep getting READONLY; dropped, they reconnect through the master Service.
    // Dragonfly has no CLIENT KILL TYPE (`-ERR syntax error`): its clients get READONLY until they reconnect.
    if (wasMaster && state.engine !== 'dragonfly') await client.call('CLIENT', 'KILL', 'TYPE', 'normal');
    const from = wasMaster ? 'master' : state.fenced ? 'fenced' : `replica of ${state.masterHost}:${state.masterPort}`;
    return { outcome: 'done', detail: `now replica of ${endpointAddress(master)} (was ${from})` };
  });
}

/** Demotes a master (split brain, a returning old master) into a replica of `master` and drops its clients. */
export async function demoteMaster(target: PodEndpoint, master: MasterAddress, options: PromotionOptions = {}): Promise<StepResult> {
  const result = await replicateFrom(target, master, options);
  return { ...result, action: 'demote' };
}
