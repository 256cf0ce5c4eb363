/**
 * What makes a store reconcile, and what reaches its failover clock: pod events and the health monitor's verdicts
 * (a real HealthMonitor, its events emitted as it emits them) on caches filled by hand.
 */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { KubeObject } from '../../../kube/client.js';
import { handStoreInformers } from '../../helpers/hand-informers.js';
import { LABEL_INSTANCE } from '../../../shared/labels.js';
import { HealthMonitor, type MonitorTarget } from '../../../reconciler/replication/index.js';
import { StoreMemories } from '../../../reconciler/controller/store-memory.js';
import { masterLossReason, watchStores } from '../../../reconciler/controller/store-watches.js';

function fixture() {
  const { caches, informers } = handStoreInformers();
  const monitor = new HealthMonitor();
  const memories = new StoreMemories();
  const enqueued: string[] = [];
  watchStores({ informers, monitor, memories, enqueue: (key) => { if (key) enqueued.push(key); }, logger: pino({ level: 'silent' }) });
  caches.stores.change('add', { metadata: { namespace: 'default', name: 's', generation: 1 }, status: { master: 's-0' } } as KubeObject);
  return { caches, monitor, memories, enqueued, clock: memories.ensure('default/s').failover };
}

const pod = (name: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({ metadata: { namespace: 'default', name, labels: { [LABEL_INSTANCE]: 's' }, ...extra }, status: { phase: 'Running' } }) as KubeObject;
const target = (name: string): MonitorTarget => ({ pod: name, endpoint: { host: '127.0.0.1', port: 6379 }, aliases: [] });

describe('store watches', () => {
  it('names why a pod event loses a master', () => {
    assert.equal(masterLossReason('delete', pod('s-0'), undefined), 'MasterPodDeleted');
    assert.equal(masterLossReason('update', pod('s-0', { deletionTimestamp: '2026-12-07T06:00:00Z' }), pod('s-0')), 'MasterPodTerminating');
    assert.equal(masterLossReason('update', pod('s-0'), pod('s-0')), undefined);
  });

  it('starts the failover clock when the recorded master pod goes, not when a replica does', () => {
    const { caches, enqueued, clock } = fixture();
    caches.pods.change('delete', pod('s-1'));
    assert.equal(clock.masterDownConfirmed, false);
    caches.pods.change('delete', pod('s-0'));
    assert.equal(clock.masterDownReason, 'MasterPodDeleted');
    assert.deepEqual(enqueued, ['default/s', 'default/s', 'default/s']);
  });

  it('hands the monitor verdicts to the clock: cut off, answering again, then lost', () => {
    const { monitor, enqueued, clock } = fixture();
    monitor.emit('masterUnreachable', { storeKey: 'default/s', master: target('s-0'), replicaViews: [{ pod: 's-1', seesMaster: true }] });
    assert.deepEqual(clock.operatorCutOff, { master: 's-0', replicasSeeingMaster: ['s-1'] });
    monitor.emit('masterUp', { storeKey: 'default/s', master: target('s-0') });
    assert.equal(clock.operatorCutOff, undefined);
    monitor.emit('masterDown', { storeKey: 'default/s', master: target('s-0'), trigger: 'ping' });
    assert.equal(clock.masterDownReason, 'MasterUnreachable');
    assert.equal(enqueued.filter((key) => key === 'default/s').length, 4, 'the store add, unreachable, up, down');
  });

  it('does not reconcile for a status-only store update', () => {
    const { caches, enqueued } = fixture();
    const before = caches.stores.get('default', 's')!;
    caches.stores.change('update', { ...before, status: { phase: 'Ready' } } as KubeObject, before);
    caches.stores.change('update', { ...before, metadata: { ...before.metadata, generation: 2 } } as KubeObject, before);
    assert.deepEqual(enqueued, ['default/s', 'default/s']);
  });
});
