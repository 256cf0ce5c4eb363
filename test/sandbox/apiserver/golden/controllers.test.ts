// Golden files that show kube-controller-manager at work: the StatefulSet controller (25), the garbage collector
// (26) and the namespace controller with CRD deletion (32). The sandbox's controllers run against the test server
// as sandbox/cluster.ts starts them.
import { describe, it } from 'node:test';
import { useGoldenServer } from './harness.js';
import { GOLDEN_SKIP, loadGolden } from './replay.js';
import { createOwnerOf } from './seeds.js';

describe('golden replay: controllers', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer({ controllers: true });

  // 25 reads the OrderedReady StatefulSet that 21 creates
  it('21 StatefulSet defaults (with the controller running)', () => golden.replay('21-defaults-statefulset'));
  it('25 StatefulSet controller', () => golden.replay('25-statefulset-controller'));
  it('26 garbage collector propagation', async () => {
    const { t, replayer } = golden;
    const items = loadGolden('26-gc-propagation');
    // the owners existed before; the recorder polled for the collector ("observed after N s")
    const owner = (index: number) => () => createOwnerOf(t, replayer, items[index]);
    const gc = 'the recorder polled until the garbage collector had acted';
    await golden.replay('26-gc-propagation', {
      steps: { 0: owner(0), 4: owner(4), 10: owner(10), 14: owner(14) },
      poll: { 3: gc, 8: gc, 9: gc, 12: gc, 13: gc, 16: gc, 18: gc },
    });
  });
  it('32 namespace and CRD deletion', { skip: 'unrecorded seed and namespace-controller waits not rebuilt; see the comment above' }, () => golden.replay('32-namespace-crd-delete'));
});
