/**
 * Shared by the failover end-to-end tests: one three-pod store on a sandbox, acknowledged writes through the master
 * Service, and the checks every scenario ends with (a new master recorded, writes back through the Service, every
 * acknowledged key still there, the old master back as a replica).
 */
import { strict as assert } from 'node:assert';
import type { Redis } from 'ioredis';
import { paths } from '../../../kube/paths.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';
import {
  getStore, kvstore, listStorePods, redisCommand, storePassword, waitFor, type E2eCluster, type PodInfo,
} from './e2e-helpers.js';
import { PodPoller } from './pod-poller.js';

export class FailoverStore {
  password = '';
  serviceIp = '';
  private counter = 0;

  constructor(readonly cluster: E2eCluster, readonly name: string) {}

  /** Creates the store and waits until it is Ready with one master and two replicas. */
  async create(spec: KVStore['spec'] = {}): Promise<PodInfo[]> {
    await this.cluster.client.create(paths.kvstores('default'), kvstore(this.name, { replicas: 3, failover: { downAfterMilliseconds: 1000 }, ...spec }));
    const pods = await this.healthy();
    this.password = await storePassword(this.cluster.client, this.name);
    this.serviceIp = (await this.cluster.client.get<{ spec: { clusterIP: string } }>(paths.coreObject('services', 'default', this.name))).spec.clusterIP;
    return pods;
  }

  store(): Promise<KVStore> {
    return getStore(this.cluster.client, this.name);
  }

  pods(): Promise<PodInfo[]> {
    return listStorePods(this.cluster.client, this.name);
  }

  /** Ready per status, three pods, exactly one labelled master and two labelled replicas. */
  async healthy(timeoutMs = 120_000): Promise<PodInfo[]> {
    return waitFor(`${this.name} Ready with one master and two replicas`, async () => {
      const status = (await this.store()).status;
      if (status?.phase !== 'Ready' || status.readyReplicas !== 3) return undefined;
      const pods = await this.pods();
      return pods.length === 3 && pods.filter((pod) => pod.role === 'master').length === 1 && pods.filter((pod) => pod.role === 'replica').length === 2 ? pods : undefined;
    }, timeoutMs);
  }

  command(host: string, command: string, ...args: string[]): Promise<unknown> {
    return redisCommand(host, this.password, command, ...args);
  }

  /** SET through the master Service; the write is acknowledged when this resolves. */
  async write(value?: string): Promise<{ key: string; value: string }> {
    const key = `${this.name}-k${this.counter++}`;
    const written = value ?? key;
    assert.equal(await this.command(this.serviceIp, 'SET', key, written), 'OK', `SET ${key} through the master Service`);
    return { key, value: written };
  }

  /** A write acknowledged by the master and then seen on every listed replica. */
  async replicatedWrite(replicas: PodInfo[]): Promise<{ key: string; value: string }> {
    const entry = await this.write();
    for (const pod of replicas) {
      await waitFor(`${entry.key} on ${pod.name}`, async () => (await this.command(pod.ip!, 'GET', entry.key)) === entry.value, 15_000, 50);
    }
    return entry;
  }

  /** Waits for status to record a master other than `oldMaster`; returns the store. */
  async newMasterRecorded(oldMaster: string, timeoutMs = 90_000): Promise<KVStore> {
    return waitFor(`a master other than ${oldMaster} recorded`, async () => {
      const current = await this.store();
      return current.status?.master && current.status.master !== oldMaster ? current : undefined;
    }, timeoutMs, 100);
  }

  /** A write through the master Service succeeds again (a fresh connection each try). */
  async writesAccepted(timeoutMs = 60_000): Promise<void> {
    await waitFor(`writes through the ${this.name} master Service`, async () => (await this.command(this.serviceIp, 'SET', `${this.name}-probe`, String(Date.now()))) === 'OK', timeoutMs, 100);
  }

  /** Every acknowledged entry reads back through the master Service with its value. */
  async expectEntries(entries: Array<{ key: string; value: string }>, where = 'through the master Service', host = this.serviceIp): Promise<void> {
    const missing: string[] = [];
    for (const entry of entries) {
      // A dropped connection (the Service proxy closes them when endpoints change) is retried; a wrong value is not.
      const { value } = await waitFor(`GET ${entry.key} ${where}`, async () => ({ value: await this.command(host, 'GET', entry.key) }), 15_000, 200);
      if (value !== entry.value) missing.push(entry.key);
    }
    assert.deepEqual(missing, [], `acknowledged writes missing ${where}`);
  }

  /** The new master is recorded as a failover from `oldMaster`, takes writes, and kept every acknowledged entry. */
  async expectFailover(oldMaster: string, entries: Array<{ key: string; value: string }>): Promise<KVStore> {
    const store = await this.newMasterRecorded(oldMaster);
    assert.equal(store.status!.lastFailover?.from, oldMaster);
    assert.equal(store.status!.lastFailover?.to, store.status!.master);
    await this.writesAccepted();
    await this.expectEntries(entries);
    return store;
  }

  /** After the fault is over: healthy again, `master` still the master and `oldMaster` a replica holding the data. */
  async expectRejoined(master: string, oldMaster: string, entries: Array<{ key: string; value: string }>): Promise<void> {
    const pods = await this.healthy();
    assert.equal(pods.find((pod) => pod.role === 'master')?.name, master, 'the new master kept the role');
    const old = pods.find((pod) => pod.name === oldMaster)!;
    assert.equal(old.role, 'replica', `${oldMaster} rejoined as a replica`);
    await waitFor(`${oldMaster} to hold every acknowledged write again`, async () => {
      for (const entry of entries) if ((await this.command(old.ip!, 'GET', entry.key)) !== entry.value) return false;
      return true;
    }, 60_000, 200);
  }
}

/**
 * Polls ROLE on every pod and remembers every pod seen as master, so a test can tell that no other pod was ever
 * promoted (not even for a moment).
 */
export class RoleWatcher extends PodPoller {
  readonly mastersSeen = new Set<string>();

  constructor(password: string, intervalMs = 10) {
    super(password, intervalMs);
  }

  protected async poll(name: string, client: Redis): Promise<void> {
    const role = await client.call('ROLE') as unknown[];
    if (String(role[0]) === 'master') this.mastersSeen.add(name);
  }
}
