/**
 * The reconciler as its own process for bench/reconcile.bench.ts, so its RSS and CPU are measured apart from the
 * sandbox. Prints `ready <metricsPort>` once started; SIGUSR2 enqueues every store (a full resync); SIGTERM stops.
 *
 *   node dist/bench/reconcile-worker.js <kubeconfig>     (or: tsx bench/reconcile-worker.ts <kubeconfig>)
 */
import { pino } from 'pino';
import { loadClusterAccess } from '../kube/cluster-access.js';
import { runReconciler } from '../reconciler/controller/main.js';

const kubeconfigPath = process.argv[2];
if (!kubeconfigPath) throw new Error('usage: reconcile-worker.ts <kubeconfig>');
// What `redwing reconciler --kubeconfig` loads (not client-node's KubeConfig), so the figures are production's.
const kubeConfig = await loadClusterAccess(kubeconfigPath);
const reconciler = await runReconciler({
  kubeConfig, metricsPort: 0, leaderElect: false, logger: pino({ level: process.env.BENCH_LOG ?? 'error' }),
  // BENCH_NO_AUDIT=1 separates the policy audit's cost from the reconciler's own.
  policyAudit: process.env.BENCH_NO_AUDIT !== '1',
});
process.on('SIGUSR2', () => reconciler.resyncAll());
process.on('SIGTERM', () => {
  void reconciler.stop().finally(() => process.exit(0));
});
process.stdout.write(`ready ${reconciler.metricsPort}\n`);
