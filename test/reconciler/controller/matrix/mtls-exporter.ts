/**
 * Scenario: a store that requires client certificates (tls.clientCaSecretName) with the exporter on. The operator
 * reaches every engine with its own client certificate (the store gets a master, every pod Ready), an application
 * with a certificate from the user's client CA writes, a client without one is refused, the write reaches every
 * replica over TLS replication, and each pod's exporter scrapes its engine over TLS with a client certificate:
 * `redis_up 1` (it dials rediss://localhost, a name the issued certificate now carries).
 */
import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { paths } from '../../../../kube/paths.js';
import type { Engine } from '../../../../shared/schema/kvstore.js';
import { kvstore, storePassword, waitFor, waitStoreReady, type ReconcilerOnSandbox } from '../e2e-helpers.js';
import { scrapeRedisUp } from './exporter-scrape.js';
import { storeServingCa, tlsCommand } from './tls-clients.js';

const STORE = 'mtls';
const CLIENT_CA_SECRET = 'team-client-ca';

export function mtlsAndExporterOverTls(e2e: ReconcilerOnSandbox, engine: Engine): void {
  it(`${engine}: mTLS: the operator presents its own client certificate, clients need one, the exporter reports redis_up 1 over TLS`, async () => {
    const { createCertificateAuthority, issueServingCertificate } = await import('../../../../certs/authority.js');
    const teamCa = createCertificateAuthority({ commonName: 'team-client-ca' });
    const application = issueServingCertificate(teamCa, { commonName: 'application', dnsNames: ['application'], clientAuth: true });
    await e2e.cluster.client.create(paths.core('secrets', 'default'), {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: CLIENT_CA_SECRET, namespace: 'default' },
      data: { 'ca.crt': Buffer.from(teamCa.certPem).toString('base64') },
    });
    await e2e.cluster.client.create(paths.kvstores('default'), kvstore(STORE, {
      engine, replicas: 2, tls: { enabled: true, clientCaSecretName: CLIENT_CA_SECRET }, exporter: { enabled: true },
    }));
    // Every pod Ready: the probe script presents the pod's certificate too.
    const pods = await waitStoreReady(e2e.cluster.client, STORE, 2, { allPodsReady: true, timeoutMs: 120_000 });
    const password = await storePassword(e2e.cluster.client, STORE);
    const servingCa = await storeServingCa(e2e.cluster.client, STORE);
    const master = pods.find((pod) => pod.role === 'master')!;
    assert.equal(await tlsCommand(master, STORE, servingCa, password, application, 'SET', 'mtls', 'yes'), 'OK');
    await assert.rejects(tlsCommand(master, STORE, servingCa, password, undefined, 'PING'), 'a client without a certificate is refused');
    for (const pod of pods.filter((entry) => entry.role === 'replica')) {
      await waitFor(`the write on ${pod.name}`, async () => (await tlsCommand(pod, STORE, servingCa, password, application, 'GET', 'mtls')) === 'yes', 15_000);
    }
    for (const pod of pods) {
      await waitFor(`redis_up 1 from the exporter of ${pod.name}`, async () => (await scrapeRedisUp(pod.ip!)) === '1', 60_000);
    }
  });
}
