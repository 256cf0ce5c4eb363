// Golden files 07 (label and field selectors) and 08 (pagination, resourceVersion semantics).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useGoldenServer } from './harness.js';
import { GOLDEN_SKIP } from './replay.js';
import { createConfigMap } from './seeds.js';

describe('golden replay: lists', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer();

  it('07 label and field selectors', async () => {
    const result = await golden.replayer.replayFile('07-list-selectors');
    assert.ok(result.compared > 0);
    assert.deepEqual(result.mismatches, []);
  });

  it('08 pagination and resourceVersion matching', async () => {
    const { t } = golden;
    for (const n of [1, 2, 3, 4, 5]) await createConfigMap(t, `l${n}`, { 'golden-list': 'yes', app: 'web', tier: 'frontend' }, { name: `l${n}` });
    const result = await golden.replayer.replayFile('08-list-pagination', {
      steps: {
        // the recorder created l6 between the first and the second page
        3: () => createConfigMap(t, 'l6', { 'golden-list': 'yes' }, { name: 'l6' }),
        // etcd had been compacted by then (every 5 minutes)
        14: async () => t.server.core.store.compact(),
      },
    });
    assert.ok(result.compared > 0);
    assert.deepEqual(result.mismatches, []);
  });
});
