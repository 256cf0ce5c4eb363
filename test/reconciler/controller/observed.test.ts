import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { trimPod } from '../../../reconciler/controller/informers.js';
import type { KubeObject } from '../../../reconciler/controller/kube-client.js';
import { engineDied, isPodTerminating } from '../../../reconciler/controller/observed.js';

function pod(status: V1Pod['status'], metadata: V1Pod['metadata'] = { name: 's-0' }): V1Pod {
  return { metadata, status };
}

function container(name: string, restartCount: number, running: boolean): V1ContainerStatus {
  return {
    name, restartCount, ready: running, image: name, imageID: '',
    state: running ? { running: { startedAt: new Date() } } : { waiting: { reason: 'CrashLoopBackOff' } },
  };
}

const withContainers = (...statuses: V1ContainerStatus[]) => pod({ phase: 'Running', containerStatuses: statuses });

describe('observed pods', () => {
  it('sees the engine process die: stopped running, or restarted between two observations', () => {
    const running = withContainers(container('engine', 2, true), container('exporter', 0, true));
    assert.equal(engineDied(running, withContainers(container('engine', 2, false), container('exporter', 0, true))), true, 'stopped running');
    assert.equal(engineDied(running, withContainers(container('engine', 3, true), container('exporter', 0, true))), true, 'restarted unseen');
    assert.equal(engineDied(running, withContainers(container('engine', 2, true), container('exporter', 4, false))), false, 'an exporter restart is not the engine dying');
    assert.equal(engineDied(running, running), false);
    assert.equal(engineDied(pod({ phase: 'Pending' }), running), false, 'first start');
    // What the informer cache keeps of a pod is enough to tell.
    const trim = (object: V1Pod) => trimPod(object as KubeObject) as V1Pod;
    assert.equal(engineDied(trim(running), trim(withContainers(container('engine', 2, false)))), true, 'seen through the trimmed cache');
  });

  it('treats deletion, a lost node (Unknown) and DisruptionTarget as terminating', () => {
    assert.equal(isPodTerminating(pod({ phase: 'Running' })), false);
    assert.equal(isPodTerminating(pod({ phase: 'Running' }, { name: 's-0', deletionTimestamp: new Date() })), true);
    assert.equal(isPodTerminating(pod({ phase: 'Unknown' })), true);
    assert.equal(isPodTerminating(pod({ phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True' }] })), true);
  });
});
