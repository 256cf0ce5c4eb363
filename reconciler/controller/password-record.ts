/**
 * Reading and writing the operator's record of the password a store's pods accept (why it exists:
 * reconciler/desired/build-password-record.ts). The record is read from the Secret informer's cache (it carries the
 * store's labels), so a reconcile costs no request for it; it is written only when it changes, which is after the
 * pods first accept a password and after each rotation.
 */
import type { KVStore } from '../../shared/schema/kvstore.js';
import { applyObject } from '../apply/index.js';
import {
  buildPasswordRecord, passwordRecordName, PASSWORD_RECORD_KEY, PREVIOUS_PASSWORD_RECORD_KEY,
} from '../desired/index.js';
import type { Informer } from '../../kube/informer.js';
import type { KubeClient } from '../../kube/client.js';
import { decodeSecretValue, type SecretObject } from './store-secrets.js';

export interface PasswordRecord {
  /** What every reachable pod accepted when last recorded. */
  password?: string;
  /** The one before, for a pod that missed the last rotation. */
  previous?: string;
}

export function readPasswordRecord(secrets: Informer, namespace: string, storeName: string): PasswordRecord {
  const secret = secrets.get(namespace, passwordRecordName(storeName)) as SecretObject | undefined;
  return { password: decodeSecretValue(secret, PASSWORD_RECORD_KEY), previous: decodeSecretValue(secret, PREVIOUS_PASSWORD_RECORD_KEY) };
}

/** The password every reachable pod accepted, when they all accepted the same one (and at least one answered). */
export function passwordAcceptedByAll(passwordByPod: Map<string, string | undefined>): string | undefined {
  const accepted = new Set(passwordByPod.values());
  if (accepted.size !== 1) return undefined;
  return [...accepted][0];
}

/** Records `password` when it differs from the record; true when it wrote. */
export async function recordPassword(client: KubeClient, store: KVStore, record: PasswordRecord, password: string): Promise<boolean> {
  if (record.password === password) return false;
  await applyObject(client, buildPasswordRecord(store, password, record.password ?? record.previous));
  return true;
}
