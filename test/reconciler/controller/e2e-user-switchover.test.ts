/**
 * End to end on the sandbox: a switchover asked for with the redwing.dev/switchover annotation, under a writer whose
 * writes a replica acknowledges (WAIT 1). The master moves to the named pod, no acknowledged write is lost, nothing
 * is recorded as a failover (status.lastFailover, redwing_failovers_total), a Normal Switchover Event names both
 * masters (and is the only Event of the move: no generic MasterElected beside it) and the annotation is removed. A request naming a pod that does not exist is refused with a Warning Event
 * and removed too; then 'any' moves the master again.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { paths } from '../../../kube/paths.js';
import { ANNOTATION_SWITCHOVER } from '../../../shared/labels.js';
import { AckedWriter } from './acked-writer.js';
import { getStore, kvstore, redisCommand, storePassword, useReconcilerOnSandbox, waitFor, waitStoreReady } from './e2e-helpers.js';

const STORE = 'asked';

interface EventItem { type?: string; reason?: string; message?: string; involvedObject?: { kind?: string; name?: string } }

describe('reconciler end to end: a switchover asked for by annotation', { timeout: 240_000 }, () => {
  const e2e = useReconcilerOnSandbox();

  const requestSwitchover = (value: string) => e2e.cluster.client.patch(paths.kvstore('default', STORE), { metadata: { annotations: { [ANNOTATION_SWITCHOVER]: value } } });
  const annotation = async () => (await getStore(e2e.cluster.client, STORE)).metadata?.annotations?.[ANNOTATION_SWITCHOVER];
  async function storeEvents(reason: string): Promise<EventItem[]> {
    const events = (await e2e.cluster.client.list<EventItem>(paths.core('events', 'default'))).items;
    return events.filter((event) => event.involvedObject?.name === STORE && event.reason === reason);
  }
  /** The generic Event of a status whose master changed (events.ts), which a switchover's own Event makes redundant. */
  const masterMovedEvents = async () => (await storeEvents('MasterElected')).filter((event) => event.message?.startsWith('master moved from'));
  async function failoversCounted(): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${e2e.reconciler.metricsPort}/metrics`)).text();
    const line = text.split('\n').find((entry) => entry.startsWith('redwing_failovers_total{') && entry.includes(`store="${STORE}"`));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('moves the master to the named replica under writes, loses no acknowledged write, records no failover, removes the annotation', async (t) => {
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore(STORE, { replicas: 3 }));
    const pods = await waitStoreReady(e2e.cluster.client, STORE, 3, { timeoutMs: 120_000 });
    const password = await storePassword(e2e.cluster.client, STORE);
    const before = await getStore(e2e.cluster.client, STORE);
    const oldMaster = before.status!.master!;
    const target = pods.find((pod) => pod.role === 'replica')!.name;
    const serviceIp = (await e2e.cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', STORE))).spec.clusterIP;

    const writer = new AckedWriter(serviceIp, password, 'asked');
    writer.start();
    try {
      await waitFor('the writer to be acknowledged', async () => writer.acknowledged.length >= 20, 45_000, 100);
      await requestSwitchover(target);
      await waitFor(`status.master to move to ${target}`, async () => (await getStore(e2e.cluster.client, STORE)).status?.master === target, 30_000, 100);
      const count = writer.acknowledged.length;
      await waitFor('writes acknowledged by the new master', async () => writer.acknowledged.length >= count + 20, 30_000, 100);
    } finally {
      await writer.stop();
    }

    await waitFor('the annotation to be removed', async () => (await annotation()) === undefined, 15_000, 100);
    const after = await getStore(e2e.cluster.client, STORE);
    assert.deepEqual(after.status?.lastFailover, before.status?.lastFailover, 'a requested switchover is not recorded as a failover');
    assert.equal(await failoversCounted(), 0, 'redwing_failovers_total did not count it');
    const switched = await storeEvents('Switchover');
    assert.ok(switched.some((event) => event.type === 'Normal' && event.message?.includes(`from ${oldMaster} to ${target}`)), JSON.stringify(switched));
    t.diagnostic(`Switchover: ${switched[0]?.message}; longest gap between acknowledged writes ${writer.longestGapMs} ms`);
    assert.deepEqual(await storeEvents('FailedOver'), [], 'no FailedOver Event');
    assert.deepEqual(await masterMovedEvents(), [], 'one Event for the switchover: no generic MasterElected beside it');

    const newMaster = (await waitStoreReady(e2e.cluster.client, STORE, 3, { timeoutMs: 60_000 })).find((pod) => pod.role === 'master')!;
    assert.equal(newMaster.name, target);
    const missing: string[] = [];
    for (const write of writer.acknowledged) {
      if ((await redisCommand(newMaster.ip!, password, 'GET', write.key)) !== write.value) missing.push(write.key);
    }
    assert.deepEqual(missing, [], `no acknowledged write lost (of ${writer.acknowledged.length})`);
  });

  it('refuses a pod that does not exist with a Warning Event and removes the request; then any moves the master', async (t) => {
    const master = (await getStore(e2e.cluster.client, STORE)).status!.master!;
    await requestSwitchover(`${STORE}-9`);
    await waitFor('a SwitchoverRefused Event', async () => (await storeEvents('SwitchoverRefused')).length > 0, 15_000, 100);
    const [refused] = await storeEvents('SwitchoverRefused');
    assert.equal(refused!.type, 'Warning');
    assert.match(refused!.message ?? '', new RegExp(`${STORE}-9.*the store has 3 pods`));
    t.diagnostic(`SwitchoverRefused: ${refused!.message}`);
    await waitFor('the annotation to be removed', async () => (await annotation()) === undefined, 15_000, 100);
    assert.equal((await getStore(e2e.cluster.client, STORE)).status?.master, master, 'the master stayed');

    await requestSwitchover('any');
    await waitFor('status.master to move off the old master', async () => {
      const status = (await getStore(e2e.cluster.client, STORE)).status;
      return status?.master !== undefined && status.master !== master;
    }, 30_000, 100);
    await waitFor('the annotation to be removed', async () => (await annotation()) === undefined, 15_000, 100);
    assert.equal(await failoversCounted(), 0);
    assert.equal((await storeEvents('Switchover')).length, 2, 'each switchover told once, by its own Event');
    assert.deepEqual(await masterMovedEvents(), []);
  });
});
