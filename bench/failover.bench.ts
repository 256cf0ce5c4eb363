/**
 * Failover and switchover benchmark on real redis-server processes. The health monitor, election and promotion
 * drive a TCP proxy that plays the master Service (repointed when a new master is promoted). A writer makes
 * acknowledged SETs of incrementing keys through it (plus WAIT when minReplicasToWrite > 0).
 *
 *   npm run bench:failover -- [--trials 20] [--down-after 1000] [--min-replicas 1] [--skip-switchover]
 *
 * Prints figures only; it asserts nothing about timings.
 */
import { parseArgs } from 'node:util';
import { performFailover } from '../reconciler/replication/failover.js';
import { HealthMonitor, type MasterDownEvent } from '../reconciler/replication/health-monitor.js';
import { probeEngine, probeEngines } from '../reconciler/replication/probe.js';
import { pickSwitchoverTarget, switchover } from '../reconciler/replication/switchover.js';
import type { PodCandidate } from '../reconciler/replication/election.js';
import { RedisFleet, waitFor } from '../test/reconciler/replication/redis-processes.js';
import { startTcpProxy } from '../test/reconciler/replication/tcp-proxy.js';
import { missingKeys, startTopology } from '../test/reconciler/replication/topology.js';
import { Writer, type WriterReport } from '../test/reconciler/replication/writer.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    'down-after': { type: 'string', default: '1000' },
    'min-replicas': { type: 'string', default: '1' },
    'skip-switchover': { type: 'boolean', default: false },
  },
});
const trials = Number(values.trials);
const downAfterMilliseconds = Number(values['down-after']);
const minReplicas = Number(values['min-replicas']);
const PASSWORD = 'bench-secret';

function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(label: string, samples: number[]): string {
  return `${label.padEnd(34)} p50 ${percentile(samples, 50).toFixed(0).padStart(6)} ms   p95 ${percentile(samples, 95).toFixed(0).padStart(6)} ms   max ${Math.max(...samples).toFixed(0).padStart(6)} ms   (n=${samples.length})`;
}

/** First failed write at or after `fromMs` to the first acknowledged write after it. */
function unavailability(report: WriterReport, fromMs: number): number | undefined {
  const firstError = report.errors.find((e) => e.atMs >= fromMs);
  if (!firstError) return 0;
  // The first write acknowledged after that failure (the writer is sequential, so by position, not by clock).
  const recovered = report.ackTimesMs[firstError.ackedBefore];
  return recovered === undefined ? undefined : recovered - firstError.atMs;
}

/**
 * After a full sync the master streams to a replica only once the replica's first acknowledgement arrived (up to a
 * second later); until then every write lives on the master alone. Warm-up ends when both replicas have consumed
 * what the master had at that point, so each trial measures steady-state replication.
 */
async function waitForStreaming(master: { host: string; port: number; password?: string }, replicas: number): Promise<void> {
  const start = await probeEngine(master, 1000);
  if (!start.reachable) throw new Error('master unreachable');
  const target = start.state.replicationOffset;
  await waitFor('replicas streaming', async () => {
    const probe = await probeEngine(master, 1000);
    return probe.reachable && probe.state.connectedReplicas.filter((r) => r.state === 'online' && r.offset >= target).length >= replicas;
  }, 20_000);
}

function serverArgs(): string[] {
  return minReplicas > 0 ? ['--min-replicas-to-write', String(minReplicas), '--min-replicas-max-lag', '10'] : [];
}

interface KillTrial { windowMs?: number; detectionMs: number; failoverMs: number; lost: number; acknowledged: number }

async function killTrial(): Promise<KillTrial> {
  const fleet = new RedisFleet();
  const monitor = new HealthMonitor({ intervalMs: 100 });
  const topology = await startTopology(fleet, 3, PASSWORD, serverArgs());
  const [master, ...replicas] = topology.pods;
  const proxy = await startTcpProxy('127.0.0.1', master!.endpoint);
  try {
    const writer = new Writer({ host: proxy.host, port: proxy.port, password: PASSWORD, prefix: 'k', retryForMs: 30_000, waitReplicas: minReplicas, waitTimeoutMs: 300 });
    await waitFor('warm-up writes', async () => writer.report.acknowledged.length >= 200, 20_000);
    await waitForStreaming(master!.endpoint, replicas.length);
    const failedOver = new Promise<{ event: MasterDownEvent; failoverMs: number; newMaster: typeof master }>((resolve, reject) => {
      monitor.once('masterDown', (event) => {
        performFailover(topology.pods, { host: master!.endpoint.host, port: master!.endpoint.port }, { masterauth: PASSWORD, probeTimeoutMs: 500 })
          .then((outcome) => {
            if (!outcome.master || !outcome.report?.ok) throw new Error(`failover failed: ${outcome.decision.reason} ${JSON.stringify(outcome.report?.steps)}`);
            proxy.setTarget(outcome.master.endpoint);
            resolve({ event, failoverMs: outcome.durationMs, newMaster: outcome.master });
          })
          .catch(reject);
      });
    });
    monitor.watch({
      key: 'bench/s', downAfterMilliseconds, master: { pod: master!.pod, endpoint: master!.endpoint },
      replicas: replicas.map((r) => ({ pod: r.pod, endpoint: r.endpoint })),
    });
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedAt = Date.now();
    await fleet.kill(topology.processes[0]!);
    const { event, failoverMs, newMaster } = await failedOver;
    const ackedAtFailover = writer.report.acknowledged.length;
    await waitFor('writes on the new master', async () => writer.report.acknowledged.length >= ackedAtFailover + 100, 30_000);
    const report = await writer.stop();
    const lost = (await missingKeys(newMaster!.endpoint, report.acknowledged)).length;
    return { windowMs: unavailability(report, killedAt), detectionMs: event.detectedAtMs - killedAt, failoverMs, lost, acknowledged: report.acknowledged.length };
  } finally {
    monitor.stop();
    await proxy.close();
    await fleet.stopAll();
  }
}

interface SwitchTrial { failed: number; lost: number; pauseMs: number; switchoverMs: number; acknowledged: number }

async function switchoverTrial(): Promise<SwitchTrial> {
  const fleet = new RedisFleet();
  const topology = await startTopology(fleet, 3, PASSWORD, serverArgs());
  const [master, ...replicas] = topology.pods;
  const proxy = await startTcpProxy('127.0.0.1', master!.endpoint);
  try {
    const writer = new Writer({ host: proxy.host, port: proxy.port, password: PASSWORD, prefix: 'k', retryForMs: 1000, waitReplicas: minReplicas, waitTimeoutMs: 300 });
    await waitFor('warm-up writes', async () => writer.report.acknowledged.length >= 200, 20_000);
    await waitForStreaming(master!.endpoint, replicas.length);
    const masterProbe = await probeEngine(master!.endpoint, 1000);
    if (!masterProbe.reachable) throw new Error('master unreachable');
    const probes = await probeEngines(replicas.map((r) => r.endpoint), 1000);
    const candidates: PodCandidate[] = replicas.map((r, i) => {
      const probe = probes[i]!;
      return { pod: r.pod, ordinal: r.ordinal, host: r.endpoint.host, port: r.endpoint.port, state: probe.reachable ? probe.state : undefined };
    });
    const choice = pickSwitchoverTarget(masterProbe.state, candidates, { maxLagBytes: 1_000_000 });
    const target = replicas.find((r) => r.pod === choice.target?.pod);
    if (!target) throw new Error(choice.reason);
    const startedAt = Date.now();
    const result = await switchover({ pod: master!.pod, endpoint: master!.endpoint }, { pod: target.pod, endpoint: target.endpoint }, {
      engine: 'redis', timeoutMs: 3000, masterauth: PASSWORD,
      otherReplicas: replicas.filter((r) => r !== target).map((r) => ({ pod: r.pod, endpoint: r.endpoint })),
      onPromoted: () => proxy.setTarget(target.endpoint),
    });
    if (!result.ok) throw new Error(result.detail);
    const ackedAtSwitch = writer.report.acknowledged.length;
    await waitFor('writes on the new master', async () => writer.report.acknowledged.length >= ackedAtSwitch + 100, 30_000);
    const report = await writer.stop();
    const lost = (await missingKeys(target.endpoint, report.acknowledged)).length;
    // The longest gap between two acknowledged writes around the switchover: how long writes were held.
    let pauseMs = 0;
    for (let i = 1; i < report.ackTimesMs.length; i += 1) {
      if (report.ackTimesMs[i]! >= startedAt) pauseMs = Math.max(pauseMs, report.ackTimesMs[i]! - report.ackTimesMs[i - 1]!);
    }
    return { failed: report.failedKeys.length, lost, pauseMs, switchoverMs: result.durationMs, acknowledged: report.acknowledged.length };
  } finally {
    await proxy.close();
    await fleet.stopAll();
  }
}

async function main(): Promise<void> {
  console.log(`redwing failover bench: ${trials} trials, 3 redis-server processes (1 master + 2 replicas), downAfterMilliseconds ${downAfterMilliseconds}, minReplicasToWrite ${minReplicas}${minReplicas > 0 ? ` (writer uses WAIT ${minReplicas})` : ''}, monitor interval 100 ms`);
  const kills: KillTrial[] = [];
  for (let i = 0; i < trials; i += 1) {
    const trial = await killTrial();
    kills.push(trial);
    console.log(`  kill -9 trial ${String(i + 1).padStart(2)}: window ${trial.windowMs ?? 'n/a'} ms, detection ${trial.detectionMs} ms, failover ${trial.failoverMs} ms, acked ${trial.acknowledged}, lost ${trial.lost}`);
  }
  console.log('\nmaster killed (kill -9):');
  console.log(summary('write-unavailability window', kills.map((k) => k.windowMs ?? Number.NaN).filter((n) => !Number.isNaN(n))));
  console.log(summary('detection time', kills.map((k) => k.detectionMs)));
  console.log(summary('election + promotion', kills.map((k) => k.failoverMs)));
  console.log(`acknowledged writes lost: ${kills.reduce((sum, k) => sum + k.lost, 0)} of ${kills.reduce((sum, k) => sum + k.acknowledged, 0)}`);
  if (values['skip-switchover']) return;
  const switches: SwitchTrial[] = [];
  for (let i = 0; i < trials; i += 1) {
    const trial = await switchoverTrial();
    switches.push(trial);
    console.log(`  switchover trial ${String(i + 1).padStart(2)}: failed writes ${trial.failed}, longest write pause ${trial.pauseMs} ms, switchover ${trial.switchoverMs} ms, acked ${trial.acknowledged}, lost ${trial.lost}`);
  }
  console.log('\nswitchover (FAILOVER TO, client retrying up to 1 s):');
  console.log(`failed writes: ${switches.reduce((sum, s) => sum + s.failed, 0)} over ${trials} switchovers; acknowledged writes lost: ${switches.reduce((sum, s) => sum + s.lost, 0)} of ${switches.reduce((sum, s) => sum + s.acknowledged, 0)}`);
  console.log(summary('longest write pause', switches.map((s) => s.pauseMs)));
  console.log(summary('switchover duration', switches.map((s) => s.switchoverMs)));
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
