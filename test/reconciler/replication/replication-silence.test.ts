/**
 * A hung master judged by its replicas' offsets: the pure rules (replication-silence.ts), then the health monitor on
 * real redis-server processes with Redwing's 1 s ping period. A master frozen with SIGSTOP (port open, links up) must
 * be declared down within downAfterMilliseconds + 0.5 s, busy or idle, while an idle master cut off from the operator
 * alone (a black hole on the operator's path) must never be: its PINGs keep its replicas' offsets moving.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthMonitor, type MasterDownEvent, type MasterUnreachableEvent, type MonitoredStore } from '../../../reconciler/replication/health-monitor.js';
import type { ReplicaView } from '../../../reconciler/replication/monitor-channels.js';
import { judgeBySilence, nextMark, silenceWindowMs, undecided } from '../../../reconciler/replication/replication-silence.js';
import { client, RedisFleet, type RedisProcess } from '../../../harness/redis-processes.js';
import { startTcpProxy, type TcpProxy } from '../../../harness/tcp-proxy.js';
import { startTopology, type Topology } from '../../../harness/topology.js';
import { waitFor } from '../../../harness/wait-for.js';

const seeing = (offset: number | undefined): ReplicaView => ({ pod: 's-1', seesMaster: true, status: 'link-up', detail: 'link up, last I/O 0 s ago', offset });

test('an offset that stands still for a ping period plus the margin stops vouching; one that moves restarts the clock', () => {
  const windowMs = silenceWindowMs(1);
  assert.equal(windowMs, 1100);
  let mark = nextMark(undefined, 500, 1000, { offset: 400, atMs: 900 });
  assert.deepEqual(mark, { offset: 500, sinceMs: 1000, moved: false }, 'beyond the last answer: silent only since this sample');
  assert.equal(judgeBySilence(seeing(500), mark, 2050, windowMs).seesMaster, true);
  assert.equal(undecided(seeing(500), mark, 2050, windowMs), true, 'not a verdict either way yet');
  const judged = judgeBySilence(seeing(500), nextMark(mark, 500, 2100, undefined), 2100, windowMs);
  assert.equal(judged.seesMaster, false);
  assert.equal(judged.status, 'stale');
  assert.match(judged.detail, /no replication traffic for 1100 ms/);
  mark = nextMark(mark, 514, 2000, undefined);
  assert.deepEqual(mark, { offset: 514, sinceMs: 2000, moved: true }, 'a PING arrived: the clock restarts');
  assert.equal(undecided(seeing(514), mark, 2100, windowMs), false, 'traffic after the master went quiet: it vouches');
  assert.equal(judgeBySilence(seeing(514), mark, 2100, windowMs).seesMaster, true);
});

test('an offset at or below the master\'s last answer has been silent since that answer', () => {
  const mark = nextMark(undefined, 400, 1300, { offset: 400, atMs: 900 });
  assert.deepEqual(mark, { offset: 400, sinceMs: 900, moved: false });
  assert.equal(judgeBySilence(seeing(400), mark, 2000, silenceWindowMs(1)).seesMaster, false);
  assert.equal(judgeBySilence(seeing(400), mark, 1950, silenceWindowMs(1)).seesMaster, true);
});

test('no offsets (Dragonfly), a long ping period, or a replica that lost its link: the silence rules stay out of it', () => {
  const mark = { offset: 400, sinceMs: 0, moved: false };
  assert.equal(judgeBySilence(seeing(undefined), mark, 60_000, silenceWindowMs(1)).seesMaster, true);
  assert.equal(undecided(seeing(400), mark, 100, silenceWindowMs(10)), false, 'a 10 s window is not waited out');
  const down: ReplicaView = { pod: 's-1', seesMaster: false, status: 'link-down', detail: 'link down for 1 s', offset: 400 };
  assert.equal(judgeBySilence(down, mark, 60_000, silenceWindowMs(1)), down);
});

const fleet = new RedisFleet();
const monitors: HealthMonitor[] = [];
const proxies: TcpProxy[] = [];
const frozen: RedisProcess[] = [];
after(async () => {
  for (const monitor of monitors) monitor.stop();
  for (const proxy of proxies) await proxy.close();
  for (const proc of frozen) proc.child.kill('SIGCONT');
  await fleet.stopAll();
});

const PASSWORD = 'silence-secret';
/** As Redwing renders it (engine-settings.ts): a live master PINGs its replicas every second. */
const PING_PERIOD = ['--repl-ping-replica-period', '1'];

function watch(topology: Topology, store: Partial<MonitoredStore> = {}) {
  const [master, ...replicas] = topology.pods;
  const monitor = new HealthMonitor();
  monitors.push(monitor);
  const downs: MasterDownEvent[] = [];
  const unreachable: MasterUnreachableEvent[] = [];
  monitor.on('masterDown', (event) => downs.push(event));
  monitor.on('masterUnreachable', (event) => unreachable.push(event));
  monitor.watch({
    key: 'default/s', downAfterMilliseconds: 1000,
    master: { pod: master!.pod, endpoint: master!.endpoint }, replicas: replicas.map((r) => ({ pod: r.pod, endpoint: r.endpoint })), ...store,
  });
  monitor.start();
  return { monitor, downs, unreachable };
}

/** SIGSTOPs the master (optionally while a client writes to it) and returns ms from the freeze to masterDown. */
async function freezeAndDetect(writing: boolean): Promise<{ detectionMs: number; unreachable: number }> {
  const topology = await startTopology(fleet, 3, PASSWORD, PING_PERIOD);
  const { downs, unreachable } = watch(topology);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const writer = client(topology.pods[0]!.endpoint);
  let writes = 0;
  let stop = false;
  const loop = writing ? (async () => {
    await writer.connect();
    while (!stop) {
      await writer.set(`k${writes}`, 'v').then(() => { writes += 1; }, () => { stop = true; });
    }
  })() : Promise.resolve();
  if (writing) await waitFor('writes flowing', async () => writes > 200, 10_000, 10);
  const master = topology.processes[0]!;
  frozen.push(master);
  master.child.kill('SIGSTOP');
  const frozenAt = Date.now();
  try {
    const event = await waitFor('masterDown', () => downs[0], 15_000, 10);
    return { detectionMs: event.detectedAtMs - frozenAt, unreachable: unreachable.length };
  } finally {
    stop = true;
    master.child.kill('SIGCONT');
    writer.disconnect();
    await loop;
  }
}

test('a master frozen under writes is declared down within downAfterMilliseconds + 0.5 s, with no "operator only" report', async (t) => {
  const { detectionMs, unreachable } = await freezeAndDetect(true);
  t.diagnostic(`declared down ${detectionMs} ms after the freeze`);
  // Before: 2.5–3.9 s (master_last_io_seconds_ago had to reach 3).
  assert.ok(detectionMs <= 1500, `declared down ${detectionMs} ms after the freeze`);
  assert.equal(unreachable, 0, 'a hung master is not reported as cut off from the operator only');
});

test('an idle master frozen is declared down within downAfterMilliseconds + 0.5 s', async (t) => {
  const { detectionMs } = await freezeAndDetect(false);
  t.diagnostic(`declared down ${detectionMs} ms after the freeze`);
  assert.ok(detectionMs <= 1500, `declared down ${detectionMs} ms after the freeze`);
});

test('an idle, live master behind a black hole on the operator\'s path only: its PINGs keep it alive, no failover', async () => {
  const topology = await startTopology(fleet, 3, PASSWORD, PING_PERIOD);
  const master = topology.processes[0]!;
  const blackhole = await startTcpProxy(master.host, undefined, { blackhole: true });
  proxies.push(blackhole);
  const [pod] = topology.pods;
  const { monitor, downs, unreachable } = watch(topology, {
    master: { pod: pod!.pod, endpoint: { ...pod!.endpoint, port: blackhole.port }, replicationAddress: { host: master.host, port: master.port } },
  });
  await waitFor('the partition to be reported', async () => unreachable.length > 0, 10_000);
  // Idle for several windows: only the master's own PINGs move the replicas' offsets.
  await new Promise((resolve) => setTimeout(resolve, 4000));
  assert.equal(downs.length, 0);
  assert.equal(monitor.isDown('default/s'), false);
});
