/**
 * Probe → decide → act, for one store: the failover after a lost master, and the initial (or cold-start) role
 * assignment. The controller adds what Kubernetes knows (ordinals, terminating pods) and records the outcome.
 */
import type { EngineEndpoint } from './engine-connection.js';
import { planBootstrap, planFailover, type ElectionDecision, type LostMaster, type PodCandidate } from './election.js';
import type { FencePlaceholder } from './info.js';
import { probeEngines } from './probe.js';
import { executePromotion, type MasterAddress, type PodEndpoint, type PromotionReport } from './promotion.js';

export interface StorePod {
  pod: string;
  ordinal: number;
  /** How the operator reaches the pod (with the current password). */
  endpoint: EngineEndpoint;
  /** How the other pods reach it in REPLICAOF; defaults to the endpoint's host and port. */
  replicationAddress?: MasterAddress;
  terminating?: boolean;
}

export interface RoleAssignmentOptions {
  probeTimeoutMs?: number;
  stepTimeoutMs?: number;
  masterauth?: string;
  fence?: FencePlaceholder;
}

export interface RoleAssignmentOutcome {
  decision: ElectionDecision;
  /** Absent when no pod could be elected (nothing was changed). */
  report?: PromotionReport;
  master?: StorePod;
  candidates: PodCandidate[];
  durationMs: number;
}

async function candidatesOf(pods: StorePod[], options: RoleAssignmentOptions): Promise<PodCandidate[]> {
  const probes = await probeEngines(pods.map((p) => p.endpoint), options.probeTimeoutMs ?? 1000, { fence: options.fence });
  return pods.map((pod, index) => {
    const probe = probes[index]!;
    return {
      pod: pod.pod, ordinal: pod.ordinal, host: pod.endpoint.host, port: pod.endpoint.port, terminating: pod.terminating,
      state: probe.reachable ? probe.state : undefined,
    };
  });
}

function asEndpoint(pod: StorePod): PodEndpoint {
  return { pod: pod.pod, endpoint: pod.endpoint };
}

async function apply(pods: StorePod[], candidates: PodCandidate[], decision: ElectionDecision, options: RoleAssignmentOptions, skip: (pod: StorePod) => boolean): Promise<Omit<RoleAssignmentOutcome, 'durationMs'>> {
  const winner = decision.winner && pods.find((p) => p.pod === decision.winner!.pod);
  if (!winner) return { decision, candidates };
  const demoted = new Set(decision.demote.map((d) => d.pod));
  const reachable = new Set(candidates.filter((c) => c.state).map((c) => c.pod));
  const others = pods.filter((p) => p !== winner && !skip(p) && reachable.has(p.pod));
  const report = await executePromotion({
    winner: asEndpoint(winner),
    winnerAddress: winner.replicationAddress,
    demote: others.filter((p) => demoted.has(p.pod)).map(asEndpoint),
    replicas: others.filter((p) => !demoted.has(p.pod)).map(asEndpoint),
  }, { timeoutMs: options.stepTimeoutMs, masterauth: options.masterauth, fence: options.fence });
  return { decision, report, master: winner, candidates };
}

/**
 * After the health monitor reported `lost` down: elect among its replicas (or resume a promotion that already
 * happened), promote, repoint. The lost pod itself is left alone: when it comes back it boots fenced and the
 * controller calls `fenceReturningMaster` for it.
 */
export async function performFailover(pods: StorePod[], lost: LostMaster, options: RoleAssignmentOptions = {}): Promise<RoleAssignmentOutcome> {
  const started = Date.now();
  const isLost = (p: StorePod) => p.endpoint.host === lost.host && p.endpoint.port === lost.port;
  const live = pods.filter((p) => !isLost(p));
  const candidates = await candidatesOf(live, options);
  const decision = planFailover(candidates, lost);
  const outcome = await apply(live, candidates, decision, options, (p) => p.terminating === true);
  return { ...outcome, durationMs: Date.now() - started };
}

/** New store or cold start (every pod fenced): keep an existing master, else the pod with the most data. */
export async function assignRoles(pods: StorePod[], options: RoleAssignmentOptions = {}): Promise<RoleAssignmentOutcome> {
  const started = Date.now();
  const candidates = await candidatesOf(pods, options);
  const decision = planBootstrap(candidates);
  const outcome = await apply(pods, candidates, decision, options, (p) => p.terminating === true);
  return { ...outcome, durationMs: Date.now() - started };
}
