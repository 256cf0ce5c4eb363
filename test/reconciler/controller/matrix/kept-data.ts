/**
 * Scenario: data and credentials kept together. A TLS store deleted with keepAfterDeletion (the default) leaves its
 * PVCs, its password Secret and its TLS Secret; re-created under the same name it serves the old data with the old
 * password and certificate, and owns both Secrets again. Deleted once more with keepAfterDeletion false, the
 * Secrets go with it.
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { paths } from '../../../../kube/paths.js';
import type { Engine } from '../../../../shared/schema/kvstore.js';
import { getStore, kvstore, listStorePods, storePassword, waitFor, waitStoreReady, type ReconcilerOnSandbox } from '../e2e-helpers.js';
import { storeServingCa, tlsCommand } from './tls-clients.js';

const STORE = 'kept';

interface SecretView {
  metadata: { uid: string; ownerReferences?: Array<{ kind: string; uid: string }>; deletionTimestamp?: string };
  data: Record<string, string>;
}

export function dataAndCredentialsKeptTogether(e2e: ReconcilerOnSandbox, engine: Engine): void {
  const client = () => e2e.cluster.client;
  const secret = (name: string) => client().getOptional<SecretView>(paths.coreObject('secrets', 'default', name));
  const deleteStore = async () => {
    await client().delete(paths.kvstore('default', STORE));
    await waitFor('the store to be gone', async () => (await client().getOptional(paths.kvstore('default', STORE))) === undefined, 60_000);
    // Pods go through the StatefulSet, which garbage collection removes with the store: once they are gone, so is
    // everything else the store still owned.
    await waitFor('the pods to be gone', async () => (await listStorePods(client(), STORE)).length === 0, 60_000);
  };

  it(`${engine}: keepAfterDeletion keeps the password and TLS Secrets with the data; a re-created store adopts them`, async () => {
    await client().create(paths.kvstores('default'), kvstore(STORE, { engine, replicas: 2, tls: { enabled: true } }));
    const pods = await waitStoreReady(client(), STORE, 2, { timeoutMs: 120_000 });
    const password = await storePassword(client(), STORE);
    const servingCa = await storeServingCa(client(), STORE);
    const master = pods.find((pod) => pod.role === 'master')!;
    assert.equal(await tlsCommand(master, STORE, servingCa, password, undefined, 'SET', 'kept', 'yes'), 'OK');
    for (const pod of pods) {
      await waitFor(`the write on ${pod.name}`, async () => (await tlsCommand(pod, STORE, servingCa, password, undefined, 'GET', 'kept')) === 'yes', 15_000);
    }
    const before = { auth: (await secret(`${STORE}-auth`))!, tls: (await secret(`${STORE}-tls`))! };

    await deleteStore();
    for (const [name, kept] of [[`${STORE}-auth`, before.auth], [`${STORE}-tls`, before.tls]] as const) {
      const now = await secret(name);
      assert.ok(now && !now.metadata.deletionTimestamp, `${name} survived the store`);
      assert.equal(now.metadata.uid, kept.metadata.uid, `${name} is the same object`);
      assert.deepEqual(now.metadata.ownerReferences ?? [], [], `${name} is owned by nothing while no store holds it`);
    }

    await client().create(paths.kvstores('default'), kvstore(STORE, { engine, replicas: 2, tls: { enabled: true } }));
    const newUid = (await getStore(client(), STORE)).metadata!.uid!;
    const again = await waitStoreReady(client(), STORE, 2, { timeoutMs: 120_000 });
    assert.equal(await storePassword(client(), STORE), password, 'the same password');
    assert.equal(await storeServingCa(client(), STORE), servingCa, 'the same certificate authority');
    for (const pod of again) {
      await waitFor(`the kept data on ${pod.name}, with the old password and CA`, async () => (await tlsCommand(pod, STORE, servingCa, password, undefined, 'GET', 'kept')) === 'yes', 30_000);
    }
    for (const name of [`${STORE}-auth`, `${STORE}-tls`]) {
      await waitFor(`${name} adopted`, async () => (await secret(name))?.metadata.ownerReferences?.some((owner) => owner.kind === 'KVStore' && owner.uid === newUid), 30_000);
    }
  });

  it(`${engine}: keepAfterDeletion false: the Secrets go with the store`, async () => {
    await client().patch(paths.kvstore('default', STORE), { spec: { persistence: { keepAfterDeletion: false } } });
    await waitFor('the change observed', async () => {
      const store = await getStore(client(), STORE);
      return store.status?.observedGeneration === store.metadata?.generation;
    }, 30_000);
    await deleteStore();
    for (const name of [`${STORE}-auth`, `${STORE}-tls`]) {
      await waitFor(`${name} to be gone`, async () => {
        const now = await secret(name);
        return now === undefined || now.metadata.deletionTimestamp !== undefined;
      }, 30_000);
    }
  });
}
