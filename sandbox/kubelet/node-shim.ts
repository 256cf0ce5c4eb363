// Node programs in pods (the operator's image runs `node bin/redwing.js`): on a cluster each pod has its own network
// namespace, so a server listening on every address (0.0.0.0, ::, or no host) owns its port in its pod only. Here
// pods share the host's network, so the kubelet's `node` shim preloads a module that makes such a server listen on
// the pod's own loopback address instead, as the engine shims append `--bind $SANDBOX_POD_IP`. Two webhook pods
// can then both serve 9443, and the kubelet probes them at their pod IPs.
/** The preload's file name, next to the shim (found through the shim's own path, in or out of a mount namespace). */
export const NODE_PRELOAD_FILE = 'pod-network.cjs';

/** The preload module: net.Server#listen with a wildcard or missing host listens on the pod's address (in `podIpEnv`). */
export function nodePreloadSource(podIpEnv: string): string {
  return `'use strict';
// redwing sandbox: a server listening on every address listens on the pod's own loopback address.
const net = require('node:net');
const ip = process.env.${podIpEnv};
if (ip) {
  const wildcard = (host) => host === undefined || host === null || host === '' || host === '0.0.0.0' || host === '::';
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function sandboxPodListen(...args) {
    const first = args[0];
    if (first !== null && typeof first === 'object') {
      const isTcp = first.path === undefined && first.fd === undefined && first.handle === undefined && first._handle === undefined;
      if (isTcp && wildcard(first.host)) args[0] = { ...first, host: ip };
    } else if (typeof first === 'number' || (typeof first === 'string' && /^\\d+$/.test(first)) || first === undefined) {
      if (first === undefined) args[0] = 0;
      const second = args[1];
      if (args.length < 2 || typeof second === 'function' || typeof second === 'number') args.splice(1, 0, ip);
      else if (wildcard(second)) args[1] = ip;
    }
    return listen.apply(this, args);
  };
}
`;
}

/** The shim: the host's node with the preload (NODE_OPTIONS would leak into child processes' own shims the same way). */
export function nodeShim(realNode: string, podIpEnv: string): string {
  return `#!/bin/sh
# redwing sandbox shim: node with servers on the pod's own address (${NODE_PRELOAD_FILE})
if [ -n "$${podIpEnv}" ]; then exec "${realNode}" --require "$(dirname "$0")/${NODE_PRELOAD_FILE}" "$@"; fi
exec "${realNode}" "$@"
`;
}
