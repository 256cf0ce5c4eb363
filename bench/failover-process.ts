/**
 * Process mode of the failover benchmark (the default): real redis-server processes, and the controller's own failover
 * path without Kubernetes: the health monitor pointed as the reconciler points it, the pods observed as a reconcile
 * observes them (observePods + probePods), planTopology, and executeTopology's promote/repoint steps
 * (harness/store-processes.ts). A TCP proxy plays the master Service, repointed once the plan is
 * executed. The switchover trials go through the controller's switchMaster the same way. The sandbox mode
 * (failover-sandbox.ts) measures the whole operator through a real master Service.
 */
import { HealthMonitor, type MasterDownEvent } from '../reconciler/replication/health-monitor.js';
import { switchMaster } from '../reconciler/controller/engine-actions.js';
import { RedisFleet } from '../harness/redis-processes.js';
import { ProcessStore } from '../harness/store-processes.js';
import { startTcpProxy } from '../harness/tcp-proxy.js';
import { missingKeys } from '../harness/topology.js';
import { Writer } from '../harness/writer.js';
import { waitForStreaming } from './failover-streaming.js';
import { longestPause, summary, unavailability } from './failover-stats.js';
import { waitFor } from '../harness/wait-for.js';

export interface ProcessModeOptions {
  trials: number;
  downAfterMilliseconds: number;
  minReplicas: number;
  skipSwitchover: boolean;
}

const PASSWORD = 'bench-secret';

function serverArgs(minReplicas: number): string[] {
  return minReplicas > 0 ? ['--min-replicas-to-write', String(minReplicas), '--min-replicas-max-lag', '10'] : [];
}

interface KillTrial { windowMs?: number; detectionMs: number; failoverMs: number; lost: number; acknowledged: number }

async function killTrial(downAfterMilliseconds: number, minReplicas: number): Promise<KillTrial> {
  const fleet = new RedisFleet();
  const monitor = new HealthMonitor({ intervalMs: 100 });
  const store = await ProcessStore.start(fleet, 3, PASSWORD, serverArgs(minReplicas));
  const bootstrap = await store.reconcileTopology();
  if (bootstrap.plan.master !== 's-0') throw new Error(`bootstrap did not elect s-0: ${bootstrap.plan.waiting ?? bootstrap.plan.reason}`);
  const proxy = await startTcpProxy('127.0.0.1', store.endpoint('s-0'));
  try {
    const writer = new Writer({ host: proxy.host, port: proxy.port, password: PASSWORD, prefix: 'k', retryForMs: 30_000, waitReplicas: minReplicas, waitTimeoutMs: 300 });
    await waitFor('warm-up writes', async () => writer.report.acknowledged.length >= 200, 20_000);
    await waitForStreaming(store.endpoint('s-0'), 2);
    const failedOver = new Promise<{ event: MasterDownEvent; failoverMs: number; newMaster: string }>((resolve, reject) => {
      monitor.once('masterDown', (event) => {
        // What the reconcile the masterDown event enqueues does: observe, plan, promote and repoint.
        const startedAt = Date.now();
        store.reconcileTopology({ masterDownConfirmed: true })
          .then(({ plan }) => {
            if (!plan.master || !plan.promote) throw new Error(`failover did not promote: ${plan.waiting ?? plan.reason}`);
            proxy.setTarget(store.endpoint(plan.master));
            resolve({ event, failoverMs: Date.now() - startedAt, newMaster: plan.master });
          })
          .catch(reject);
      });
    });
    await store.watch(monitor, downAfterMilliseconds);
    monitor.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const killedAt = Date.now();
    await fleet.kill(store.pod('s-0').process);
    const { event, failoverMs, newMaster } = await failedOver;
    const ackedAtFailover = writer.report.acknowledged.length;
    await waitFor('writes on the new master', async () => writer.report.acknowledged.length >= ackedAtFailover + 100, 30_000);
    const report = await writer.stop();
    const lost = (await missingKeys(store.endpoint(newMaster), report.acknowledged)).length;
    return { windowMs: unavailability(report, killedAt), detectionMs: event.detectedAtMs - killedAt, failoverMs, lost, acknowledged: report.acknowledged.length };
  } finally {
    monitor.stop();
    await proxy.close();
    await fleet.stopAll();
  }
}

interface SwitchTrial { failed: number; lost: number; pauseMs: number; switchoverMs: number; acknowledged: number }

/**
 * A switchover under writes through the controller's switchMaster (the one switchover path: rollouts, scale-down and
 * the user's redwing.dev/switchover request), given the pods as a reconcile observes and probes them. The proxy (the
 * master Service) is repointed when switchMaster returns, as the reconcile relabels the pods only then.
 */
async function switchoverTrial(minReplicas: number): Promise<SwitchTrial> {
  const fleet = new RedisFleet();
  const store = await ProcessStore.start(fleet, 3, PASSWORD, serverArgs(minReplicas));
  const bootstrap = await store.reconcileTopology();
  if (bootstrap.plan.master !== 's-0') throw new Error(`bootstrap did not elect s-0: ${bootstrap.plan.waiting ?? bootstrap.plan.reason}`);
  const proxy = await startTcpProxy('127.0.0.1', store.endpoint('s-0'));
  try {
    const writer = new Writer({ host: proxy.host, port: proxy.port, password: PASSWORD, prefix: 'k', retryForMs: 1000, waitReplicas: minReplicas, waitTimeoutMs: 300 });
    await waitFor('warm-up writes', async () => writer.report.acknowledged.length >= 200, 20_000);
    await waitForStreaming(store.endpoint('s-0'), 2);
    const probed = await store.observe();
    const startedAt = Date.now();
    const outcome = await switchMaster(store.context, store.kvStore, { engine: 'redis' }, probed.pods, probed.states, 's-0',
      { accept: () => true, why: 'bench' }, { password: PASSWORD, passwordByPod: probed.passwordByPod });
    if (!outcome.moved) throw new Error(`switchMaster did not move the master: ${outcome.reason}`);
    proxy.setTarget(store.endpoint(outcome.to));
    store.knownMaster = outcome.to;
    const ackedAtSwitch = writer.report.acknowledged.length;
    await waitFor('writes on the new master', async () => writer.report.acknowledged.length >= ackedAtSwitch + 100, 30_000);
    const report = await writer.stop();
    const lost = (await missingKeys(store.endpoint(outcome.to), report.acknowledged)).length;
    const pauseMs = longestPause(report, startedAt);
    return { failed: report.failedKeys.length, lost, pauseMs, switchoverMs: outcome.durationMs, acknowledged: report.acknowledged.length };
  } finally {
    await proxy.close();
    await fleet.stopAll();
  }
}

export async function runProcessMode(options: ProcessModeOptions): Promise<void> {
  const { trials, downAfterMilliseconds, minReplicas } = options;
  console.log(`redwing failover bench: ${trials} trials, 3 redis-server processes (1 master + 2 replicas) driven by the controller's planTopology + executeTopology, downAfterMilliseconds ${downAfterMilliseconds}, minReplicasToWrite ${minReplicas}${minReplicas > 0 ? ` (writer uses WAIT ${minReplicas})` : ''}, monitor interval 100 ms`);
  const kills: KillTrial[] = [];
  for (let i = 0; i < trials; i += 1) {
    const trial = await killTrial(downAfterMilliseconds, minReplicas);
    kills.push(trial);
    console.log(`  kill -9 trial ${String(i + 1).padStart(2)}: window ${trial.windowMs ?? 'n/a'} ms, detection ${trial.detectionMs} ms, failover ${trial.failoverMs} ms, acked ${trial.acknowledged}, lost ${trial.lost}`);
  }
  console.log('\nmaster killed (kill -9):');
  console.log(summary('write-unavailability window', kills.map((k) => k.windowMs ?? Number.NaN).filter((n) => !Number.isNaN(n))));
  console.log(summary('detection time', kills.map((k) => k.detectionMs)));
  console.log(summary('observe + plan + promote + repoint', kills.map((k) => k.failoverMs)));
  console.log(`acknowledged writes lost: ${kills.reduce((sum, k) => sum + k.lost, 0)} of ${kills.reduce((sum, k) => sum + k.acknowledged, 0)}`);
  if (options.skipSwitchover) return;
  const switches: SwitchTrial[] = [];
  for (let i = 0; i < trials; i += 1) {
    const trial = await switchoverTrial(minReplicas);
    switches.push(trial);
    console.log(`  switchover trial ${String(i + 1).padStart(2)}: failed writes ${trial.failed}, longest write pause ${trial.pauseMs} ms, switchover ${trial.switchoverMs} ms, acked ${trial.acknowledged}, lost ${trial.lost}`);
  }
  console.log('\nswitchover (the controller\'s switchMaster: FAILOVER TO, then the other replicas repointed; client retrying up to 1 s):');
  console.log(`failed writes: ${switches.reduce((sum, s) => sum + s.failed, 0)} over ${trials} switchovers; acknowledged writes lost: ${switches.reduce((sum, s) => sum + s.lost, 0)} of ${switches.reduce((sum, s) => sum + s.acknowledged, 0)}`);
  console.log(summary('longest write pause', switches.map((s) => s.pauseMs)));
  console.log(summary('switchover duration', switches.map((s) => s.switchoverMs)));
}
