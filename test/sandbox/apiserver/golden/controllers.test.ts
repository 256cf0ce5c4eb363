// Golden files that show kube-controller-manager at work: the StatefulSet controller (25), the garbage collector
// (26) and the namespace controller with CRD deletion (32). The sandbox's controllers run against the test server
// as sandbox/cluster.ts starts them.
import { describe, it } from 'node:test';
import { useGoldenServer } from './harness.js';
import { GOLDEN_SKIP, type ReplayOptions } from './replay.js';

describe('golden replay: controllers', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer({ controllers: true });

  // 25 reads the OrderedReady StatefulSet that 21 creates
  it('21 StatefulSet defaults (with the controller running)', () => golden.replay('21-defaults-statefulset'));
  it('25 StatefulSet controller', () => golden.replay('25-statefulset-controller'));
  // Not replayed yet, with what is missing. 26: its owners and dependents were created in steps the recording did not
  // keep, and the recorder polled for the collector between exchanges; also two real differences: the empty-uid
  // message names `metadata.ownerReferences.uid` (we say `ownerReferences[0].uid`), and the two-controllers message
  // embeds Go pointer addresses. 32: the CR left behind must be seeded, the waits for the namespace controller
  // (~5 s) rebuilt, and two real differences: our namespace controller writes one MODIFIED more, and the CRD gets
  // its cleanup finalizer at create (kube-apiserver adds it on DELETE), so one MODIFIED is missing there.
  it('26 garbage collector propagation', { skip: 'unrecorded seeds and GC polling not rebuilt; see the comment above' }, () => golden.replay('26-gc-propagation'));
  it('32 namespace and CRD deletion', { skip: 'unrecorded seed and namespace-controller waits not rebuilt; see the comment above' }, () => golden.replay('32-namespace-crd-delete'));
});
