/**
 * What the operator knows about the age of data that offsets cannot show. A pod restarted from its AOF comes back
 * with all its data but a fresh replication ID and offset 0, so after a few overlapping restarts every candidate may
 * report offset 0, and "highest offset" picks a stale pod whose promotion makes the others resync from it: every
 * write acknowledged since that pod went stale is erased (issue: 5 master kills 3 s apart lost thousands of writes).
 *
 * The health monitor asks the master `ROLE` every tick: its offset and each connected replica's acknowledged offset.
 * A replica that drops out of that list cannot receive anything more, so the master's offset at that moment is an
 * upper bound on the data the replica holds, whatever it later reports. Pure; the monitor's answers are fed in.
 */

export interface DataBounds {
  /** The master these observations came from. */
  master: string;
  /** Its offset at the last answered ROLE. */
  masterOffset: number;
  /** Replicas connected to it then that had acknowledged data (offset > 0): they may hold anything it had. */
  connected: string[];
  /**
   * Pods that left a live master's replica list, with an upper bound on the offset of the data they hold. Cleared when
   * the pod is connected and acknowledging again (it is in step with the master, whatever it held before).
   */
  bounds: Record<string, number>;
}

export interface MasterRoleObservation {
  master: string;
  offset: number;
  /** Connected replicas by pod name, with the offset each acknowledged. */
  replicas: Array<{ pod: string; offset: number }>;
}

export function observeMasterRole(previous: DataBounds | undefined, role: MasterRoleObservation): DataBounds {
  const connected = role.replicas.filter((replica) => replica.offset > 0).map((replica) => replica.pod);
  const bounds = { ...(previous?.bounds ?? {}) };
  // Only the same master's consecutive answers say when a replica left: across a change of master, the old master's
  // final offset is unknown, so its replicas get no bound (they count as possibly holding anything it had).
  if (previous && previous.master === role.master) {
    for (const pod of previous.connected) {
      if (!connected.includes(pod)) bounds[pod] = Math.max(role.offset, bounds[pod] ?? 0);
    }
  }
  for (const pod of connected) delete bounds[pod];
  delete bounds[role.master];
  return { master: role.master, masterOffset: role.offset, connected, bounds };
}

/** What a pod shows of its data, as the election sees it. */
export interface DataView {
  name: string;
  /** Undefined when the pod does not answer (dead, restarting, frozen, loading). */
  offset?: number;
  keys?: number;
}

/**
 * Whether `pod` may hold data (acknowledged writes among it) that a winner at `winnerOffset` lacks:
 * - an answering pod with an offset is comparable: only one beyond the winner is a risk;
 * - an answering empty pod holds nothing;
 * - a pod with keys but offset 0 (restarted from its AOF), or one that does not answer, is a risk unless a recorded
 *   bound says its data is no newer than the winner's.
 */
export function mayHoldNewerData(pod: DataView, winnerOffset: number, bounds: DataBounds | undefined): boolean {
  if (pod.offset !== undefined && pod.offset > 0) return pod.offset > winnerOffset;
  if (pod.offset !== undefined && (pod.keys ?? 0) === 0) return false;
  const bound = bounds?.bounds[pod.name];
  return bound === undefined || bound > winnerOffset;
}
