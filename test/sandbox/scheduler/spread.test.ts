// Spreading: the node with the fewest siblings wins; equal nodes take turns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { pickSpreadNode } from '../../../sandbox/scheduler/spread.js';

const owner = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 's', uid: 'set-uid', controller: true }];
const member = (uid: string, node?: string): V1Pod => ({ metadata: { uid, namespace: 'ns', ownerReferences: owner }, spec: { containers: [], nodeName: node } });

test('a pod goes to the node with the fewest siblings, counting assumed placements', () => {
  const others = [member('a', 'n1'), member('b'), { metadata: { uid: 'stranger', namespace: 'ns' }, spec: { containers: [], nodeName: 'n3' } }];
  const assumed = new Map([['b', 'n2']]);
  const nodeOf = (p: V1Pod) => p.spec?.nodeName ?? assumed.get(p.metadata?.uid ?? '');
  assert.equal(pickSpreadNode(member('new'), ['n1', 'n2', 'n3'], others, nodeOf, 0), 'n3');
});

test('without siblings the start index rotates the choice; no node gives undefined', () => {
  const picks = [0, 1, 2].map((start) => pickSpreadNode(member('x'), ['n1', 'n2', 'n3'], [], () => undefined, start));
  assert.deepEqual(picks, ['n1', 'n2', 'n3']);
  assert.equal(pickSpreadNode(member('x'), [], [], () => undefined, 0), undefined);
});
