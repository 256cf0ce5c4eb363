/**
 * The CA that issues store certificates (`S-tls`), kept in Secret `redwing-store-ca` in the operator namespace so
 * every reconciler instance, and every restart, issues from the same CA. When that namespace is not reachable the
 * CA lives in memory only (certificates still carry ca.crt, so the engines stay verifiable), with a warning.
 */
import type { KeyPairPem } from '../../certs/authority.js';
import type { Logger } from '../../shared/logger.js';
import { isConflict } from '../../kube/errors.js';
import { paths } from '../../kube/paths.js';
import type { KubeClient } from '../../kube/client.js';
import { decodeSecretValue, type SecretObject } from './store-secrets.js';

export const STORE_CA_SECRET = 'redwing-store-ca';

function fromSecret(secret: SecretObject | undefined): KeyPairPem | undefined {
  const certPem = decodeSecretValue(secret, 'tls.crt');
  const keyPem = decodeSecretValue(secret, 'tls.key');
  return certPem && keyPem ? { certPem, keyPem } : undefined;
}

/** node-forge (about 10 MB of RSS) is loaded only when a CA must be made, not on every start. */
async function createCertificateAuthority(options: { commonName: string }): Promise<KeyPairPem> {
  const { createCertificateAuthority: create } = await import('../../certs/authority.js');
  return create(options);
}

export async function loadOrCreateStoreCa(client: KubeClient, namespace: string, logger?: Logger): Promise<KeyPairPem> {
  const path = paths.coreObject('secrets', namespace, STORE_CA_SECRET);
  try {
    const existing = fromSecret(await client.getOptional<SecretObject>(path));
    if (existing) return existing;
    const ca = await createCertificateAuthority({ commonName: 'redwing-store-ca' });
    try {
      await client.create(paths.core('secrets', namespace), {
        apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls',
        metadata: { name: STORE_CA_SECRET, namespace, labels: { 'app.kubernetes.io/managed-by': 'redwing' } },
        data: { 'tls.crt': Buffer.from(ca.certPem).toString('base64'), 'tls.key': Buffer.from(ca.keyPem).toString('base64') },
      });
      return ca;
    } catch (error) {
      if (!isConflict(error)) throw error;
      const raced = fromSecret(await client.getOptional<SecretObject>(path));
      if (raced) return raced;
      throw error;
    }
  } catch (error) {
    logger?.warn({ err: error, namespace }, 'cannot keep the store CA in a Secret; using an in-memory CA');
    return createCertificateAuthority({ commonName: 'redwing-store-ca' });
  }
}
