/** Shared by both modes: wait until replicas stream from the master, so a trial measures steady-state replication. */
import { probeEngine } from '../reconciler/replication/probe.js';
import { waitFor } from '../harness/wait-for.js';

/**
 * After a full sync the master streams to a replica only once the replica's first acknowledgement arrived (up to a
 * second later); until then every write lives on the master alone. Warm-up ends when both replicas have consumed
 * what the master had at that point, so each trial measures steady-state replication.
 */
export async function waitForStreaming(master: { host: string; port: number; password?: string }, replicas: number): Promise<void> {
  const start = await probeEngine(master, 1000);
  if (!start.reachable) throw new Error('master unreachable');
  const target = start.state.replicationOffset;
  await waitFor('replicas streaming', async () => {
    const probe = await probeEngine(master, 1000);
    return probe.reachable && probe.state.connectedReplicas.filter((r) => r.state === 'online' && r.offset >= target).length >= replicas;
  }, 20_000);
}
