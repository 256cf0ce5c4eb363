/**
 * The random password Secret `S-auth`, for a store whose (defaulted) password Secret does not exist. Only the
 * defaulted name is ever created: a Secret the user named is theirs, and a missing one is reported, not invented.
 * The reconciler creates it once (create, not apply: a re-run must never replace an existing password).
 */
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { DEFAULT_PASSWORD_KEY } from '../../shared/defaults.js';
import { storeObjectNames } from '../../shared/names.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { ownedObjectMeta, resolveStore, type DesiredContext } from './store-context.js';

/** 32 random bytes as URL-safe base64: 256 bits, and no character a shell, URL or redis.conf would mangle. */
export function generatePassword(random: (size: number) => Buffer = randomBytes): string {
  return random(32).toString('base64url');
}

/**
 * The Secret to create, or undefined when authentication is off or the store references a Secret other than the
 * defaulted `S-auth` (the user's Secret is never created by the operator).
 */
export function buildAuthSecret(store: KVStore, context: DesiredContext = {}, password = generatePassword()): V1Secret | undefined {
  const resolved = resolveStore(store, context);
  const auth = resolved.spec.authentication;
  const name = storeObjectNames(resolved.name).authSecret;
  if (auth?.enabled === false || auth?.passwordFromSecret?.name !== name) return undefined;
  const metadata = ownedObjectMeta(resolved, name);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata,
    // data, not stringData: the object is then the same before and after the API server stores it.
    data: { [auth.passwordFromSecret.key ?? DEFAULT_PASSWORD_KEY]: Buffer.from(password).toString('base64') },
  };
}
