/**
 * Failover and rolling-update benchmark. A writer makes acknowledged SETs of incrementing keys through the master
 * Service (plus WAIT when minReplicasToWrite > 0) while the master is killed with SIGKILL, then during rollouts.
 *
 *   npm run bench:failover -- [--trials 20] [--down-after 1000] [--min-replicas 1] [--skip-switchover]
 *   npm run bench:failover -- --sandbox [--engine redis,valkey,dragonfly] [--fault kill,freeze,delete] [--trials 20]
 *                              [--rollouts 5] [--down-after 1000] [--min-replicas 1] [--verbose]
 *
 * Two modes. The default (process mode, failover-process.ts) drives the controller's failover path without
 * Kubernetes: 3 redis-server processes per trial, the health monitor, then the pods observed as a reconcile observes
 * them, planTopology and executeTopology (the promote/repoint steps the controller runs), and a TCP proxy standing in
 * for the master Service; it isolates the engine-level hand-over and is what the README's engine-level figures come
 * from. `--sandbox` (failover-sandbox.ts) runs the whole operator: the sandbox API server, kubelet and service
 * proxy, the reconciler, and one KVStore of 3 pods per engine (`--engine`, comma-separated: each engine's own server,
 * Dragonfly where REDWING_DRAGONFLY_BIN names a binary); the writer goes through the master Service's ClusterIP while
 * each `--fault` (comma-separated) hits the master `--trials` times: kill (SIGKILL, the kubelet restarts it), freeze
 * (SIGSTOP, a hung master, thawed once writes are back) or delete (the pod deleted; the StatefulSet recreates it).
 * Rollouts are pod-template changes. Every engine × fault ends in one table: the time without an acknowledged write
 * and the acknowledged writes lost. Detection is read from the reconciler's "master down" log line; when a pod event
 * or a reconcile decides first, the promotion seen on the replicas (ROLE polled every 25 ms) bounds it. In both modes
 * everything runs in this one Node process (the sandbox too), so event-loop load shows up in the figures.
 *
 * Prints figures only; it asserts nothing about timings.
 */
import { parseArgs } from 'node:util';
import { ENGINES, type Engine } from '../shared/schema/kvstore.js';
import { FAULTS, type Fault } from './failover-sandbox-faults.js';
import { runProcessMode } from './failover-process.js';
import { runSandboxMode } from './failover-sandbox.js';

const { values } = parseArgs({
  options: {
    sandbox: { type: 'boolean', default: false },
    engine: { type: 'string', default: 'redis' },
    fault: { type: 'string', default: 'kill' },
    trials: { type: 'string', default: '20' },
    rollouts: { type: 'string', default: '5' },
    'down-after': { type: 'string', default: '1000' },
    'min-replicas': { type: 'string', default: '1' },
    'skip-switchover': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
  },
});

/** A comma-separated list of names out of `known`; an unknown name is an error naming the choices. */
function listOf<T extends string>(flag: string, value: string, known: readonly T[]): T[] {
  return value.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const name = known.find((candidate) => candidate === entry);
    if (!name) throw new Error(`--${flag} ${entry}: expected one or more of ${known.join(', ')}, comma-separated`);
    return name;
  });
}

const common = {
  trials: Number(values.trials),
  downAfterMilliseconds: Number(values['down-after']),
  minReplicas: Number(values['min-replicas']),
};

const engines = listOf<Engine>('engine', values.engine, ENGINES);
const faults = listOf<Fault>('fault', values.fault, FAULTS);
if (!values.sandbox && (engines.join() !== 'redis' || faults.join() !== 'kill')) {
  throw new Error('--engine and --fault need --sandbox (process mode runs redis-server and kills the master process)');
}
// Dragonfly pods would sit in ImageNotRunnable until the store times out: say why at once instead.
if (engines.includes('dragonfly') && !process.env.REDWING_DRAGONFLY_BIN) {
  throw new Error('--engine dragonfly needs REDWING_DRAGONFLY_BIN, the path of a dragonfly binary (none ships here)');
}

const run = values.sandbox
  ? runSandboxMode({
    ...common, engines, faults,
    rollouts: values['skip-switchover'] ? 0 : Number(values.rollouts), verbose: values.verbose,
  })
  : runProcessMode({ ...common, skipSwitchover: values['skip-switchover'] });

run.then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
