/**
 * One fault trial of the sandbox failover benchmark: a writer making acknowledged writes through the master Service,
 * then a fault on the master pod, then the checks every trial ends with (a new master in status, writes back, every
 * acknowledged key read back through the Service, the old master back as a replica).
 *
 *   kill    SIGKILL of the master's processes; the kubelet restarts the container in the same pod.
 *   freeze  SIGSTOP of the master's processes (a hung master: its port stays open, nothing answers), SIGCONT once
 *           writes are back, so the woken master must be demoted, not kept.
 *   delete  the master pod deleted through the API; the StatefulSet recreates it on its volume.
 *
 * The failover window is the time without an acknowledged write: the longest gap between two acknowledged writes from
 * the fault on (a hung master fails each write only at the client's 500 ms command timeout, so "first failed write →
 * first acknowledged" would hide the first half second).
 */
import { paths } from '../kube/paths.js';
import { getStore } from '../harness/sandbox-cluster.js';
import { waitFor } from '../harness/wait-for.js';
import { missingKeys } from '../harness/topology.js';
import { Writer } from '../harness/writer.js';
import type { SandboxStore } from './failover-sandbox-store.js';
import { watchPromotion } from './failover-sandbox-store.js';
import { longestPause } from './failover-stats.js';
import { waitForStreaming } from './failover-streaming.js';

export const FAULTS = ['kill', 'freeze', 'delete'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultTrial {
  fault: Fault;
  master: string;
  /** Fault → first acknowledged write after the longest gap: the time without an acknowledged write. */
  windowMs: number;
  /** Fault → the reconciler's "master down" line (absent when a pod event or a reconcile decided first). */
  detectionMs?: number;
  /** Fault → a replica answering ROLE as master (polled every 25 ms). */
  promotedMs?: number;
  /** status.lastFailover.reason. */
  reason?: string;
  /** Fault → status.master naming the new master. */
  recordedMs: number;
  /** Fault → Ready with the old master a replica again. */
  rejoinMs: number;
  lost: number;
  acknowledged: number;
}

const WARM_UP_WRITES = 200;
/** The kubelet's CrashLoopBackOff doubles per kill of the same pod up to 300 s, so a long run waits that long. */
const REJOIN_TIMEOUT_MS = 420_000;

export function newWriter(store: SandboxStore, prefix: string, retryForMs: number): Writer {
  return new Writer({ ...store.service, prefix, retryForMs, waitReplicas: store.minReplicasToWrite, waitTimeoutMs: 300 });
}

/** Healthy, the replicas streaming from the master, and a writer past its warm-up: steady state. */
export async function steadyWriter(store: SandboxStore, prefix: string, retryForMs: number): Promise<{ writer: Writer; master: string; replicas: Array<{ name: string; ip: string }> }> {
  const pods = await store.healthy();
  const master = pods.find((pod) => pod.role === 'master')!;
  await waitForStreaming({ host: master.ip!, port: 6379, password: store.password }, 2);
  const writer = newWriter(store, prefix, retryForMs);
  try {
    await waitFor('warm-up writes', async () => writer.report.acknowledged.length >= WARM_UP_WRITES, 30_000, 25);
  } catch (error) {
    await writer.stop();
    throw new Error('the writer did not get going through the master Service', { cause: error });
  }
  const replicas = pods.filter((pod) => pod !== master).map((pod) => ({ name: pod.name, ip: pod.ip! }));
  return { writer, master: master.name, replicas };
}

async function inject(store: SandboxStore, fault: Fault, pod: string): Promise<void> {
  const { faults } = store.cluster.sandbox;
  if (fault === 'kill') await faults.crashPod('default', pod);
  else if (fault === 'freeze') await faults.freezePod('default', pod);
  else await store.cluster.client.delete(paths.coreObject('pods', 'default', pod));
}

export async function faultTrial(store: SandboxStore, fault: Fault, index: number): Promise<FaultTrial> {
  const { writer, master, replicas } = await steadyWriter(store, `${fault}${index}`, 30_000);
  let promotion: ReturnType<typeof watchPromotion> | undefined;
  let frozen = false;
  try {
    const faultAt = Date.now();
    promotion = watchPromotion(replicas, store.password, faultAt, 60_000);
    frozen = fault === 'freeze';
    await inject(store, fault, master);
    const failedOver = await waitFor('a new master recorded in status', async () => {
      const current = await getStore(store.cluster.client, store.name);
      return current.status?.master && current.status.master !== master && current.status.lastFailover?.from === master ? current : undefined;
    }, 60_000, 50);
    const recordedMs = Date.now() - faultAt;
    const ackedAtFailover = writer.report.acknowledged.length;
    await waitFor('writes through the master Service again', async () => writer.report.acknowledged.length >= ackedAtFailover + 100, 30_000, 25);
    if (frozen) {
      await store.cluster.sandbox.faults.thawPod('default', master);
      frozen = false;
    }
    const report = await writer.stop();
    // Read back through the Service, as a client would: it now leads to the new master.
    const lost = (await missingKeys(store.service, report.acknowledged)).length;
    await waitFor('the old master back as a replica', async () => {
      const pods = await store.healthy(5_000);
      return pods.find((pod) => pod.name === master)?.role === 'replica';
    }, REJOIN_TIMEOUT_MS, 100);
    const rejoinMs = Date.now() - faultAt;
    const promoted = await promotion.promoted;
    const down = store.log.firstMasterDown(store.key, master, faultAt);
    return {
      fault, master, windowMs: longestPause(report, faultAt), detectionMs: down ? down.atMs - faultAt : undefined,
      promotedMs: promoted?.afterMs, reason: failedOver.status?.lastFailover?.reason, recordedMs, rejoinMs, lost,
      acknowledged: report.acknowledged.length,
    };
  } finally {
    promotion?.stop();
    if (frozen) await store.cluster.sandbox.faults.thawPod('default', master).catch(() => undefined);
    await writer.stop();
  }
}
