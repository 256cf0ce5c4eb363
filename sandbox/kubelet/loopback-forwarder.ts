// A pod's "localhost" for TLS clients. Pods share the host's network here, so the shims point localhost at the pod's
// own address (127.0.0.N). For plain TCP that is the same connection; for TLS it is not: a client verifies the name
// it dialled, and a certificate valid for localhost (what a sidecar dials on a cluster) is not valid for 127.0.0.N.
// So the exporter shim keeps the name: it starts this forwarder on 127.0.0.1 (an ephemeral port) to the pod's
// address and dials localhost:<that port>. Bytes pass through untouched: the TLS handshake is between the client and
// the engine, exactly as over a pod's loopback.

/** The forwarder's file name, next to the shims (found through the shim's own path, in or out of a mount namespace). */
export const LOOPBACK_FORWARDER_FILE = 'loopback-forwarder.cjs';

/**
 * The forwarder program (node, CommonJS): `node loopback-forwarder.cjs TARGET_HOST TARGET_PORT` prints the port it
 * listens on (127.0.0.1) and forwards every connection. It exits when the process that started it is gone: the shim
 * execs the client in its place, so a client that exits leaves no forwarder behind.
 */
export function loopbackForwarderSource(): string {
  return `'use strict';
// redwing sandbox: the pod's localhost for a TLS client (see sandbox/kubelet/loopback-forwarder.ts)
const net = require('node:net');
const [host, port] = process.argv.slice(2);
const parent = process.ppid;
const server = net.createServer((socket) => {
  const upstream = net.connect({ host, port: Number(port) });
  socket.pipe(upstream).pipe(socket);
  const close = () => { socket.destroy(); upstream.destroy(); };
  socket.on('error', close);
  upstream.on('error', close);
});
server.listen({ host: '127.0.0.1', port: 0 }, () => process.stdout.write(server.address().port + '\\n'));
setInterval(() => {
  try { process.kill(parent, 0); } catch { process.exit(0); }
  if (process.ppid !== parent) process.exit(0);
}, 1000).unref();
server.on('error', () => process.exit(1));
`;
}

/**
 * A shell function for a shim: when its argument is a rediss:// address of localhost or 127.0.0.1, it starts the
 * forwarder to the pod's address and sets TLS_LOOPBACK_ADDR to the same address with the forwarder's port; else it
 * returns 1. Run it in the shim's own process, never in $(...): the forwarder exits when its parent does. `$ip` holds
 * the pod's address and `$node` the host's node. Bounded: without a port after 5 s it returns 1.
 */
export function tlsLoopbackShellFunction(): string {
  return `tls_loopback() {
  rest="$1"
  case "$rest" in rediss://*) ;; *) return 1;; esac
  rest="\${rest#rediss://}"; userinfo=""
  case "$rest" in *@*) userinfo="\${rest%%@*}@"; rest="\${rest#*@}";; esac
  case "$rest" in
    localhost:*|127.0.0.1:*) target_port="\${rest#*:}"; target_port="\${target_port%%/*}"; host="\${rest%%:*}";;
    localhost|127.0.0.1) target_port=6379; host="$rest";;
    *) return 1;;
  esac
  port_file="$(mktemp)"
  "$node" "$(dirname "$0")/${LOOPBACK_FORWARDER_FILE}" "$ip" "$target_port" > "$port_file" 2>/dev/null &
  tries=0
  while [ ! -s "$port_file" ] && [ "$tries" -lt 100 ]; do sleep 0.05; tries=$((tries + 1)); done
  forward_port="$(head -n 1 "$port_file")"
  rm -f "$port_file"
  [ -n "$forward_port" ] || return 1
  TLS_LOOPBACK_ADDR="rediss://$userinfo$host:$forward_port"
}`;
}
