// Golden files about watches: basic events and framing (09), selector transitions (10), expired resourceVersions
// (11), streaming lists (12) and a finalizer flow watched from start to end (20).
import { describe, it } from 'node:test';
import { useGoldenServer } from './harness.js';
import { GOLDEN_SKIP } from './replay.js';
import { createConfigMap } from './seeds.js';

describe('golden replay: watch', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer();

  it('09 basic watch', async () => {
    await createConfigMap(golden.t, 'w0', { 'golden-watch': 'yes' }, { pre: 'existing' });
    await golden.replay('09-watch-basic');
  });
  it('10 label-selector transitions', () => golden.replay('10-watch-selector-transitions'));
  it('11 expired resourceVersions', async () => {
    const { t } = golden;
    // etcd had been compacted (kube-apiserver asks for it every 5 minutes), so rv 1 is gone
    await createConfigMap(t, 'x1', { 'golden-list': 'yes' }, { name: 'x1' });
    t.server.core.store.compact();
    // #3 reuses a continue token that file 08 got at resourceVersion 1293, compacted since: here, revision 1
    golden.replayer.mapping.set('1293', '1');
    await golden.replay('11-watch-expired');
  });
  it('12 streaming lists', async () => {
    await createConfigMap(golden.t, 'i1', { 'golden-init': 'yes' }, { pre: 'existing' });
    await createConfigMap(golden.t, 'i2', { 'golden-init': 'yes' }, { pre: 'existing' });
    await golden.replay('12-watch-list-initial-events');
  });
  it('20 CR finalizer flow', () => golden.replay('20-cr-finalizer'));
});
