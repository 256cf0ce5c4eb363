// The VolumeBinding plan: bound claims limit the nodes, WaitForFirstConsumer claims are delayed, Immediate ones block.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Node, V1PersistentVolume, V1PersistentVolumeClaim, V1Pod, V1StorageClass } from '@kubernetes/client-node';
import { planVolumes, type VolumeLookups } from '../../../sandbox/scheduler/volume-binding.js';

const pod: V1Pod = { metadata: { name: 'p', namespace: 'ns' }, spec: { containers: [], volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data-p' } }] } };
const classes: Record<string, V1StorageClass> = {
  late: { metadata: { name: 'late' }, provisioner: 'x', volumeBindingMode: 'WaitForFirstConsumer' },
  now: { metadata: { name: 'now' }, provisioner: 'x', volumeBindingMode: 'Immediate' },
};
const pinned: V1PersistentVolume = {
  metadata: { name: 'pv-1' },
  spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] }] }] } } },
};

function lookups(claim: V1PersistentVolumeClaim | undefined): VolumeLookups {
  return { claim: () => claim, storageClass: (name) => classes[name], volume: (name) => (name === 'pv-1' ? pinned : undefined) };
}
const nodeNamed = (name: string): V1Node => ({ metadata: { name, labels: { 'kubernetes.io/hostname': name } } });
const claim = (spec: V1PersistentVolumeClaim['spec'], phase = 'Pending'): V1PersistentVolumeClaim => ({ metadata: { name: 'data-p', namespace: 'ns' }, spec, status: { phase } });

test('a missing claim or an unbound Immediate claim makes the pod unschedulable', () => {
  assert.deepEqual(planVolumes(pod, lookups(undefined)), { kind: 'unschedulable', message: 'persistentvolumeclaim "data-p" not found' });
  assert.deepEqual(planVolumes(pod, lookups(claim({ storageClassName: 'now' }))), { kind: 'unschedulable', message: 'pod has unbound immediate PersistentVolumeClaims' });
});

test('an unbound WaitForFirstConsumer claim is delayed and does not limit the nodes', () => {
  const plan = planVolumes(pod, lookups(claim({ storageClassName: 'late' })));
  assert.equal(plan.kind, 'schedulable');
  if (plan.kind !== 'schedulable') return;
  assert.deepEqual(plan.delayed.map((c) => c.metadata?.name), ['data-p']);
  assert.equal(plan.fits(nodeNamed('n1')), true);
});

test('a bound claim keeps the pod on the nodes its volume allows, and waits while the claim is not yet Bound', () => {
  const settled = planVolumes(pod, lookups(claim({ storageClassName: 'late', volumeName: 'pv-1' }, 'Bound')));
  assert.ok(settled.kind === 'schedulable');
  assert.deepEqual([settled.fits(nodeNamed('n1')), settled.fits(nodeNamed('n2'))], [false, true]);
  assert.equal(settled.settling, false);
  const settling = planVolumes(pod, lookups(claim({ storageClassName: 'late', volumeName: 'pv-1' })));
  assert.ok(settling.kind === 'schedulable' && settling.settling);
});
