/**
 * Which pod a scheduled snapshot runs on, and where its file ends up, as pure functions over what the reconciler
 * observes (observed.ts: Kubernetes readiness plus each engine's INFO answer).
 *
 * `source: replica` (the default) spares the master the fork and copy-on-write memory of a BGSAVE: the ready replica
 * that is linked to the current master and least behind it is chosen (ties: lowest ordinal). With no such replica the
 * master saves instead, and the run says so (unless the master is the store's only pod: nothing to check then).
 * `source: master` always uses the master.
 */
import type { ObservedPod } from '../controller/observed.js';

export type SnapshotSource = 'replica' | 'master';

export interface SnapshotPlanInput {
  /** The store's pods, probed (engine observations filled in). */
  pods: ObservedPod[];
  /** status.master: the pod the reconciler last made master. */
  master?: string;
  source: SnapshotSource;
}

export type SnapshotPlan =
  | {
    kind: 'run';
    pod: string;
    role: 'master' | 'replica';
    /** Set when `source: replica` fell back to the master: why, for the condition message. */
    fallback?: string;
  }
  | { kind: 'none'; reason: 'NoPodAvailable'; message: string };

/** The pod that answers as master: the recorded one when it still does, else the only engine that says so. */
export function findMaster(pods: ObservedPod[], recorded: string | undefined): ObservedPod | undefined {
  const answering = pods.filter((pod) => !pod.terminating && pod.engine?.role === 'master' && pod.engine.loading !== true);
  return answering.find((pod) => pod.name === recorded) ?? (answering.length === 1 ? answering[0] : undefined);
}

/** A replica fit to save: ready, linked to the current master, done with its full sync and with loading. */
function isSnapshotReplica(pod: ObservedPod, master: ObservedPod | undefined): boolean {
  const engine = pod.engine;
  if (!pod.ready || pod.terminating || !engine || engine.role !== 'replica') return false;
  if (engine.masterLinkUp !== true || engine.syncInProgress === true || engine.loading === true) return false;
  // A replica of some other (stale or fenced) master holds data that is not the store's.
  return master?.ip === undefined || engine.masterHost === undefined || engine.masterHost === master.ip;
}

/** Replica lag in bytes behind the master; unknown master offset counts as equal (the ordinal breaks the tie). */
function lagBytes(pod: ObservedPod, master: ObservedPod | undefined): number {
  const masterOffset = master?.engine?.replicationOffset;
  if (masterOffset === undefined || !pod.engine) return 0;
  return Math.max(0, masterOffset - pod.engine.replicationOffset);
}

export function planSnapshot(input: SnapshotPlanInput): SnapshotPlan {
  const master = findMaster(input.pods, input.master);
  let fallback: string | undefined;
  if (input.source === 'replica') {
    const replicas = input.pods
      .filter((pod) => isSnapshotReplica(pod, master))
      .sort((a, b) => lagBytes(a, master) - lagBytes(b, master) || a.ordinal - b.ordinal);
    if (replicas[0]) return { kind: 'run', pod: replicas[0].name, role: 'replica' };
    // A store of one pod has no replica to spare the master: saving there is its normal run, not a fallback to fix.
    const onlyTheMaster = master !== undefined && input.pods.every((pod) => pod.name === master.name);
    if (!onlyTheMaster) fallback = 'no ready replica with its master link up';
  }
  if (master) return fallback ? { kind: 'run', pod: master.name, role: 'master', fallback } : { kind: 'run', pod: master.name, role: 'master' };
  const answered = input.pods.filter((pod) => pod.engine).map((pod) => pod.name);
  const seen = input.pods.length === 0
    ? 'the store has no pods'
    : answered.length === 0 ? `none of ${input.pods.map((pod) => pod.name).join(', ')} answered` : `${answered.join(', ')} answered but none is a usable master or replica`;
  const wanted = input.source === 'replica' ? 'no ready replica with its master link up and no master' : 'no master';
  return { kind: 'none', reason: 'NoPodAvailable', message: `${wanted} to save on (${seen})` };
}
