/** The containers of a store pod: the engine (probes, preStop, password from the Secret) and the optional exporter. */
import type { V1Container, V1EnvVar, V1Probe, V1ResourceRequirements, V1VolumeMount } from '@kubernetes/client-node';
import { ENGINE_PORT, EXPORTER_PORT } from '../../shared/defaults.js';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';
import {
  AUTH_MOUNT_PATH, CLIENT_CA_MOUNT_PATH, CONFIG_MOUNT_PATH, DATA_MOUNT_PATH, ENGINE_CONTAINER_NAME, ENGINE_PORT_NAME,
  EXPORTER_CONTAINER_NAME, EXPORTER_PORT_NAME, PASSWORD_ENV, PROBE_SCRIPT_PATH, TLS_MOUNT_PATH, TMP_MOUNT_PATH,
  VOLUME_AUTH, VOLUME_CLIENT_CA, VOLUME_CONFIG, VOLUME_TLS, VOLUME_TMP, engineConfigKey, engineServerCommand,
} from './constants.js';
import { DATA_VOLUME_NAME } from '../../shared/names.js';
import type { ResolvedStore } from './store-context.js';
import { EXPORTER_PASSWORD_ENV, EXPORTER_USER, exporterPasswordEnv, exporterUserArgs, usesExporterUser } from './build-exporter-auth.js';
import { STARTUP_WAIT_SECONDS } from './build-probe-script.js';

/** Requests/limits of the exporter sidecar: it is small, and a limit keeps a misbehaving scrape from hurting the engine. */
export const EXPORTER_RESOURCES: V1ResourceRequirements = { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '64Mi' } };

function quantityMap(map: Record<string, string | number> | undefined): Record<string, string> | undefined {
  if (!map) return undefined;
  return Object.fromEntries(Object.entries(map).map(([key, value]) => [key, String(value)]));
}

export function engineResources(spec: KVStoreSpec): V1ResourceRequirements {
  const resources: V1ResourceRequirements = {};
  const requests = quantityMap(spec.resources?.requests);
  const limits = quantityMap(spec.resources?.limits);
  if (requests) resources.requests = requests;
  if (limits) resources.limits = limits;
  return resources;
}

function passwordEnv(spec: KVStoreSpec): V1EnvVar[] {
  const ref = spec.authentication?.enabled === false ? undefined : spec.authentication?.passwordFromSecret;
  return ref ? [{ name: PASSWORD_ENV, valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } } }] : [];
}

function downwardEnv(): V1EnvVar[] {
  return [
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
  ];
}

/** The engine command line: the config file, the pod's address, the password from the environment, then spec.args (which win). */
export function engineArgs(store: ResolvedStore): string[] {
  const auth = store.spec.authentication?.enabled !== false && store.spec.authentication?.passwordFromSecret !== undefined;
  const configPath = `${CONFIG_MOUNT_PATH}/${engineConfigKey(store.engine)}`;
  const password = `$(${PASSWORD_ENV})`;
  if (store.engine === 'dragonfly') {
    return [`--flagfile=${configPath}`, ...(auth ? [`--requirepass=${password}`, `--masterauth=${password}`] : []), ...(store.spec.args ?? [])];
  }
  // A replica announces its pod IP: the master then lists it under the address FAILOVER TO and the reconciler use,
  // whatever source address its connection came from (on a shared loopback it is 127.0.0.1 for every pod).
  const announce = ['--replica-announce-ip', '$(POD_IP)'];
  const exporterUser = usesExporterUser(store) ? exporterUserArgs() : [];
  return [configPath, ...announce, ...(auth ? ['--requirepass', password, '--masterauth', password] : []), ...exporterUser, ...(store.spec.args ?? [])];
}

function probe(mode: 'liveness' | 'readiness'): V1Probe {
  const exec = { command: ['sh', PROBE_SCRIPT_PATH, mode] };
  // Readiness runs often: it gates the Services, and a replica that falls out of sync should leave the read Service fast.
  // Its timeout leaves room for the script's quiet wait while a new pod starts (build-probe-script.ts).
  if (mode === 'readiness') return { exec, periodSeconds: 2, timeoutSeconds: STARTUP_WAIT_SECONDS + 2, failureThreshold: 2, successThreshold: 1 };
  // Liveness is patient: a hung master is the failover's business (about a second), not a restart's.
  return { exec, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6, successThreshold: 1 };
}

function engineVolumeMounts(store: ResolvedStore): V1VolumeMount[] {
  const { spec } = store;
  const mounts: V1VolumeMount[] = [
    { name: DATA_VOLUME_NAME, mountPath: DATA_MOUNT_PATH },
    { name: VOLUME_CONFIG, mountPath: CONFIG_MOUNT_PATH, readOnly: true },
    { name: VOLUME_TMP, mountPath: TMP_MOUNT_PATH },
  ];
  if (spec.authentication?.enabled !== false && spec.authentication?.passwordFromSecret) {
    mounts.push({ name: VOLUME_AUTH, mountPath: AUTH_MOUNT_PATH, readOnly: true });
  }
  if (spec.tls?.enabled) mounts.push({ name: VOLUME_TLS, mountPath: TLS_MOUNT_PATH, readOnly: true });
  if (spec.tls?.enabled && spec.tls.clientCaSecretName) {
    mounts.push({ name: VOLUME_CLIENT_CA, mountPath: CLIENT_CA_MOUNT_PATH, readOnly: true });
  }
  return mounts;
}

export function buildEngineContainer(store: ResolvedStore): V1Container {
  const { spec } = store;
  const container: V1Container = {
    name: ENGINE_CONTAINER_NAME,
    image: spec.image,
    imagePullPolicy: spec.imagePullPolicy,
    command: [engineServerCommand(store.engine)],
    args: engineArgs(store),
    ports: [{ name: ENGINE_PORT_NAME, containerPort: ENGINE_PORT, protocol: 'TCP' }],
    env: [...downwardEnv(), ...passwordEnv(spec), ...(usesExporterUser(store) ? [exporterPasswordEnv(store, EXPORTER_PASSWORD_ENV)] : [])],
    resources: engineResources(spec),
    volumeMounts: engineVolumeMounts(store),
    readinessProbe: probe('readiness'),
    livenessProbe: probe('liveness'),
  };
  // The hook stops the engine with or without a final save (snapshot.onShutdown). Without persistence there is
  // nothing to save to, and the engine's own SIGTERM handling is enough.
  if (spec.persistence?.enabled ?? true) {
    container.lifecycle = { preStop: { exec: { command: ['sh', PROBE_SCRIPT_PATH, 'pre-stop'] } } };
  }
  if (spec.containerSecurityContext) container.securityContext = structuredClone(spec.containerSecurityContext);
  return container;
}

/**
 * How the exporter logs in: as its own ACL user with a password that never rotates (see build-exporter-auth.ts),
 * skipping CONFIG GET, which that user may not run; on Dragonfly (no `--user` flag) with the store password, which it
 * keeps until its pod restarts.
 */
function exporterAuthEnv(store: ResolvedStore): V1EnvVar[] {
  if (!usesExporterUser(store)) return passwordEnv(store.spec);
  return [
    { name: 'REDIS_USER', value: EXPORTER_USER },
    exporterPasswordEnv(store, PASSWORD_ENV),
    { name: 'REDIS_EXPORTER_CONFIG_COMMAND', value: '-' },
  ];
}

/** The redis_exporter sidecar (metrics on 9121), or undefined when exporter.enabled is off. */
export function buildExporterContainer(store: ResolvedStore): V1Container | undefined {
  const { spec } = store;
  if (!spec.exporter?.enabled) return undefined;
  const tls = spec.tls?.enabled ?? false;
  const env: V1EnvVar[] = [{ name: 'REDIS_ADDR', value: `${tls ? 'rediss' : 'redis'}://localhost:${ENGINE_PORT}` }, ...exporterAuthEnv(store)];
  const volumeMounts: V1VolumeMount[] = [];
  if (tls) {
    env.push({ name: 'REDIS_EXPORTER_TLS_CA_CERT_FILE', value: `${TLS_MOUNT_PATH}/ca.crt` });
    if (spec.tls?.clientCaSecretName) {
      env.push(
        { name: 'REDIS_EXPORTER_TLS_CLIENT_CERT_FILE', value: `${TLS_MOUNT_PATH}/tls.crt` },
        { name: 'REDIS_EXPORTER_TLS_CLIENT_KEY_FILE', value: `${TLS_MOUNT_PATH}/tls.key` },
      );
    }
    volumeMounts.push({ name: VOLUME_TLS, mountPath: TLS_MOUNT_PATH, readOnly: true });
  }
  const container: V1Container = {
    name: EXPORTER_CONTAINER_NAME,
    image: spec.exporter.image,
    imagePullPolicy: spec.imagePullPolicy,
    ports: [{ name: EXPORTER_PORT_NAME, containerPort: EXPORTER_PORT, protocol: 'TCP' }],
    env,
    resources: structuredClone(EXPORTER_RESOURCES),
  };
  if (volumeMounts.length > 0) container.volumeMounts = volumeMounts;
  if (spec.containerSecurityContext) container.securityContext = structuredClone(spec.containerSecurityContext);
  return container;
}
