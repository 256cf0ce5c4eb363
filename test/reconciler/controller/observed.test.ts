import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { trimPod } from '../../../reconciler/controller/cache-trims.js';
import type { KubeObject } from '../../../kube/client.js';
import { engineDied, isPodTerminating, restartBackOff } from '../../../reconciler/controller/observed.js';

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

  it('reads the engine restart back-off, how long the engine last ran and how it ended, through the trimmed cache', () => {
    const engine = (state: V1ContainerStatus['state'], lastState?: V1ContainerStatus['lastState']): V1ContainerStatus => ({
      name: 'engine', restartCount: 2, ready: false, image: 'redis', imageID: '', state, lastState,
    });
    // The wire carries RFC 3339 strings, which the cache keeps as they are.
    const killed = { terminated: { exitCode: 137, startedAt: '2026-12-07T06:00:00Z', finishedAt: '2026-12-07T06:00:42Z' } } as unknown as V1ContainerStatus['lastState'];
    const trim = (object: V1Pod) => trimPod(object as KubeObject) as V1Pod;
    assert.deepEqual(restartBackOff(trim(withContainers(engine({ waiting: { reason: 'CrashLoopBackOff' } }, killed)))), { lastRunMs: 42_000, lastExitCode: 137 });
    assert.deepEqual(restartBackOff(withContainers(engine({ waiting: { reason: 'CrashLoopBackOff' } }))), {}, 'the kubelet said nothing of the last run');
    assert.equal(restartBackOff(trim(withContainers(engine({ waiting: { reason: 'ContainerCreating' } }, killed)))), undefined, 'not a back-off');
    assert.equal(restartBackOff(trim(withContainers(engine({ running: { startedAt: new Date() } }, killed)))), undefined, 'running again');
  });
});
