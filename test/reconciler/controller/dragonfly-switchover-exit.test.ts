/**
 * A Dragonfly switchover's old master exits by design (REPLTAKEOVER: code 0, 27-54 ms later). The switchover runs on
 * servers that answer what a real Dragonfly v1.34.1 answered (test/helpers/resp-replay-server.ts over
 * ../shared/research/dragonfly); the exit then reaches the store's failover clock as the pod watch and the health
 * monitor deliver it (store-watches.ts on caches filled by hand, a real HealthMonitor), while the store's recorded
 * master still names the old pod (the status write not yet seen). It must not be a failover: no down verdict, no
 * lastFailover for a requested move (a planned one keeps its switchover reason, once), no FailedOver Event, nothing
 * counted; the restarted pod, probed from the recording, rejoins as a replica of the new master.
 */
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { KubeObject } from '../../../kube/client.js';
import { handStoreInformers } from '../../helpers/hand-informers.js';
import { LABEL_INSTANCE } from '../../../shared/labels.js';
import type { KVStoreStatus } from '../../../shared/schema/kvstore.js';
import { ASSIGNED_MARK_USER, ENGINE_CONTAINER_NAME } from '../../../reconciler/desired/constants.js';
import { HealthMonitor, type MonitorTarget } from '../../../reconciler/replication/index.js';
import { probeEngine } from '../../../reconciler/replication/probe.js';
import { switchover } from '../../../reconciler/replication/switchover.js';
import { toObservation } from '../../../reconciler/controller/engine-access.js';
import { transitionEvents } from '../../../reconciler/controller/events.js';
import { EXPECTED_EXIT_WINDOW_MS, FailoverClock } from '../../../reconciler/controller/failover-clock.js';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import { planTopology } from '../../../reconciler/controller/plan-topology.js';
import { computeStatus } from '../../../reconciler/controller/status.js';
import { StoreMemories } from '../../../reconciler/controller/store-memory.js';
import { watchStores } from '../../../reconciler/controller/store-watches.js';
import {
  dragonflyRecordingsSkip, readRecordings, startRespReplayServer, type ReplayServer, type ReplaySource,
} from '../../helpers/resp-replay-server.js';

const recordings = readRecordings('transcripts.json');
/** INFO sections, ACL LIST, CLIENT SETNAME: recorded on this node only; other nodes borrow them. */
const MASTER: ReplaySource = { scenario: 'master-rdb-format', node: 'master' };
const PASSWORD = 'p';

const servers: ReplayServer[] = [];
after(async () => {
  for (const server of servers) await server.close();
});

function recordedRaw(scenario: string, node: string, command: string): string {
  const entry = recordings.find((e) => e.scenario === scenario && e.node === node && e.command.join(' ') === command);
  assert.ok(entry, `recorded: ${scenario}/${node} ${command}`);
  return entry.raw;
}

/** ACL LIST as recorded, with the reconciler's mark when the engine was assigned a role (not after a restart). */
function aclList(marked: boolean): string {
  const recorded = recordings.find((e) => e.scenario === MASTER.scenario && e.node === MASTER.node && e.command.join(' ') === 'ACL LIST');
  const lines = [...(recorded?.reply as string[]), ...(marked ? [`user ${ASSIGNED_MARK_USER} off resetchannels -@all $all`] : [])];
  return `*${lines.length}\r\n${lines.map((line) => `$${Buffer.byteLength(line)}\r\n${line}\r\n`).join('')}`;
}

async function replayed(sources: ReplaySource[], marked: boolean, onCommand?: (command: string[], sources: ReplaySource[]) => string | undefined) {
  const mutable = [...sources, MASTER];
  const server = await startRespReplayServer({
    recordings, sources: mutable,
    respond(command) {
      const custom = onCommand?.(command, mutable);
      if (custom !== undefined) return custom;
      if (command[0]?.toUpperCase() === 'ACL' && command[1]?.toUpperCase() === 'LIST') return aclList(marked);
      return undefined;
    },
  });
  servers.push(server);
  return { server, endpoint: { host: server.host, port: server.port, password: PASSWORD } };
}

/** The REPLTAKEOVER switchover of df-0 to df-1 on replayed engines; returns df-1 probed as the new master. */
async function takeOver(): Promise<ObservedPod> {
  const oldMaster = await replayed([{ scenario: 'repltakeover', node: 'master' }], true);
  const target = await replayed([{ scenario: 'repltakeover', node: 'replica' }, { scenario: 'replication-main-port-stable', node: 'replica' }], true, (command, sources) => {
    if (command[0]?.toUpperCase() !== 'REPLTAKEOVER') return undefined;
    // From here on the node answers as the recording's new master.
    sources.splice(0, sources.length, { scenario: 'repltakeover', node: 'new-master' }, MASTER);
    return recordedRaw('repltakeover', 'replica', 'REPLTAKEOVER 10');
  });
  const result = await switchover({ pod: 'df-0', endpoint: oldMaster.endpoint }, { pod: 'df-1', endpoint: target.endpoint }, { engine: 'dragonfly', timeoutMs: 2000 });
  assert.equal(result.ok, true, result.detail);
  assert.deepEqual(oldMaster.server.received, [], 'nothing is sent to the old master, which exits');
  const probed = await probeEngine(target.endpoint, 2000);
  assert.ok(probed.reachable, probed.reachable ? '' : probed.error);
  assert.equal(probed.state.role, 'master');
  return observed('df-1', 1, '127.0.0.11', toObservation(probed.state), 'master');
}

/** df-0 after its exit and restart, probed from the recording of a restarted Dragonfly: unmarked, so fenced. */
async function restartedOldMaster(): Promise<ObservedPod> {
  const restarted = await replayed([{ scenario: 'restart-load-complete', node: 'restarted' }], false);
  const probed = await probeEngine(restarted.endpoint, 2000);
  assert.ok(probed.reachable, probed.reachable ? '' : probed.error);
  assert.equal(probed.state.fenced, true, 'a restarted Dragonfly is out of the store until assigned again');
  // Not ready (readiness checks the mark), its engine restarted once.
  return { ...observed('df-0', 0, '127.0.0.10', toObservation(probed.state), 'master'), ready: false, container: { restarts: 1, runningSince: '2026-12-07T06:00:01Z' } };
}

function observed(name: string, ordinal: number, ip: string, engine: ObservedPod['engine'], roleLabel: string): ObservedPod {
  return { name, ordinal, ip, phase: 'Running', ready: true, terminating: false, roleLabel, engine };
}

/** The store's watches on hand-filled caches; the store's recorded master is df-0. */
function watched(nowMs: () => number) {
  const { caches, informers } = handStoreInformers();
  const monitor = new HealthMonitor();
  const memories = new StoreMemories();
  watchStores({ informers, monitor, memories, enqueue: () => undefined, logger: pino({ level: 'silent' }) });
  caches.stores.change('add', { metadata: { namespace: 'default', name: 'df', generation: 1 }, status: { master: 'df-0' } } as KubeObject);
  const memory = memories.ensure('default/df');
  (memory as { failover: FailoverClock }).failover = new FailoverClock(nowMs);
  return { caches, monitor, clock: memory.failover };
}

/** The engine container of df-0 as the kubelet reports it: running, then exited 0 (Completed), then restarted. */
function enginePod(state: 'running' | 'exited' | 'restarted'): KubeObject {
  const container = state === 'running'
    ? { name: ENGINE_CONTAINER_NAME, restartCount: 0, state: { running: { startedAt: '2026-12-07T06:00:00Z' } } }
    : state === 'exited'
      ? { name: ENGINE_CONTAINER_NAME, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }
      : { name: ENGINE_CONTAINER_NAME, restartCount: 1, state: { running: { startedAt: '2026-12-07T06:00:01Z' } }, lastState: { terminated: { exitCode: 0, reason: 'Completed' } } };
  return { metadata: { namespace: 'default', name: 'df-0', labels: { [LABEL_INSTANCE]: 'df' } }, status: { phase: 'Running', containerStatuses: [container] } } as KubeObject;
}

const monitorTarget: MonitorTarget = { pod: 'df-0', endpoint: { host: '127.0.0.1', port: 6379 }, aliases: [] };

/** The old master's exit as the pod watch sees it, then the monitor's verdict on it. */
function oldMasterExits(caches: ReturnType<typeof watched>['caches'], monitor: HealthMonitor): void {
  caches.pods.change('update', enginePod('exited'), enginePod('running'));
  caches.pods.change('update', enginePod('restarted'), enginePod('exited'));
  monitor.emit('masterDown', { storeKey: 'default/df', master: monitorTarget, trigger: 'ping' });
}

const before: KVStoreStatus = { phase: 'Ready', master: 'df-0', lastFailover: { time: '2026-12-01T00:00:00Z', from: 'df-1', to: 'df-0', reason: 'MasterPodDeleted', durationMs: 900 } };

function statusAfter(pods: ObservedPod[], clock: FailoverClock, previous: KVStoreStatus) {
  const plan = planTopology({ pods, knownMaster: previous.master, masterDownConfirmed: clock.masterDownConfirmed, failoverEnabled: true, port: 6379 });
  const failover = clock.settle(previous.master, plan.master);
  const status = computeStatus({
    desiredReplicas: 2, selector: 'x', pods, plan, previous, now: new Date('2026-12-07T06:00:02Z'), failover, restartExpected: (pod) => clock.exitIsExpected(pod),
  });
  return { plan, failover, status };
}

describe('a Dragonfly switchover: the old master exits, and that is no failover', { skip: dragonflyRecordingsSkip }, () => {
  it('a requested switchover: no down verdict, no lastFailover, no FailedOver, nothing counted; df-0 rejoins as a replica', async () => {
    const now = 1_000_000;
    const { caches, monitor, clock } = watched(() => now);
    caches.pods.change('add', enginePod('running'));
    const newMaster = await takeOver();
    clock.switchedOverOnRequest({ from: 'df-0', to: 'df-1' });
    oldMasterExits(caches, monitor);
    assert.equal(clock.masterDownConfirmed, false, 'the exit after REPLTAKEOVER is expected');

    const pods = [await restartedOldMaster(), newMaster];
    const { plan, failover, status } = statusAfter(pods, clock, before);
    assert.equal(plan.master, 'df-1');
    assert.equal(plan.promote, undefined, 'no election: df-1 is master already');
    assert.deepEqual(plan.replicaOf.map((step) => step.pod), ['df-0'], 'the old master rejoins as a replica');
    assert.equal(failover, undefined);
    assert.equal(status.master, 'df-1');
    assert.deepEqual(status.lastFailover, before.lastFailover, 'lastFailover unchanged');
    assert.ok(!transitionEvents(before, status).some((event) => event.reason === 'FailedOver'));
    const degraded = status.conditions?.find((condition) => condition.type === 'Degraded');
    assert.equal(degraded?.status, 'False', `its restart is no crash: ${degraded?.message}`);
    // The informer still shows df-0 on the next reconcile: still nothing recorded.
    assert.equal(clock.settle('df-0', 'df-1'), undefined);
    assert.equal(clock.settle('df-1', 'df-1'), undefined, 'a status shows the move');
  });

  it('a rollout switchover keeps its one planned record and is not counted, even read back stale', async () => {
    const now = 1_000_000;
    const { caches, monitor, clock } = watched(() => now);
    caches.pods.change('add', enginePod('running'));
    const newMaster = await takeOver();
    clock.switchedOver('RollingUpdateSwitchover', { from: 'df-0', to: 'df-1' });
    oldMasterExits(caches, monitor);
    assert.equal(clock.masterDownConfirmed, false);
    const { failover, status } = statusAfter([await restartedOldMaster(), newMaster], clock, before);
    assert.equal(failover?.reason, 'RollingUpdateSwitchover');
    assert.deepEqual(clock.recorded(), { unplanned: false }, 'redwing_failovers_total is not incremented');
    assert.ok(!transitionEvents(before, status).some((event) => event.reason === 'FailedOver'));
    // The next reconcile reads a status that does not show the write yet: the same record, still planned.
    assert.deepEqual(clock.settle('df-0', 'df-1'), failover);
    assert.deepEqual(clock.recorded(), { unplanned: false });
  });

  it('without a switchover, the same exit of the master is a failover at once; after the window, too', async () => {
    let now = 1_000_000;
    const plain = watched(() => now);
    plain.caches.pods.change('add', enginePod('running'));
    oldMasterExits(plain.caches, plain.monitor);
    assert.equal(plain.clock.masterDownReason, 'MasterRestarted');

    const late = watched(() => now);
    late.caches.pods.change('add', enginePod('running'));
    late.clock.switchedOverOnRequest({ from: 'df-0', to: 'df-1' });
    now += EXPECTED_EXIT_WINDOW_MS;
    oldMasterExits(late.caches, late.monitor);
    assert.equal(late.clock.masterDownReason, 'MasterRestarted', 'an exit long after the switchover is judged as usual');
  });
});
