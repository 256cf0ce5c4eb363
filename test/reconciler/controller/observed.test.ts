import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { engineRestarts, isPodTerminating } from '../../../reconciler/controller/observed.js';

function pod(status: V1Pod['status'], metadata: V1Pod['metadata'] = { name: 's-0' }): V1Pod {
  return { metadata, status };
}

describe('observed pods', () => {
  it('counts restarts of the engine container only: an exporter restart is not the engine dying', () => {
    const before = pod({ containerStatuses: [
      { name: 'engine', restartCount: 2, ready: true, image: 'redis', imageID: '' },
      { name: 'exporter', restartCount: 0, ready: true, image: 'exporter', imageID: '' },
    ] });
    const exporterRestarted = pod({ containerStatuses: [
      { name: 'engine', restartCount: 2, ready: true, image: 'redis', imageID: '' },
      { name: 'exporter', restartCount: 5, ready: true, image: 'exporter', imageID: '' },
    ] });
    const engineRestarted = pod({ containerStatuses: [{ name: 'engine', restartCount: 3, ready: false, image: 'redis', imageID: '' }] });
    assert.equal(engineRestarts(before), 2);
    assert.equal(engineRestarts(exporterRestarted), 2);
    assert.equal(engineRestarts(engineRestarted), 3);
    assert.equal(engineRestarts(pod(undefined)), 0);
  });

  it('treats deletion, a lost node (Unknown) and DisruptionTarget as terminating', () => {
    assert.equal(isPodTerminating(pod({ phase: 'Running' })), false);
    assert.equal(isPodTerminating(pod({ phase: 'Running' }, { name: 's-0', deletionTimestamp: new Date() })), true);
    assert.equal(isPodTerminating(pod({ phase: 'Unknown' })), true);
    assert.equal(isPodTerminating(pod({ phase: 'Running', conditions: [{ type: 'DisruptionTarget', status: 'True' }] })), true);
  });
});
