/** The commands of the `redwing` executable and their flags (DESIGN.md, "Command line"). */
import type { CommandSpec } from './flags.js';

export const WEBHOOK_COMMAND: CommandSpec = {
  name: 'webhook',
  summary: 'Run the admission webhook (defaults, validation, KVPolicy) over HTTPS, with its own certificates.',
  flags: [
    { name: 'port', type: 'port', default: 9443, description: 'HTTPS port of the admission endpoints.' },
    { name: 'metrics-port', type: 'port', default: 8080, description: 'Port of /healthz, /readyz and /metrics.' },
    { name: 'namespace', type: 'string', default: 'redwing-system', description: 'Namespace of the webhook Service and certificate Secret.' },
    { name: 'service', type: 'string', default: 'redwing-webhook', description: 'Name of the webhook Service (certificate SANs).' },
    { name: 'cert-dir', type: 'string', description: 'Serve certificates from this directory (created when absent, hot-reloaded) instead of a Secret.' },
    { name: 'kubeconfig', type: 'string', description: 'Kubeconfig file; in-cluster config or ~/.kube/config when unset.' },
    { name: 'policy', type: 'string', multiple: true, description: 'A KVPolicy YAML/JSON file to enforce in standalone mode.' },
    { name: 'startup-timeout', type: 'number', default: 60, description: 'Seconds the start-up (files, certificates, cluster connection, listening) may take before giving up; 0: no limit.' },
  ],
};

export const RECONCILER_COMMAND: CommandSpec = {
  name: 'reconciler',
  summary: 'Run the reconciler: StatefulSets, replication, failover, snapshots and status for every KVStore.',
  flags: [
    { name: 'metrics-port', type: 'port', default: 8081, description: 'Port of /healthz, /readyz and /metrics.' },
    { name: 'namespace', type: 'string', description: 'Watch only this namespace (claims it from cluster-wide reconcilers).' },
    { name: 'operator-namespace', type: 'string', description: "The reconciler's own namespace: its Lease, the store CA, and where store NetworkPolicies admit it from. Default: $POD_NAMESPACE (the Deployment sets it), else redwing-system." },
    { name: 'leader-elect', type: 'boolean', default: false, description: 'Elect a leader through a Lease before acting.' },
    { name: 'lease-duration', type: 'number', description: 'Seconds of the Lease this reconciler holds: 2 for the cluster-wide leader (a standby takes over this long after the leader dies), 15 for a --namespace claim. Raise it where API writes stall for more than a second.' },
    { name: 'kubeconfig', type: 'string', description: 'Kubeconfig file; in-cluster config or ~/.kube/config when unset.' },
    { name: 'startup-timeout', type: 'number', default: 60, description: 'Seconds the start-up (files, certificates, cluster connection, listening) may take before giving up; 0: no limit.' },
  ],
};

export const SANDBOX_COMMAND: CommandSpec = {
  name: 'sandbox',
  summary: 'Start only the embedded local cluster (API server, controllers, process-backed pods) and print its kubeconfig path.',
  flags: [
    { name: 'dir', type: 'string', default: '.sandbox', description: 'Directory for the cluster state, pod data and kubeconfig.' },
    { name: 'kubelet-only', type: 'boolean', default: false, description: 'Run only the node side (kubelet, service proxy, storage provisioner) against the control plane of --kubeconfig; it schedules nothing.' },
    { name: 'kubeconfig', type: 'string', description: 'With --kubelet-only: the API server to attach to.' },
    { name: 'fresh', type: 'boolean', default: false, description: 'Wipe the sandbox directory first (its stores, data and state) instead of resuming it.' },
  ],
};

export const START_COMMAND: CommandSpec = {
  name: 'start',
  summary: 'Run the webhook, the reconciler and the console; with no cluster configured, inside the embedded sandbox (kept across runs).',
  flags: [
    { name: 'dir', type: 'string', default: '.sandbox', description: 'Sandbox directory (used when no cluster is configured); kept across runs.' },
    { name: 'fresh', type: 'boolean', default: false, description: 'Wipe the sandbox directory first (its stores, data and state) instead of resuming it.' },
    { name: 'kubeconfig', type: 'string', description: 'Use this cluster instead of the sandbox.' },
    { name: 'port', type: 'port', default: 9443, description: 'HTTPS port of the admission endpoints.' },
    { name: 'webhook-metrics-port', type: 'port', default: 8080, description: 'Metrics port of the webhook.' },
    { name: 'reconciler-metrics-port', type: 'port', default: 8081, description: 'Metrics port of the reconciler.' },
    { name: 'console-port', type: 'port', default: 8090, description: 'HTTP port of the web console (on 127.0.0.1).' },
  ],
};

export const CONSOLE_COMMAND: CommandSpec = {
  name: 'console',
  summary: "Serve the web console: stores, their state and actions, as the logged-in user (kubeconfig or bearer token).",
  flags: [
    { name: 'port', type: 'port', default: 8090, description: 'HTTP port of the console.' },
    { name: 'host', type: 'string', default: '127.0.0.1', description: 'Address to listen on (put TLS in front of anything but loopback).' },
    { name: 'kubeconfig', type: 'string', description: "The user's kubeconfig, offered at login; in a pod only the cluster address is taken and users log in with a token." },
    { name: 'read-only', type: 'boolean', default: false, description: 'Refuse every change (dry-runs still answer).' },
  ],
};

export const DEMO_COMMAND: CommandSpec = {
  name: 'demo',
  summary: 'A live failover demo: a store, a write loop, and the master removed on a key press (or at once with --kill-master).',
  flags: [
    { name: 'engine', type: 'string', default: 'redis', description: 'redis, valkey or dragonfly.' },
    { name: 'replicas', type: 'number', default: 3, description: 'Pods of the store, master included (2 to 15).' },
    { name: 'kill-master', type: 'boolean', default: false, description: "Kill the master's engine once writes flow, print the failover and exit (no key press)." },
    { name: 'delete-master', type: 'boolean', default: false, description: 'Delete the master pod once writes flow, print the failover and exit.' },
    { name: 'name', type: 'string', default: 'demo', description: 'Name of the KVStore (an existing one of the same engine is reused).' },
    { name: 'namespace', type: 'string', default: 'default', description: 'Namespace of the KVStore.' },
    { name: 'kubeconfig', type: 'string', description: 'Use this cluster; without one, the sandbox npm start runs in --dir, or a new one.' },
    { name: 'dir', type: 'string', default: '.sandbox', description: 'Sandbox directory (used when no cluster is configured).' },
    { name: 'fresh', type: 'boolean', default: false, description: 'Wipe the sandbox directory first (its stores, data and state) instead of resuming it.' },
  ],
};

export const COMMANDS = [WEBHOOK_COMMAND, RECONCILER_COMMAND, SANDBOX_COMMAND, START_COMMAND, CONSOLE_COMMAND, DEMO_COMMAND];

export function formatUsage(): string {
  return [
    'Usage: redwing <command> [flags]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(12)}${command.summary}`),
    '',
    "Run 'redwing <command> --help' for the flags of a command.",
  ].join('\n');
}
