// Pods share the host's network stack, so "localhost inside the pod" has to be emulated: every pod has its own
// loopback address (SANDBOX_POD_IP). These small wrappers, first on each container's PATH, make the servers bind only
// to that address (two pods can then both use port 6379) and make clients that aim at localhost reach their own pod.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRAGONFLY_BIN_ENV, EXPORTER_HOST_PROGRAM, EXPORTER_PROGRAM, findOnPath } from './images.js';
import { LOOPBACK_FORWARDER_FILE, loopbackForwarderSource, tlsLoopbackShellFunction } from './loopback-forwarder.js';
import { NODE_PRELOAD_FILE, nodePreloadSource, nodeShim } from './node-shim.js';

export const POD_IP_ENV = 'SANDBOX_POD_IP';

function serverShim(real: string): string {
  return `#!/bin/sh
# redwing sandbox shim: bind the server to the pod's own loopback address (the last --bind wins)
if [ -n "$${POD_IP_ENV}" ]; then exec "${real}" "$@" --bind "$${POD_IP_ENV}"; fi
exec "${real}" "$@"
`;
}

function clientShim(real: string): string {
  return `#!/bin/sh
# redwing sandbox shim: inside a pod, localhost is the pod's own address
ip="$${POD_IP_ENV}"
if [ -z "$ip" ]; then exec "${real}" "$@"; fi
has_host=0
prev=""
for a do
  shift
  if [ "$prev" = "-h" ] && { [ "$a" = "127.0.0.1" ] || [ "$a" = "localhost" ]; }; then a="$ip"; fi
  if [ "$a" = "-h" ] || [ "$a" = "-s" ] || [ "$a" = "-u" ]; then has_host=1; fi
  set -- "$@" "$a"
  prev="$a"
done
if [ "$has_host" = 0 ]; then set -- -h "$ip" "$@"; fi
exec "${real}" "$@"
`;
}

/** Proactor threads a sandbox Dragonfly runs with: it starts one per core otherwise, and this machine is shared. */
export const DRAGONFLY_SANDBOX_THREADS = 1;

/**
 * Dragonfly as the sandbox runs it: bound to the pod's address, with few threads, and without its start-up version
 * check (a call to the internet, which the sandbox has no business making). Abseil flags given later on the command
 * line win over the flag file's, so these go last.
 */
function dragonflyShim(real: string): string {
  return `#!/bin/sh
# redwing sandbox shim: dragonfly on the pod's own address, with ${DRAGONFLY_SANDBOX_THREADS} proactor thread(s), no version check
if [ -n "$${POD_IP_ENV}" ]; then set -- "$@" --bind "$${POD_IP_ENV}"; fi
exec "${real}" "$@" --proactor_threads=${DRAGONFLY_SANDBOX_THREADS} --version_check=false
`;
}

/** The exporter's default metrics port (its own default, and what the store Services and pod ports name). */
export const EXPORTER_METRICS_PORT = 9121;

/**
 * redis_exporter serves metrics on all interfaces and scrapes redis://localhost:6379 by default: here it must serve on
 * the pod's own address (two pods' exporters both want 9121) and scrape its own pod's engine. The listen address goes
 * last on the command line (the last occurrence of a Go flag wins); its port is kept from
 * REDIS_EXPORTER_WEB_LISTEN_ADDRESS when that is set. localhost and 127.0.0.1 in REDIS_ADDR or --redis.addr become the
 * pod IP; other hosts are left alone. A rediss:// REDIS_ADDR of localhost keeps its name through a loopback forwarder
 * instead, so the exporter verifies the certificate for the name it dials on a cluster (loopback-forwarder.ts).
 */
function exporterShim(real: string, node: string): string {
  return `#!/bin/sh
# redwing sandbox shim: the exporter serves on the pod's own address and scrapes its own pod for localhost
ip="$${POD_IP_ENV}"
if [ -z "$ip" ]; then exec "${real}" "$@"; fi
node="${node}"
${tlsLoopbackShellFunction()}
local_to_pod() {
  rest="$1"; scheme=""; userinfo=""
  case "$rest" in *://*) scheme="\${rest%%://*}://"; rest="\${rest#*://}";; esac
  case "$rest" in *@*) userinfo="\${rest%%@*}@"; rest="\${rest#*@}";; esac
  case "$rest" in
    localhost|127.0.0.1) rest="$ip";;
    localhost:*|localhost/*) rest="$ip\${rest#localhost}";;
    127.0.0.1:*|127.0.0.1/*) rest="$ip\${rest#127.0.0.1}";;
  esac
  printf '%s' "$scheme$userinfo$rest"
}
if tls_loopback "\${REDIS_ADDR:-}"; then REDIS_ADDR="$TLS_LOOPBACK_ADDR"; else REDIS_ADDR="$(local_to_pod "\${REDIS_ADDR:-redis://localhost:6379}")"; fi
export REDIS_ADDR
port="${EXPORTER_METRICS_PORT}"
if [ -n "$REDIS_EXPORTER_WEB_LISTEN_ADDRESS" ]; then port="\${REDIS_EXPORTER_WEB_LISTEN_ADDRESS##*:}"; fi
prev=""
for a do
  shift
  if [ "$prev" = "--redis.addr" ] || [ "$prev" = "-redis.addr" ]; then a="$(local_to_pod "$a")"; fi
  case "$a" in --redis.addr=*|-redis.addr=*) a="\${a%%=*}=$(local_to_pod "\${a#*=}")";; esac
  set -- "$@" "$a"
  prev="$a"
done
exec "${real}" "$@" --web.listen-address "$ip:$port"
`;
}

export interface ShimSet {
  dir: string;
  /** The PATH containers get: the shim directory, then the host's PATH. */
  path: string;
}

/**
 * Writes the shims into `<dir>` and returns the container PATH. Each engine's name runs only that engine's binary:
 * where one is missing there is no shim, and its pods report ImageNotRunnable (never another server under its name).
 * Dragonfly is the binary `REDWING_DRAGONFLY_BIN` names (it is in neither npm nor Debian).
 */
export function installShims(
  dir: string,
  hostPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  dragonflyBin = process.env[DRAGONFLY_BIN_ENV],
): ShimSet {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    chmodSync(file, 0o755);
  };
  const redisServer = findOnPath('redis-server', hostPath);
  const redisCli = findOnPath('redis-cli', hostPath);
  const valkeyServer = findOnPath('valkey-server', hostPath);
  const valkeyCli = findOnPath('valkey-cli', hostPath);
  const dragonfly = dragonflyBin ? findOnPath(dragonflyBin, hostPath) : undefined;
  const exporter = findOnPath(EXPORTER_HOST_PROGRAM, hostPath);
  if (redisServer) write('redis-server', serverShim(redisServer));
  if (valkeyServer) write('valkey-server', serverShim(valkeyServer));
  if (dragonfly) write('dragonfly', dragonflyShim(dragonfly));
  if (redisCli) write('redis-cli', clientShim(redisCli));
  if (valkeyCli) write('valkey-cli', clientShim(valkeyCli));
  const node = findOnPath('node', hostPath) ?? process.execPath;
  // Installed only when the host has the exporter: a missing shim is how resolveEntrypoint reports ImageNotRunnable.
  if (exporter) write(EXPORTER_PROGRAM, exporterShim(exporter, node));
  write(LOOPBACK_FORWARDER_FILE, loopbackForwarderSource());
  // node (the operator's image): servers on the pod's address, see node-shim.ts.
  write('node', nodeShim(node, POD_IP_ENV));
  write(NODE_PRELOAD_FILE, nodePreloadSource(POD_IP_ENV));
  return { dir, path: `${dir}:${hostPath}` };
}
