/**
 * Where a store's pods would go beyond the Pod Security Standards "restricted" profile (Kubernetes v1.32), judged on
 * the fields a KVStore exposes: spec.podSecurityContext and spec.containerSecurityContext (which the reconciler puts
 * on the engine and exporter containers). The rest of what the profile covers (host namespaces, host ports, volume
 * types such as hostPath) is not settable through a KVStore, and the operator's own pods meet it. Pure; judge the
 * spec after defaulting, as the pods will have it.
 */
import type { KVStoreSpec } from './schema/kvstore.js';

export interface PodSecurityFinding {
  field: string;
  /** Completes "<field> …": what is wrong and what the profile needs. */
  message: string;
}

type Json = Record<string, unknown>;

const POD = 'spec.podSecurityContext';
const CONTAINER = 'spec.containerSecurityContext';
const ALLOWED_SECCOMP = new Set(['RuntimeDefault', 'Localhost']);
const ALLOWED_SELINUX_TYPES = new Set(['', 'container_t', 'container_init_t', 'container_kvm_t', 'container_engine_t']);
/** The sysctls the baseline profile allows (Kubernetes v1.32). */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced', 'net.ipv4.ip_local_port_range', 'net.ipv4.ip_unprivileged_port_start', 'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range', 'net.ipv4.ip_local_reserved_ports', 'net.ipv4.tcp_keepalive_time', 'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl', 'net.ipv4.tcp_keepalive_probes',
]);

function record(value: unknown): Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Findings shared by both levels: root, Windows host processes, SELinux, AppArmor, an Unconfined seccomp profile. */
function contextFindings(context: Json, path: string): PodSecurityFinding[] {
  const findings: PodSecurityFinding[] = [];
  if (context.runAsUser === 0) findings.push({ field: `${path}.runAsUser`, message: 'is 0 (root); use a non-zero uid' });
  if (context.runAsNonRoot === false) findings.push({ field: `${path}.runAsNonRoot`, message: 'is false; must be true' });
  if (record(context.windowsOptions).hostProcess === true) {
    findings.push({ field: `${path}.windowsOptions.hostProcess`, message: 'is true; must not be set' });
  }
  const seLinux = record(context.seLinuxOptions);
  if (typeof seLinux.type === 'string' && !ALLOWED_SELINUX_TYPES.has(seLinux.type)) {
    findings.push({ field: `${path}.seLinuxOptions.type`, message: `is ${JSON.stringify(seLinux.type)}; use container_t or leave it unset` });
  }
  for (const key of ['user', 'role'] as const) {
    if (typeof seLinux[key] === 'string' && seLinux[key] !== '') findings.push({ field: `${path}.seLinuxOptions.${key}`, message: 'must not be set' });
  }
  if (record(context.appArmorProfile).type === 'Unconfined') {
    findings.push({ field: `${path}.appArmorProfile.type`, message: 'is Unconfined; use RuntimeDefault or Localhost' });
  }
  if (record(context.seccompProfile).type === 'Unconfined') {
    findings.push({ field: `${path}.seccompProfile.type`, message: 'is Unconfined; use RuntimeDefault or Localhost' });
  }
  return findings;
}

function containerFindings(container: Json): PodSecurityFinding[] {
  const findings: PodSecurityFinding[] = [];
  if (container.privileged === true) findings.push({ field: `${CONTAINER}.privileged`, message: 'is true; must be false or unset' });
  if (container.allowPrivilegeEscalation !== false) {
    findings.push({ field: `${CONTAINER}.allowPrivilegeEscalation`, message: 'must be false' });
  }
  const capabilities = record(container.capabilities);
  if (!list(capabilities.drop).includes('ALL')) findings.push({ field: `${CONTAINER}.capabilities.drop`, message: 'must include ALL' });
  const added = list(capabilities.add).filter((capability) => capability !== 'NET_BIND_SERVICE');
  if (added.length > 0) {
    findings.push({ field: `${CONTAINER}.capabilities.add`, message: `adds ${added.map((c) => JSON.stringify(c)).join(', ')}; only NET_BIND_SERVICE is allowed` });
  }
  if (container.procMount !== undefined && container.procMount !== 'Default') {
    findings.push({ field: `${CONTAINER}.procMount`, message: `is ${JSON.stringify(container.procMount)}; must be Default` });
  }
  return findings;
}

function podFindings(pod: Json): PodSecurityFinding[] {
  return list(pod.sysctls)
    .map((sysctl) => record(sysctl).name)
    .filter((name) => typeof name !== 'string' || !SAFE_SYSCTLS.has(name))
    .map((name) => ({ field: `${POD}.sysctls`, message: `sets ${JSON.stringify(name)}, which is not a safe sysctl` }));
}

/** Fields that must be set at one level or the other: runAsNonRoot true and a confining seccomp profile. */
function requiredSettings(pod: Json, container: Json): PodSecurityFinding[] {
  const findings: PodSecurityFinding[] = [];
  if (pod.runAsNonRoot !== true && container.runAsNonRoot !== true && pod.runAsNonRoot !== false && container.runAsNonRoot !== false) {
    findings.push({ field: `${POD}.runAsNonRoot`, message: 'must be true (here or in the container)' });
  }
  const confined = (context: Json): boolean => ALLOWED_SECCOMP.has(String(record(context.seccompProfile).type));
  const unconfined = (context: Json): boolean => record(context.seccompProfile).type === 'Unconfined';
  if (!confined(pod) && !confined(container) && !unconfined(pod) && !unconfined(container)) {
    findings.push({ field: `${POD}.seccompProfile.type`, message: 'must be RuntimeDefault or Localhost' });
  }
  return findings;
}

/** Every field of `spec` that goes beyond the restricted profile (none for the defaulted spec). */
export function restrictedProfileFindings(spec: Pick<KVStoreSpec, 'podSecurityContext' | 'containerSecurityContext'>): PodSecurityFinding[] {
  const pod = record(spec.podSecurityContext);
  const container = record(spec.containerSecurityContext);
  return [
    ...contextFindings(pod, POD),
    ...podFindings(pod),
    ...contextFindings(container, CONTAINER),
    ...containerFindings(container),
    ...requiredSettings(pod, container),
  ];
}
