// Pods share the host's network stack, so "localhost inside the pod" has to be emulated: every pod has its own
// loopback address (SANDBOX_POD_IP). These small wrappers, first on each container's PATH, make the servers bind only
// to that address (two pods can then both use port 6379) and make clients that aim at localhost reach their own pod.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath } from './images.js';

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

export interface ShimSet {
  dir: string;
  /** The PATH containers get: the shim directory, then the host's PATH. */
  path: string;
}

/** Writes the shims into `<dir>` and returns the container PATH. valkey names fall back to the redis binaries. */
export function installShims(dir: string, hostPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'): ShimSet {
  mkdirSync(dir, { recursive: true });
  const write = (name: string, body: string) => {
    const file = join(dir, name);
    writeFileSync(file, body);
    chmodSync(file, 0o755);
  };
  const redisServer = findOnPath('redis-server', hostPath);
  const redisCli = findOnPath('redis-cli', hostPath);
  const valkeyServer = findOnPath('valkey-server', hostPath) ?? redisServer;
  const valkeyCli = findOnPath('valkey-cli', hostPath) ?? redisCli;
  const dragonfly = findOnPath('dragonfly', hostPath);
  if (redisServer) write('redis-server', serverShim(redisServer));
  if (valkeyServer) write('valkey-server', serverShim(valkeyServer));
  if (dragonfly) write('dragonfly', serverShim(dragonfly));
  if (redisCli) write('redis-cli', clientShim(redisCli));
  if (valkeyCli) write('valkey-cli', clientShim(valkeyCli));
  return { dir, path: `${dir}:${hostPath}` };
}
