/** A master and its replicas as real redis-server processes, described the way the controller describes pods. */
import type { EngineEndpoint } from '../reconciler/replication/engine-connection.js';
import { probeEngine } from '../reconciler/replication/probe.js';
import { command, loopbackHosts, type RedisFleet, type RedisProcess } from './redis-processes.js';
import { waitFor } from './wait-for.js';

/** A process named as a pod, addressed as the health monitor and the switchover address it. */
export interface TopologyPod {
  pod: string;
  ordinal: number;
  endpoint: EngineEndpoint;
}

export interface Topology {
  processes: RedisProcess[];
  pods: TopologyPod[];
  password?: string;
}

export function podOf(proc: RedisProcess, ordinal: number, password?: string): TopologyPod {
  return { pod: `s-${ordinal}`, ordinal, endpoint: { host: proc.host, port: proc.port, password } };
}

export async function startTopology(fleet: RedisFleet, size: number, password?: string, args: string[] = []): Promise<Topology> {
  const hosts = loopbackHosts(size);
  const master = await fleet.start({ host: hosts[0]!, password, args });
  const replicas = await Promise.all(hosts.slice(1).map((host) => fleet.start({ host, password, replicaOf: master, args })));
  const processes = [master, ...replicas];
  await waitForSync(master, replicas.length);
  return { processes, pods: processes.map((p, i) => podOf(p, i, password)), password };
}

/** Until the master sees `count` online replicas at its own offset. */
export async function waitForSync(master: RedisProcess | { host: string; port: number; password?: string }, count: number, timeoutMs = 15_000): Promise<void> {
  await waitFor(`${count} replicas in sync with ${master.host}:${master.port}`, async () => {
    const probe = await probeEngine(master, 1000);
    if (!probe.reachable || probe.state.role !== 'master') return false;
    const online = probe.state.connectedReplicas.filter((r) => r.state === 'online' && r.offset === probe.state.replicationOffset);
    return online.length >= count;
  }, timeoutMs);
}

/** Writes `count` keys, each acknowledged, and returns their names. */
export async function writeKeys(target: { host: string; port: number; password?: string }, prefix: string, count: number): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const key = `${prefix}:${i}`;
    if ((await command(target, 'SET', key, String(i))) === 'OK') keys.push(key);
  }
  return keys;
}

export async function missingKeys(target: { host: string; port: number; password?: string }, keys: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    const values = (await command(target, 'MGET', ...chunk)) as (string | null)[];
    chunk.forEach((key, j) => { if (values[j] === null) missing.push(key); });
  }
  return missing;
}
