/**
 * Which pods to restart at once rather than wait out the kubelet's restart back-off. While the election waits for a
 * pod that may hold acknowledged writes (plan-topology.ts: the lost master, or a replica that may be newer than the
 * best answering one), the store has no usable master; a pod killed twice sits 20 s in back-off, five times 160 s,
 * and waiting is the safe choice only while that pod may come back. Deleting the pod skips the back-off: the
 * StatefulSet recreates it at once on the same volume, so its data is kept and only the wait goes. Pure.
 *
 * Only for engines that were killed or ran a while: one that fails on its own right after starting (a bad flag, a
 * missing file) would fail again, and the back-off is what keeps that from churning the node.
 */
import type { ObservedPod } from './observed.js';

/** An engine that ran this long before it stopped was serving, not failing at start. */
export const SERVING_RUN_MS = 10_000;
/** At most one such restart per pod in this period, so an engine that keeps dying still meets the back-off. */
export const BACK_OFF_RESTART_COOLDOWN_MS = 30_000;

export interface BackOffRestartInput {
  /** The pods the election waits for (TopologyPlan.awaiting). */
  awaiting: readonly string[];
  pods: readonly ObservedPod[];
  /** When each pod was last restarted this way (ms since the epoch), by pod name. */
  lastRestartMs: ReadonlyMap<string, number>;
  nowMs: number;
}

export interface BackOffRestart {
  pod: string;
  reason: string;
}

export function planBackOffRestarts(input: BackOffRestartInput): BackOffRestart[] {
  const restarts: BackOffRestart[] = [];
  for (const name of input.awaiting) {
    const pod = input.pods.find((candidate) => candidate.name === name);
    const backOff = pod?.backOff;
    if (!pod || !backOff || pod.terminating) continue;
    const lastRestart = input.lastRestartMs.get(name);
    if (lastRestart !== undefined && input.nowMs - lastRestart < BACK_OFF_RESTART_COOLDOWN_MS) continue;
    const killed = backOff.lastExitCode !== undefined && backOff.lastExitCode > 128;
    const served = backOff.lastRunMs !== undefined && backOff.lastRunMs >= SERVING_RUN_MS;
    if (!killed && !served) continue;
    const how = killed ? `was killed (exit code ${backOff.lastExitCode})` : `stopped after ${Math.round(backOff.lastRunMs! / 1000)} s`;
    restarts.push({ pod: name, reason: `${name} ${how} and waits in restart back-off; the store has no master until it is back, `
      + 'so it is recreated now on the same volume' });
  }
  return restarts;
}
