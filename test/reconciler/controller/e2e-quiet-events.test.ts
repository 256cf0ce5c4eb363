/**
 * Issue 18, "healthy stores raise warnings": a healthy store's normal life (create, scale 3 -> 5 -> 3, a rolling
 * update) raises no Warning Event, from the reconciler or from the kubelet's probes, and its phase never reads
 * Degraded. Every status the store passes through is sampled, and every Event of the namespace is listed at the end;
 * the rollout's switchover is told by one Event (no generic MasterElected for the same move).
 * A store whose password Secret is missing says so, naming the Secret and how to create it, in a condition and an
 * Event, and starts once the Secret exists.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import { getStore, kvstore, useReconcilerOnSandbox, waitFor } from './e2e-helpers.js';

const STORE = 'quiet';

interface EventItem { type?: string; reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } }

describe('reconciler end to end: a healthy store raises no warning', { timeout: 600_000 }, () => {
  const e2e = useReconcilerOnSandbox();

  it('create, scale 3 -> 5 -> 3 and a rollout: no Warning Event, never Degraded', async () => {
    const client = e2e.cluster.client;
    const phases: string[] = [];
    const degradedMessages = new Set<string>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const store = await client.getOptional<KVStore>(paths.kvstore('default', STORE));
        const phase = store?.status?.phase;
        if (phase && phases.at(-1) !== phase) phases.push(phase);
        const degraded = store?.status?.conditions?.find((condition) => condition.type === 'Degraded' && condition.status === 'True');
        if (degraded) degradedMessages.add(degraded.message);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    const settled = (replicas: number, generation?: number) => waitFor(`${STORE} Ready with ${replicas} pods`, async () => {
      const store = await getStore(client, STORE);
      const status = store.status;
      return status?.phase === 'Ready' && status.readyReplicas === replicas && status.replicas === replicas
        && (generation === undefined || status.observedGeneration === store.metadata?.generation);
    }, 180_000);
    try {
      await client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 3 }));
      await settled(3);
      await client.patch(paths.kvstore('default', STORE), { spec: { replicas: 5 } });
      await settled(5, 1);
      await client.patch(paths.kvstore('default', STORE), { spec: { replicas: 3 } });
      await settled(3, 1);
      // A change the engine cannot take live: every pod is replaced, replicas first, then a switchover.
      await client.patch(paths.kvstore('default', STORE), { spec: { terminationGracePeriodSeconds: 20 } });
      await waitFor('the rollout to start', async () => (await getStore(client, STORE)).status?.phase === 'Updating' || phases.includes('Updating'), 30_000);
      // The rollout ends with the master handed over: its Event, then the store settled on the new revision.
      await waitFor('the rollout\'s switchover', async () => (await client.list<EventItem>(paths.core('events', 'default'))).items
        .some((event) => event.involvedObject?.name === STORE && event.reason === 'MasterElected' && event.message?.startsWith('switched the master over')), 180_000);
      await settled(3, 1);
    } finally {
      sampling = false;
      await sampler;
    }
    const events = (await client.list<EventItem>(paths.core('events', 'default'))).items;
    const warnings = events.filter((event) => event.type === 'Warning').map((event) => `${event.involvedObject?.kind}/${event.involvedObject?.name} ${event.reason}: ${event.message}`);
    assert.deepEqual(warnings, [], 'no Warning Event');
    assert.ok(!phases.includes('Degraded'), `phases: ${phases.join(' -> ')}; Degraded said: ${[...degradedMessages].join(' | ')}`);
    assert.ok(phases.includes('Updating'), `phases: ${phases.join(' -> ')}`);
    assert.ok(events.some((event) => event.reason === 'Scaled' || event.reason === 'ReplicaJoined'), 'the Normal Events are there');
    // The rollout's switchover is told once, by switchMaster's Event, not again as a status change.
    const mine = events.filter((event) => event.involvedObject?.name === STORE && event.reason === 'MasterElected').map((event) => event.message ?? '');
    assert.ok(mine.some((message) => message.startsWith('switched the master over') && message.includes('rolling update')), mine.join(' | '));
    assert.deepEqual(mine.filter((message) => message.startsWith('master moved from')), [], 'no second Event for the same move');
  });

  it('a missing password Secret: a condition and a Warning Event naming it and what to create; Ready once it exists', async () => {
    const client = e2e.cluster.client;
    const name = 'nosecret';
    await client.create(paths.kvstores('default'), kvstore(name, { replicas: 1, authentication: { enabled: true, passwordFromSecret: { name: 'nosecret-password', key: 'password' } } }));
    const degraded = await waitFor('the Degraded condition', async () => {
      const store = await getStore(client, name);
      return store.status?.conditions?.find((condition) => condition.type === 'Degraded' && condition.status === 'True');
    }, 60_000);
    assert.equal(degraded.reason, 'PasswordSecretMissing');
    assert.match(degraded.message, /password Secret default\/nosecret-password does not exist: create it \(kubectl -n default create secret generic nosecret-password --from-literal=password=<password>\)/);
    const warning = await waitFor('the Warning Event', async () => (await client.list<EventItem>(paths.core('events', 'default'))).items
      .find((event) => event.type === 'Warning' && event.involvedObject?.name === name), 30_000);
    assert.equal(warning.message, degraded.message);
    await client.create(paths.core('secrets', 'default'), { metadata: { name: 'nosecret-password' }, stringData: { password: 'made-by-the-user' } });
    await waitFor(`${name} Ready`, async () => (await getStore(client, name)).status?.phase === 'Ready', 120_000);
  });
});
