/**
 * The exporter's own ACL user. The sidecar reads its password from the environment once, at start, while the store
 * password rotates live (CONFIG SET requirepass, no restart): with the store password the exporter would lose the
 * engine after every rotation. So it logs in as `redwing-exporter`, defined on the engine's command line, whose
 * password sits in the operator-owned Secret `S-exporter-auth` and never rotates with the user's password.
 *
 * Redis and Valkey only: Dragonfly has no `--user` flag, and there the exporter keeps using the store password.
 */
import type { V1EnvVar, V1Secret } from '@kubernetes/client-node';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { generatePassword } from './build-auth-secret.js';
import { ownedObjectMeta, resolveStore, type DesiredContext, type ResolvedStore } from './store-context.js';

export const EXPORTER_USER = 'redwing-exporter';
/** The engine container's variable that carries the exporter password into `--user ... >$(...)`. */
export const EXPORTER_PASSWORD_ENV = 'REDWING_EXPORTER_PASSWORD';
export const EXPORTER_PASSWORD_KEY = 'password';

/**
 * What redis_exporter sends on a scrape, read-only, found by scraping a redis-server 7 as a user with `-@all` and
 * reading the NOPERM errors (ACL LOG) with 1.45: INFO ALL, CLIENT SETNAME, SLOWLOG GET/LEN, LATENCY LATEST; plus
 * LATENCY HISTOGRAM, which newer exporters (the default image, 1.67) send, and PING for `--ping-on-connect`. No key
 * or channel access. CONFIG GET is left out on purpose: `CONFIG GET *` returns
 * requirepass and masterauth in clear, so it would hand the store password to this user; the exporter is told to skip
 * it (REDIS_EXPORTER_CONFIG_COMMAND=-), and what it reported (maxmemory, maxclients) is in INFO as well.
 */
export const EXPORTER_ACL_RULES: readonly string[] = [
  '-@all', '+ping', '+info', '+client|setname', '+slowlog|get', '+slowlog|len', '+latency|latest', '+latency|histogram',
];

export function exporterSecretName(storeName: string): string {
  return `${storeName}-exporter-auth`;
}

/** Whether the exporter logs in as its own ACL user: exporter and authentication on, on an engine with `--user`. */
export function usesExporterUser(store: ResolvedStore): boolean {
  const { spec } = store;
  const auth = spec.authentication?.enabled !== false && spec.authentication?.passwordFromSecret !== undefined;
  return auth && spec.exporter?.enabled === true && store.engine !== 'dragonfly';
}

/**
 * The user on the engine command line. `reset` first makes the definition whole whatever came before; the password
 * comes from the environment (`$(VAR)` is expanded by the kubelet), so it never lands in the ConfigMap.
 */
export function exporterUserArgs(): string[] {
  return ['--user', EXPORTER_USER, 'reset', 'on', `>$(${EXPORTER_PASSWORD_ENV})`, 'resetchannels', ...EXPORTER_ACL_RULES];
}

/** The exporter password from its Secret, as `name` (the engine's and the exporter's variables differ). */
export function exporterPasswordEnv(store: ResolvedStore, name: string): V1EnvVar {
  return { name, valueFrom: { secretKeyRef: { name: exporterSecretName(store.name), key: EXPORTER_PASSWORD_KEY } } };
}

/**
 * The Secret to create when it is absent (create, never apply: its password must not change under running pods), or
 * undefined when the store does not use the exporter user. Owned by the store, so it goes with it.
 */
export function buildExporterSecret(store: KVStore, context: DesiredContext = {}, password = generatePassword()): V1Secret | undefined {
  const resolved = resolveStore(store, context);
  if (!usesExporterUser(resolved)) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: ownedObjectMeta(resolved, exporterSecretName(resolved.name)),
    // data, not stringData: the object is then the same before and after the API server stores it.
    data: { [EXPORTER_PASSWORD_KEY]: Buffer.from(password).toString('base64') },
  };
}
