import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HealthMonitor, type MasterDownEvent, type MasterUnreachableEvent, type MonitoredStore, type PingChannel, type ReplicaDisconnectedEvent, type ReplicaView,
  type TimerApi,
} from '../../../reconciler/replication/health-monitor.js';

/** A hand-driven clock and master: the test decides when pings answer and what the replicas report. */
function harness(replicaViews: () => ReplicaView[]) {
  let now = 1_000;
  let masterUp = true;
  let connectedReplicas = 2;
  let opened = 0;
  let closed = 0;
  const manualTimers: TimerApi = { setInterval: () => 1, clearInterval: () => undefined };
  const channel = (): PingChannel => {
    opened += 1;
    return {
      ping: async () => {
        if (!masterUp) throw new Error('ECONNREFUSED');
        return { connectedReplicas, offset: 0, replicas: [] };
      },
      close: () => { closed += 1; },
    };
  };
  const monitor = new HealthMonitor({
    clock: () => now, timers: manualTimers, openChannel: channel, confirmIntervalMs: 0,
    viewReplica: async (replica) => replicaViews().find((v) => v.pod === replica.pod)!,
  });
  const downs: MasterDownEvent[] = [];
  const partitions: MasterUnreachableEvent[] = [];
  monitor.on('masterDown', (e) => downs.push(e));
  monitor.on('masterUnreachable', (e) => partitions.push(e));
  const store: MonitoredStore = {
    key: 'ns/s', downAfterMilliseconds: 1000,
    master: { pod: 's-0', endpoint: { host: '10.0.0.1', port: 6379 } },
    replicas: [{ pod: 's-1', endpoint: { host: '10.0.0.2', port: 6379 } }, { pod: 's-2', endpoint: { host: '10.0.0.3', port: 6379 } }],
  };
  monitor.watch(store);
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const advance = async (ms: number, stepMs = 150) => {
    for (let t = 0; t < ms; t += stepMs) {
      now += stepMs;
      monitor.tick();
      await settle();
      await settle();
    }
  };
  return {
    monitor, store, downs, partitions, advance, settle,
    setMasterUp: (up: boolean) => { masterUp = up; },
    setConnectedReplicas: (count: number) => { connectedReplicas = count; },
    now: () => now, channels: () => ({ opened, closed }),
  };
}

const view = (pod: string, seesMaster: boolean, status: ReplicaView['status']): ReplicaView => ({ pod, seesMaster, status, detail: '' });

test('a master that stops answering is declared down after downAfterMilliseconds once its replicas lost it too', async () => {
  const h = harness(() => [view('s-1', false, 'link-down'), view('s-2', false, 'unreachable')]);
  await h.advance(600);
  assert.equal(h.downs.length, 0);
  h.setMasterUp(false);
  const failedAt = h.now();
  await h.advance(900);
  assert.equal(h.downs.length, 0, 'not before downAfterMilliseconds');
  await h.advance(600);
  assert.equal(h.downs.length, 1);
  const event = h.downs[0]!;
  assert.equal(event.storeKey, 'ns/s');
  assert.equal(event.master.pod, 's-0');
  assert.ok(event.detectedAtMs - event.lastSeenAtMs >= 1000);
  assert.ok(event.lastSeenAtMs <= failedAt);
  assert.deepEqual(event.replicaViews.map((v) => v.status), ['link-down', 'unreachable']);
  assert.equal(h.monitor.isDown('ns/s'), true);
  await h.advance(1000);
  assert.equal(h.downs.length, 1, 'reported once per outage');
  h.monitor.stop();
});

test('no failover when a replica still hears from the master (operator-side partition)', async () => {
  const h = harness(() => [view('s-1', true, 'link-up'), view('s-2', false, 'link-down')]);
  h.setMasterUp(false);
  await h.advance(3000);
  assert.equal(h.downs.length, 0);
  assert.equal(h.partitions.length, 1, 'the partition is reported once');
  assert.deepEqual(h.partitions[0]!.replicaViews.filter((v) => v.seesMaster).map((v) => v.pod), ['s-1']);
  assert.equal(h.monitor.isDown('ns/s'), false);
  // Healed: the operator hears the master again, which is announced so the store's status can recover.
  const ups: string[] = [];
  h.monitor.on('masterUp', (e) => ups.push(e.master.pod));
  h.setMasterUp(true);
  await h.advance(300);
  assert.deepEqual(ups, ['s-0']);
  h.monitor.stop();
});

test('a master that answers again is up; a new master after failover starts a fresh watch', async () => {
  let views = [view('s-1', false, 'link-down'), view('s-2', false, 'link-down')];
  const h = harness(() => views);
  h.setMasterUp(false);
  await h.advance(1500);
  assert.equal(h.downs.length, 1);
  h.monitor.watch({ ...h.store, master: h.store.replicas[0]!, replicas: [h.store.replicas[1]!] });
  assert.deepEqual(h.channels(), { opened: 2, closed: 1 });
  assert.equal(h.monitor.isDown('ns/s'), false);
  h.setMasterUp(true);
  views = [view('s-2', true, 'link-up')];
  await h.advance(2000);
  assert.equal(h.downs.length, 1);
  h.monitor.stop();
  assert.equal(h.channels().closed, 2);
});

test('triggerCheck checks at once; skipDownAfter declares a deleted master down without waiting', async () => {
  const h = harness(() => [view('s-1', false, 'link-down'), view('s-2', false, 'link-down')]);
  assert.equal(await h.monitor.triggerCheck('ns/s'), 'up');
  h.setMasterUp(false);
  assert.equal(await h.monitor.triggerCheck('ns/s'), 'waiting');
  assert.equal(h.downs.length, 0);
  assert.equal(await h.monitor.triggerCheck('ns/s', { skipDownAfter: true }), 'down');
  assert.equal(h.downs.length, 1);
  assert.equal(h.downs[0]!.trigger, 'triggered');
  assert.equal(await h.monitor.triggerCheck('other/store'), 'unknown-store');
  h.monitor.stop();
});

test('a replica leaving the master (restart, REPLICAOF NO ONE by hand) is reported at the next ping, a returning one is not', async () => {
  const h = harness(() => []);
  const disconnects: ReplicaDisconnectedEvent[] = [];
  h.monitor.on('replicaDisconnected', (event) => disconnects.push(event));
  await h.advance(300);
  assert.equal(disconnects.length, 0);
  h.setConnectedReplicas(1);
  await h.advance(150);
  assert.equal(disconnects.length, 1);
  assert.deepEqual({ ...disconnects[0]!, master: disconnects[0]!.master.pod }, { storeKey: 'ns/s', master: 's-0', connectedReplicas: 1, previously: 2 });
  h.setConnectedReplicas(2);
  await h.advance(300);
  assert.equal(disconnects.length, 1, 'a replica coming back is not news');
  assert.deepEqual(h.downs, []);
});
