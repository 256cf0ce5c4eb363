/**
 * The V8 flags the reconciler process runs with in its Deployment (manifests/reconciler/deployment.yaml, checked
 * against this list by test/reconciler/apply/manifests.test.ts) and in `npm run bench:reconcile`.
 *
 * Why: the reconciler spends its time waiting on the network, so the optimising compiler buys little and its code
 * and the default 16 MB young-generation semi-spaces cost a third of the 100 MB RSS budget. Measured with 500 stores
 * (1,500 pods): steady RSS 108 MB without flags, 96 MB with the semi-space and size flags, 81 MB with lite mode too,
 * for idle CPU 1.0 → 1.7 % of one core. They are command-line flags, not NODE_OPTIONS: Node refuses --lite-mode and
 * --optimize-for-size there. --no-expose-wasm silences the warning lite mode prints otherwise (nothing here uses wasm).
 */
export const RECONCILER_NODE_FLAGS = ['--lite-mode', '--max-semi-space-size=1', '--optimize-for-size', '--no-expose-wasm'] as const;
