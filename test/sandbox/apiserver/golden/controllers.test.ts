// Golden files that show kube-controller-manager at work: the StatefulSet controller (25), the garbage collector
// (26) and the namespace controller with CRD deletion (32). The sandbox's controllers run against the test server
// as sandbox/cluster.ts starts them.
import { describe, it } from 'node:test';
import { waitFor } from '../../../../harness/wait-for.js';
import { useGoldenServer } from './harness.js';
import { GOLDEN_SKIP, loadGolden } from './replay.js';
import { createKVStore, createOwnerOf, statusObserved } from './seeds.js';

describe('golden replay: controllers', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer({ controllers: true });

  // 25 reads the OrderedReady StatefulSet that 21 creates
  it('21 StatefulSet defaults and the status the controller writes', () => golden.replay('21-defaults-statefulset', {
    steps: { 3: () => statusObserved(golden.t, '/apis/apps/v1/namespaces/golden/statefulsets/kv') },
    sameFields: { 3: { why: 'the StatefulSet controller\'s status', only: 'status' } },
  }));
  it('25 StatefulSet controller', () => golden.replay('25-statefulset-controller', {
    steps: { 1: () => statusObserved(golden.t, '/apis/apps/v1/namespaces/golden/statefulsets/par') },
    // (the pods (#2) and claims (#3) differ by the documented ServiceAccount token volume and pvc-protection finalizer)
    sameFields: {
      1: { why: 'the StatefulSet controller\'s status', only: 'status' },
      4: { why: 'the ControllerRevision, its data owned whole' },
      5: { why: 'the controller\'s events' },
    },
  }));
  it('26 garbage collector propagation', async () => {
    const { t, replayer } = golden;
    const items = loadGolden('26-gc-propagation');
    // the owners existed before; the recorder polled for the collector ("observed after N s")
    const owner = (index: number) => () => createOwnerOf(t, replayer, items[index]);
    const gc = 'the recorder polled until the garbage collector had acted';
    await golden.replay('26-gc-propagation', {
      steps: { 0: owner(0), 4: owner(4), 10: owner(10), 14: owner(14) },
      poll: { 3: gc, 8: gc, 9: gc, 12: gc, 13: gc, 16: gc, 18: gc },
      sameFields: {
        6: { why: 'the foreground-deleted owner, marked and kept' },
        11: { why: 'the orphan-deleted owner, marked and kept' },
        13: { why: 'the orphaned dependent: no ownerReferences, and none in its managedFields' },
      },
    });
  });
  it('32 namespace and CRD deletion', async () => {
    const { t } = golden;
    // a CR with a finalizer, created before the recording, keeps the namespace Terminating until it is released
    await createKVStore(t, 'left-behind', {}, { engine: 'redis', replicas: 3 });
    await t.request('PATCH', '/apis/redwing.dev/v1alpha1/namespaces/golden/kvstores/left-behind', { body: { metadata: { finalizers: ['redwing.dev/cleanup'] } }, contentType: 'application/merge-patch+json' });
    const controller = 'the recorder waited for the namespace controller';
    const poll = { 3: controller, 4: controller, 5: controller, 7: controller, 11: 'the recorder waited for the CRD to go', 12: 'the recorder waited for the CRD to go' };
    const conditions = (types: string) => async () => {
      await waitFor(`namespace conditions ${types}`, async () => JSON.stringify((await t.request('GET', '/api/v1/namespaces/golden')).body).includes(types), 15_000);
    };
    await golden.replay('32-namespace-crd-delete', {
      poll,
      steps: { 3: conditions('NamespaceFinalizersRemaining') },
      skip: { 10: 'timing: the recorded GET came before the CRD finalizer controller finished; with no instances left the sandbox finishes at once' },
    });
  });
});
