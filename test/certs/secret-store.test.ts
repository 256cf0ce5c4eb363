import { CoreV1Api } from '@kubernetes/client-node';
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { describeCertificate, issueServingCertificate } from '../../certs/authority.js';
import { createInitialState, defaultRotationPolicy } from '../../certs/rotation.js';
import { TlsSecretStore } from '../../certs/secret-store.js';
import type { KubeClient } from '../../kube/client.js';
import { decodeTlsSecret, encodeTlsSecret } from '../../certs/tls-state.js';
import { startKube, type KubeHarness } from './kube-harness.js';

const logger = pino({ level: 'silent' });
const policy = defaultRotationPolicy({ dnsNames: ['redwing-webhook', 'redwing-webhook.redwing-system'] });

describe('certs/secret-store', () => {
  let kube: KubeHarness;
  before(async () => {
    kube = await startKube();
  });
  after(async () => {
    await kube.stop();
  });

  const storeFor = (secretName: string): TlsSecretStore =>
    new TlsSecretStore({ client: kube.client, namespace: 'redwing-system', secretName, logger });

  it('three replicas starting at once converge on one Secret', async () => {
    let generated = 0;
    const stores = [1, 2, 3].map(() => storeFor('redwing-webhook-tls'));
    const results = await Promise.all(
      stores.map((store) =>
        store.loadOrCreate(() => {
          generated++;
          return createInitialState(policy, new Date());
        }),
      ),
    );
    const fingerprints = results.map((r) => describeCertificate(r.state.ca.certPem).fingerprintSha256);
    assert.equal(new Set(fingerprints).size, 1, 'every replica uses the same CA');
    assert.equal(new Set(results.map((r) => r.state.serving.certPem)).size, 1, 'and the same serving cert');
    const secret = await kube.core.readNamespacedSecret({ name: 'redwing-webhook-tls', namespace: 'redwing-system' });
    assert.equal(secret.type, 'kubernetes.io/tls');
    const decoded = decodeTlsSecret(secret.data, secret.metadata?.annotations);
    assert.ok(decoded.ok);
    assert.equal(decoded.state.ca.certPem, results[0]!.state.ca.certPem);
    for (const key of ['tls.crt', 'tls.key', 'ca.crt', 'ca.key', 'ca-bundle.crt']) assert.ok(secret.data?.[key], key);
    // All three raced past "not found" and generated; two lost the create and adopted the winner's Secret.
    assert.ok(generated >= 2, `the replicas really raced (generated ${generated} candidate states)`);
  });

  it('re-reads and re-applies its change when another writer updated the Secret in between', async () => {
    const seed = await storeFor('conflict-tls').loadOrCreate(() => createInitialState(policy, new Date()));
    const otherServing = issueServingCertificate(seed.state.ca, { commonName: 'other', dnsNames: ['other-writer'] });
    // Forwards to the real API, but right before our first replace (PUT) another replica writes the Secret.
    const core = kube.kubeConfig.makeApiClient(CoreV1Api);
    let interfered = false;
    const racingClient = new Proxy(kube.client, {
      get(target, property, receiver) {
        if (property === 'request') {
          return async (...args: Parameters<KubeClient['request']>) => {
            if (args[0] === 'PUT' && !interfered) {
              interfered = true;
              const { data, annotations } = encodeTlsSecret({ ...seed.state, serving: otherServing });
              const current = await core.readNamespacedSecret({ name: 'conflict-tls', namespace: 'redwing-system' });
              await core.replaceNamespacedSecret({
                name: 'conflict-tls',
                namespace: 'redwing-system',
                body: { ...current, data, metadata: { ...current.metadata, annotations } },
              });
            }
            return target.request(...args);
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const store = new TlsSecretStore({ client: racingClient, namespace: 'redwing-system', secretName: 'conflict-tls', logger });
    const seen: string[] = [];
    const updated = await store.update((current) => {
      seen.push(describeCertificate(current.serving.certPem).subjectCommonName);
      return { ...current, dropPreviousCaAfter: new Date('2030-01-01T00:00:00Z') };
    });
    assert.equal(seen.length, 2, 'mutate ran again after the conflict');
    assert.equal(seen[1], 'other', 'on the other writer\'s state');
    assert.equal(updated.state.serving.certPem, otherServing.certPem, 'the other writer\'s change is kept');
    assert.equal(updated.state.dropPreviousCaAfter?.toISOString(), '2030-01-01T00:00:00.000Z');
    const stored = await storeFor('conflict-tls').load();
    assert.equal(stored?.state.serving.certPem, otherServing.certPem);
    assert.equal(stored?.state.dropPreviousCaAfter?.toISOString(), '2030-01-01T00:00:00.000Z');
  });

  it('replaces an unusable Secret (key not matching) and keeps foreign annotations', async () => {
    const valid = createInitialState(policy, new Date());
    const { data } = encodeTlsSecret(valid);
    data['tls.key'] = data['ca.key']!;
    await kube.core.createNamespacedSecret({
      namespace: 'redwing-system',
      body: { metadata: { name: 'broken-tls', annotations: { 'example.com/keep': 'yes' } }, type: 'kubernetes.io/tls', data },
    });
    const store = storeFor('broken-tls');
    await assert.rejects(store.load(), /unusable/);
    const loaded = await store.loadOrCreate(() => createInitialState(policy, new Date()));
    assert.notEqual(loaded.state.ca.certPem, valid.ca.certPem);
    const secret = await kube.core.readNamespacedSecret({ name: 'broken-tls', namespace: 'redwing-system' });
    assert.equal(secret.metadata?.annotations?.['example.com/keep'], 'yes');
    assert.ok(decodeTlsSecret(secret.data, secret.metadata?.annotations).ok);
  });
});
