/**
 * The shell script behind the probes and the preStop hook (POSIX sh + redis-cli, both in the official images;
 * valkey-cli is preferred when present).
 *
 * - liveness: PING answers (PONG, LOADING or MASTERDOWN all prove a live process; so does an auth error).
 * - readiness: a master is ready; a replica is ready when its link to a real master is up and no full sync or load is
 *   in progress; a fenced pod (replica of the placeholder) is never ready. A pod not yet ready since it started waits
 *   up to STARTUP_WAIT_SECONDS within one run while it is only starting, so a normal start reports no failed probe. A replica that was in sync stays ready for
 *   `staleGraceSeconds` after its master vanished: the failover promotes one of them within about a second and the
 *   master Service then gets an endpoint at once instead of waiting for the next probe run.
 * - pre-stop: `SHUTDOWN SAVE` (snapshot.onShutdown) or `SHUTDOWN NOSAVE`. Shutting down from the hook saves exactly
 *   once: after a plain SAVE the engine would save again on SIGTERM when save points are set. Redis 7+ and Valkey
 *   also give lagging replicas up to shutdown-timeout (10 s) to catch up first, so a gracefully deleted master hands
 *   its last writes to its replicas. If the save fails the engine keeps running and the usual SIGTERM follows.
 *
 * Dragonfly: --replicaof would make it skip loading its snapshot, so it boots as a master and readiness fences it
 * instead: not ready until the reconciler has marked the running engine (ACL user redwing-assigned, see constants.ts).
 *
 * Passwords: the script tries the mounted Secret file first (the kubelet refreshes it after a rotation), then the
 * environment. During a rotation there is a window where neither matches the engine (the engine switched, the file
 * is not refreshed yet); readiness then keeps its last result for two minutes rather than dropping the pod from its
 * Services.
 */
import { ENGINE_PORT } from '../../shared/defaults.js';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import {
  ASSIGNED_MARK_USER, AUTH_PASSWORD_PATH, FENCE_MASTER_HOST, FENCE_MASTER_PORT, PASSWORD_ENV, TLS_MOUNT_PATH,
} from './constants.js';

export interface ProbeScriptOptions {
  authentication: boolean;
  tls: boolean;
  clientCertificates: boolean;
  staleGraceSeconds: number;
  /** snapshot.onShutdown: save in the preStop hook, or stop without saving. */
  saveOnShutdown: boolean;
  /** Dragonfly: ready only once the reconciler marked the running engine as assigned (it cannot boot fenced). */
  requireAssignedMark: boolean;
}

/**
 * How long readiness waits, within one run, for a pod that has not been ready yet to finish starting; the probe's
 * timeoutSeconds (build-containers.ts) leaves room for it. REDWING_PROBE_STARTUP_WAIT_SECONDS in the container's
 * environment shortens it (tests that check a single verdict).
 */
export const STARTUP_WAIT_SECONDS = 8;

export function probeScriptOptions(spec: KVStoreSpec): ProbeScriptOptions {
  const downAfterSeconds = Math.ceil((spec.failover?.downAfterMilliseconds ?? 1000) / 1000);
  return {
    authentication: spec.authentication?.enabled ?? true,
    tls: spec.tls?.enabled ?? false,
    clientCertificates: Boolean(spec.tls?.enabled && spec.tls.clientCaSecretName),
    staleGraceSeconds: downAfterSeconds + 10,
    saveOnShutdown: spec.snapshot?.onShutdown ?? true,
    requireAssignedMark: spec.engine === 'dragonfly',
  };
}

function tlsArguments(options: ProbeScriptOptions): string {
  if (!options.tls) return '';
  const client = options.clientCertificates ? ` --cert ${TLS_MOUNT_PATH}/tls.crt --key ${TLS_MOUNT_PATH}/tls.key` : '';
  return `--tls --cacert ${TLS_MOUNT_PATH}/ca.crt${client}`;
}

function runFunction(options: ProbeScriptOptions): string {
  if (!options.authentication) {
    return `run() {
  unset REDISCLI_AUTH
  out=$("$CLI" -h 127.0.0.1 -p ${ENGINE_PORT} $TLS_ARGS "$@" 2>&1) || return 1
  printf '%s\\n' "$out"
}`;
  }
  return `# 0 = answered, 1 = no answer, 2 = the engine answered but accepts neither known password
run() {
  for pw in "$(cat ${AUTH_PASSWORD_PATH} 2>/dev/null)" "\${${PASSWORD_ENV}:-}"; do
    [ -n "$pw" ] || continue
    out=$(REDISCLI_AUTH="$pw" "$CLI" --no-auth-warning -h 127.0.0.1 -p ${ENGINE_PORT} $TLS_ARGS "$@" 2>&1) || { printf '%s\\n' "$out"; return 1; }
    # only the first line: INFO's errorstats section names auth errors too
    case "$(printf '%s\n' "$out" | head -n 1)" in
      *NOAUTH*|*WRONGPASS*|*"AUTH failed"*|*"invalid password"*) continue ;;
    esac
    printf '%s\\n' "$out"
    return 0
  done
  printf '%s\\n' "$out"
  return 2
}`;
}

function assignedMarkCheck(): string {
  return `    users=$(run ACL USERS)
    printf '%s\\n' "$users" | tr -d '\\r' | grep -qx '${ASSIGNED_MARK_USER}' || starting "not assigned a role by the reconciler since it started"
`;
}

/** The probe / preStop script of a defaulted spec. */
export function renderProbeScript(options: ProbeScriptOptions): string {
  return `#!/bin/sh
# Generated by redwing: liveness, readiness and pre-stop checks of the engine. Usage: probe.sh MODE
mode="\${1:-readiness}"
CLI=$(command -v valkey-cli 2>/dev/null || command -v redis-cli 2>/dev/null)
if [ -z "$CLI" ]; then echo "no redis-cli or valkey-cli in the image"; exit 1; fi
TLS_ARGS="${tlsArguments(options)}"
STATE="/tmp/redwing-ready-\${POD_NAMESPACE:-ns}-\${POD_NAME:-pod}"
${runFunction(options)}

field() {
  printf '%s\\n' "$info" | tr -d '\\r' | sed -n "s/^$1:\\(.*\\)$/\\1/p" | head -n 1
}

not_ready() {
  rm -f "$STATE"
  echo "$1"
  exit 1
}

# a state a starting pod passes through: exit 3, which readiness may wait out
starting() {
  echo "$1"
  exit 3
}

# one readiness check; runs in a subshell, so not_ready and starting end only the check
readiness_once() {
  info=$(run INFO); rc=$?
  if [ "$rc" = 2 ]; then
    if [ -n "$(find "$STATE" -mmin -2 2>/dev/null)" ]; then echo "password rotation in progress: keeping the last result"; exit 0; fi
    not_ready "the engine accepts neither the mounted nor the environment password"
  fi
  [ "$rc" = 0 ] || starting "INFO failed: $info"
  [ "$(field loading)" = "1" ] && starting "loading the dataset"
${options.requireAssignedMark ? assignedMarkCheck() : ''}  role=$(field role)
  case "$role" in
    master) touch "$STATE"; exit 0 ;;
    slave|replica) ;;
    *) not_ready "unknown role '$role'" ;;
  esac
  if [ "$(field master_host)" = "${FENCE_MASTER_HOST}" ] && [ "$(field master_port)" = "${FENCE_MASTER_PORT}" ]; then
    starting "fenced: waiting for the reconciler to assign a role"
  fi
  [ "$(field master_sync_in_progress)" = "1" ] && starting "full sync in progress"
  if [ "$(field master_link_status)" = "up" ]; then touch "$STATE"; exit 0; fi
  down=$(field master_link_down_since_seconds)
  case "$down" in
    ''|-*|*[!0-9]*) not_ready "master link down" ;;
  esac
  [ "$down" -le ${options.staleGraceSeconds} ] && [ -f "$STATE" ] && exit 0
  not_ready "master link down for \${down}s"
}

case "$mode" in
  liveness)
    out=$(run PING); rc=$?
    [ "$rc" = 2 ] && exit 0
    case "$out" in *PONG*|*LOADING*|*MASTERDOWN*) exit 0 ;; esac
    echo "PING failed: $out"
    exit 1
    ;;
  pre-stop)
    run SHUTDOWN ${options.saveOnShutdown ? 'SAVE' : 'NOSAVE'}
    exit 0
    ;;
  readiness)
    # A pod that has not been ready since it started waits here quietly while it is only starting (no answer yet,
    # loading, fenced until the reconciler assigns its role, first full sync), so a healthy start or scale-up never
    # reports a failed probe (a Warning Event). A pod that was ready fails at once: it must leave its Services fast.
    if [ -f "$STATE" ]; then was_ready=1; else was_ready=0; fi
    deadline=$(( $(date +%s) + \${REDWING_PROBE_STARTUP_WAIT_SECONDS:-${STARTUP_WAIT_SECONDS}} ))
    while :; do
      out=$(readiness_once); rc=$?
      if [ "$rc" = 0 ]; then [ -z "$out" ] || echo "$out"; exit 0; fi
      if [ "$rc" = 3 ] && [ "$was_ready" = 0 ] && [ "$(date +%s)" -lt "$deadline" ]; then sleep 0.5; continue; fi
      rm -f "$STATE"
      echo "$out"
      exit 1
    done
    ;;
  *)
    echo "unknown mode $mode"
    exit 2
    ;;
esac
`;
}
