/**
 * A reconcile in flight when the lease is lost sends no promotion afterwards. The store controller's runner
 * (kube/runtime) runs under a manager whose lease the test wins and loses by hand; the reconcile carries out a
 * promotion through the production executor (engine-actions.ts -> replication/promotion.ts) on a real redis-server
 * replica behind a proxy that counts and can hold commands. The promotion's first read is held at the proxy, the
 * lease is lost, the read is let through: the engine must never receive REPLICAOF, and stays a replica. The same
 * setup with the lease kept does promote, so the test can see a promotion when one is sent.
 */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Controller } from '../../../kube/runtime/controller.js';
import { Manager, type LeadershipCallbacks } from '../../../kube/runtime/manager.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { executeTopology } from '../../../reconciler/controller/engine-actions.js';
import { toObservation } from '../../../reconciler/controller/engine-access.js';
import { probeEngine } from '../../../reconciler/replication/index.js';
import type { ObservedPod } from '../../../reconciler/controller/observed.js';
import type { TopologyPlan } from '../../../reconciler/controller/plan-topology.js';
import { freePort, spawnRedisServer, type RedisServerChild } from '../../../harness/redis-server.js';
import { sandboxTestLogger } from '../../../harness/sandbox-logger.js';
import { waitFor } from '../../../harness/wait-for.js';
import { startCommandGateProxy, type CommandGateProxy } from './command-gate-proxy.js';

/** The pod's address: the engine port on a loopback address of its own, as the sandbox gives pods. */
const POD_IP = '127.0.213.7';
const STORE: KVStore = { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'abort', namespace: 'default', uid: 'u-abort' } };
const PLAN: TopologyPlan = { master: 'abort-1', promote: 'abort-1', previousMaster: 'abort-0', reason: 'MasterLost', replicaOf: [], labels: [] };

function manualElector() {
  let callbacks: LeadershipCallbacks | undefined;
  return {
    win: () => callbacks!.onStartedLeading(),
    lose: () => callbacks!.onStoppedLeading(),
    factory: (given: LeadershipCallbacks) => {
      callbacks = given;
      return { start: () => undefined, stop: async () => undefined };
    },
  };
}

describe('a reconcile in flight when the lease is lost', () => {
  let redis: RedisServerChild;
  let redisPort: number;
  let proxy: CommandGateProxy;
  const logger = sandboxTestLogger();
  const roleOf = async () => {
    const client = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return ((await client.call('ROLE')) as unknown[])[0];
    } finally {
      client.disconnect();
    }
  };

  before(async () => {
    redisPort = await freePort();
    // A replica of a master that does not exist: what a replica looks like after its master was lost.
    redis = await spawnRedisServer(['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--replicaof', '127.0.0.1', '1'],
      'the replica', async () => (await roleOf().catch(() => undefined)) === 'slave');
    proxy = await startCommandGateProxy({ host: POD_IP, port: 6379 }, { host: '127.0.0.1', port: redisPort });
  });
  after(async () => {
    await proxy?.shutdown();
    redis?.child.kill('SIGKILL');
    await redis?.exited;
  });

  /** A manager with one store controller whose reconcile promotes abort-1, as the topology phase would. */
  const startManager = () => {
    const elector = manualElector();
    const outcomes: string[] = [];
    const controller = new Controller({
      name: 'kvstore',
      initialKeys: () => ['default/abort'],
      reconcile: async (_key, signal) => {
        // Observed directly (not through the proxy), so everything the proxy sees is the promotion's.
        const probe = await probeEngine({ host: '127.0.0.1', port: redisPort }, 1000);
        if (!probe.reachable) throw new Error(`the replica does not answer: ${probe.error}`);
        const pod: ObservedPod = { name: 'abort-1', ordinal: 1, ip: POD_IP, phase: 'Running', ready: true, terminating: false, engine: toObservation(probe.state) };
        const events = { record: async () => undefined };
        try {
          const { changed } = await executeTopology({ logger, events, signal }, STORE, PLAN, [pod], { passwordByPod: new Map() });
          outcomes.push(changed ? 'promoted' : 'unchanged');
        } catch (error) {
          outcomes.push(signal.aborted ? 'aborted' : `failed: ${String(error)}`);
          throw error;
        }
      },
    });
    const manager = new Manager({ leaderElection: elector.factory });
    manager.add(controller);
    manager.start();
    return { manager, elector, outcomes, controller };
  };

  it('sends no REPLICAOF once the lease is lost, though the promotion had started', async () => {
    const { manager, elector, outcomes, controller } = startManager();
    try {
      proxy.close();
      elector.win();
      // The promotion's first read of the engine is held: the promotion is under way.
      await waitFor('the promotion to read the engine', () => proxy.held > 0, 10_000, 5);
      elector.lose();
      await waitFor('the lease loss to reach the term', () => !manager.isLeader(), 10_000, 5);
      proxy.open();
      await waitFor('the reconcile to end', () => outcomes.length > 0, 10_000, 5);
      await waitFor('the term to end', () => !controller.running, 10_000, 5);
    } finally {
      proxy.open();
      await manager.stop();
    }
    assert.deepEqual(outcomes, ['aborted']);
    assert.ok(proxy.commands.includes('INFO'), `the engine was read (${proxy.commands.join(' ')})`);
    assert.ok(!proxy.commands.includes('REPLICAOF'), `no REPLICAOF reached the engine (${proxy.commands.join(' ')})`);
    assert.equal(await roleOf(), 'slave');
  });

  it('promotes when the lease is kept (the same setup sees a promotion)', async () => {
    const { manager, elector, outcomes } = startManager();
    try {
      elector.win();
      await waitFor('the reconcile to end', () => outcomes.length > 0, 10_000, 5);
    } finally {
      await manager.stop();
    }
    assert.deepEqual(outcomes, ['promoted']);
    assert.ok(proxy.commands.includes('REPLICAOF'));
    assert.equal(await roleOf(), 'master');
  });
});
