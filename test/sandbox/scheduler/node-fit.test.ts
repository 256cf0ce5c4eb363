// kube-scheduler's filters as the sandbox scheduler applies them: readiness, taints, nodeSelector and node affinity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Node, V1Pod, V1Taint } from '@kubernetes/client-node';
import { feasibleNodes, nodeSelectorTermsMatch, unschedulableMessage } from '../../../sandbox/scheduler/node-fit.js';

function node(name: string, options: { ready?: string; taints?: V1Taint[]; zone?: string; unschedulable?: boolean } = {}): V1Node {
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(options.zone ? { zone: options.zone } : {}) } },
    spec: { taints: options.taints, unschedulable: options.unschedulable },
    status: { conditions: [{ type: 'Ready', status: options.ready ?? 'True' }] },
  };
}

const names = (nodes: V1Node[]) => nodes.map((n) => n.metadata?.name);

test('only Ready, schedulable nodes without untolerated NoSchedule/NoExecute taints are feasible', () => {
  const nodes = [
    node('ready'),
    node('not-ready', { ready: 'Unknown' }),
    node('cordoned', { unschedulable: true }),
    node('tainted', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }),
    node('soft-taint', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }),
  ];
  const { feasible, reasons } = feasibleNodes({ spec: { containers: [] } }, nodes);
  assert.deepEqual(names(feasible), ['ready', 'soft-taint']);
  assert.equal(unschedulableMessage(5, reasons), "0/5 nodes are available: 1 node(s) had untolerated taint, 1 node(s) were not ready, 1 node(s) were unschedulable.");
  const tolerant: V1Pod = { spec: { containers: [], tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }] } };
  assert.deepEqual(names(feasibleNodes(tolerant, nodes).feasible), ['ready', 'tainted', 'soft-taint']);
});

test('nodeSelector and required node affinity narrow the nodes', () => {
  const nodes = [node('a', { zone: 'z1' }), node('b', { zone: 'z2' }), node('c')];
  assert.deepEqual(names(feasibleNodes({ spec: { containers: [], nodeSelector: { zone: 'z2' } } }, nodes).feasible), ['b']);
  const affinity: V1Pod = {
    spec: {
      containers: [],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['z1'] }] }] } } },
    },
  };
  assert.deepEqual(names(feasibleNodes(affinity, nodes).feasible), ['b', 'c']);
});

test('node selector terms: ORed terms, ANDed requirements, matchFields on metadata.name, an empty term matches nothing', () => {
  const n = node('a', { zone: 'z1' });
  assert.equal(nodeSelectorTermsMatch([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }, { key: 'gpu', operator: 'DoesNotExist' }] }], n), true);
  assert.equal(nodeSelectorTermsMatch([{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z9'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }], n), true);
  assert.equal(nodeSelectorTermsMatch([{ matchExpressions: [{ key: 'zone', operator: 'Exists' }, { key: 'gpu', operator: 'Exists' }] }], n), false);
  assert.equal(nodeSelectorTermsMatch([{}], n), false);
});
