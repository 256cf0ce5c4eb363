import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import {
  POD_TEMPLATE_HASH_LABEL, computeDeploymentStatus, fenceposts, planRollout, templateHash,
} from '../../../sandbox/controllers/deployment-rollout.js';

function deployment(image: string, replicas: number, rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string }): V1Deployment {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', generation: 2 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      ...(rollingUpdate ? { strategy: { type: 'RollingUpdate', rollingUpdate } } : {}),
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

let counter = 0;
function pod(hash: string, ready: boolean, terminating = false): V1Pod {
  counter += 1;
  return {
    metadata: {
      name: `web-${hash}-${counter}`, labels: { app: 'web', [POD_TEMPLATE_HASH_LABEL]: hash },
      creationTimestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, counter)),
      ...(terminating ? { deletionTimestamp: new Date() } : {}),
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

describe('Deployment rollout plan', () => {
  it('creates the missing pods of a new Deployment and deletes the excess, unready first', () => {
    const d = deployment('a:1', 3);
    const hash = templateHash(d);
    assert.deepEqual(planRollout(d, []), { create: 3, remove: [] });
    const unready = pod(hash, false);
    const pods = [pod(hash, true), unready, pod(hash, true), pod(hash, true)];
    assert.deepEqual(planRollout(d, pods), { create: 0, remove: [unready] });
  });

  it('rolls maxSurge 1 / maxUnavailable 0 one pod at a time and never drops below the replicas ready', () => {
    const old = deployment('a:1', 2, { maxSurge: 1, maxUnavailable: 0 });
    const next = deployment('a:2', 2, { maxSurge: 1, maxUnavailable: 0 });
    const oldHash = templateHash(old);
    const newHash = templateHash(next);
    assert.notEqual(oldHash, newHash);
    const olds = [pod(oldHash, true), pod(oldHash, true)];
    // One surge pod, no deletion while it is not ready.
    assert.deepEqual(planRollout(next, olds), { create: 1, remove: [] });
    const surge = pod(newHash, false);
    assert.deepEqual(planRollout(next, [...olds, surge]), { create: 0, remove: [] });
    // Once it is ready, exactly one old pod goes (the youngest).
    const readySurge = pod(newHash, true);
    const step = planRollout(next, [...olds, readySurge]);
    assert.equal(step.create, 0);
    assert.deepEqual(step.remove, [olds[1]]);
    // The terminating old pod no longer counts: the second new pod is created.
    const terminating = { ...olds[1]!, metadata: { ...olds[1]!.metadata, deletionTimestamp: new Date() } };
    assert.deepEqual(planRollout(next, [olds[0]!, terminating, readySurge]), { create: 1, remove: [] });
  });

  it('resolves percentages as kube-controller-manager does (surge up, unavailable down, never both zero)', () => {
    assert.deepEqual(fenceposts(deployment('a', 3)), { surge: 1, unavailable: 0 });
    assert.deepEqual(fenceposts(deployment('a', 4)), { surge: 1, unavailable: 1 });
    assert.deepEqual(fenceposts(deployment('a', 2, { maxSurge: 0, maxUnavailable: 0 })), { surge: 0, unavailable: 1 });
  });

  it('reports a finished rollout only when every pod is of the new template and ready', () => {
    const d = deployment('a:2', 2, { maxSurge: 1, maxUnavailable: 0 });
    const hash = templateHash(d);
    const now = new Date();
    const rolling = computeDeploymentStatus(d, [pod('old', true), pod(hash, true), pod(hash, false)], now);
    assert.equal(rolling.replicas, 3);
    assert.equal(rolling.updatedReplicas, 2);
    assert.equal(rolling.readyReplicas, 2);
    assert.equal(rolling.observedGeneration, 2);
    assert.equal(rolling.conditions?.find((c) => c.type === 'Progressing')?.reason, 'ReplicaSetUpdated');
    const done = computeDeploymentStatus(d, [pod(hash, true), pod(hash, true)], now);
    assert.equal(done.conditions?.find((c) => c.type === 'Progressing')?.reason, 'NewReplicaSetAvailable');
    assert.equal(done.conditions?.find((c) => c.type === 'Available')?.status, 'True');
    assert.equal(done.unavailableReplicas, 0);
  });
});
