/**
 * Failover and rolling-update benchmark. A writer makes acknowledged SETs of incrementing keys through the master
 * Service (plus WAIT when minReplicasToWrite > 0) while the master is killed with SIGKILL, then during rollouts.
 *
 *   npm run bench:failover -- [--trials 20] [--down-after 1000] [--min-replicas 1] [--skip-switchover]
 *   npm run bench:failover -- --sandbox [--trials 20] [--rollouts 5] [--down-after 1000] [--min-replicas 1] [--verbose]
 *
 * Two modes. The default (process mode, failover-process.ts) drives the controller's failover path without
 * Kubernetes: 3 redis-server processes per trial, the health monitor, then the pods observed as a reconcile observes
 * them, planTopology and executeTopology (the promote/repoint steps the controller runs), and a TCP proxy standing in
 * for the master Service; it isolates the engine-level hand-over and is what the README's engine-level figures come
 * from. `--sandbox` (failover-sandbox.ts) runs the whole operator: the sandbox API server, kubelet and service
 * proxy, the reconciler, and one KVStore of 3 pods; the writer goes through the master Service's ClusterIP, the
 * master container is SIGKILLed (the kubelet restarts it), and rollouts are image changes. Detection there is read
 * from the reconciler's "master down" log line; when a reconcile finds the restarted master fenced first, it fails
 * over without that line, and the promotion seen on the replicas (ROLE polled every 25 ms) bounds detection. In both
 * modes everything runs in this one Node process (the sandbox too), so event-loop load shows up in the figures.
 *
 * Prints figures only; it asserts nothing about timings.
 */
import { parseArgs } from 'node:util';
import { runProcessMode } from './failover-process.js';
import { runSandboxMode } from './failover-sandbox.js';

const { values } = parseArgs({
  options: {
    sandbox: { type: 'boolean', default: false },
    trials: { type: 'string', default: '20' },
    rollouts: { type: 'string', default: '5' },
    'down-after': { type: 'string', default: '1000' },
    'min-replicas': { type: 'string', default: '1' },
    'skip-switchover': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

const common = {
  trials: Number(values.trials),
  downAfterMilliseconds: Number(values['down-after']),
  minReplicas: Number(values['min-replicas']),
};

const run = values.sandbox
  ? runSandboxMode({ ...common, rollouts: values['skip-switchover'] ? 0 : Number(values.rollouts), verbose: values.verbose })
  : runProcessMode({ ...common, skipSwitchover: values['skip-switchover'] });

run.then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
