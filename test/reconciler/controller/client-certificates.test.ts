import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCertificateAuthority } from '../../../certs/authority.js';
import { clientCaBundle, issueOperatorClientCertificate, lazyOperatorClientCertificate } from '../../../reconciler/controller/client-certificates.js';
import { engineTlsFor } from '../../../reconciler/controller/phases/observe-phase.js';
import { splitPemBundle } from '../../../shared/pem-bundle.js';

describe('client certificates for stores that require them', () => {
  const operatorCa = createCertificateAuthority({ commonName: 'redwing-store-ca' });
  const userCa = createCertificateAuthority({ commonName: 'team-client-ca' });

  it('issues the operator a client certificate from the operator CA', async () => {
    const issued = await issueOperatorClientCertificate(operatorCa);
    const certificate = new X509Certificate(issued.certPem);
    assert.ok(certificate.checkIssued(new X509Certificate(operatorCa.certPem)));
    assert.ok(certificate.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth');
  });

  it('issues once per process, and again after a failure', async () => {
    let loads = 0;
    const load = lazyOperatorClientCertificate(async () => {
      loads += 1;
      if (loads === 1) throw new Error('the operator CA Secret cannot be read');
      return operatorCa;
    });
    await assert.rejects(load(), /cannot be read/);
    const first = await load();
    assert.equal((await load())?.certPem, first?.certPem);
    assert.equal(loads, 2);
  });

  it('bundles the user client CA, the serving CA and the operator CA, each once', () => {
    const bundle = splitPemBundle(clientCaBundle(userCa.certPem, { servingCaPem: operatorCa.certPem, operatorCaPem: operatorCa.certPem }));
    assert.deepEqual(bundle, [userCa.certPem, operatorCa.certPem]);
  });

  it('engine connections present the operator certificate only when one is held', () => {
    assert.equal(engineTlsFor({}), undefined);
    assert.deepEqual(engineTlsFor({ tlsCaPem: 'CA' }), { ca: 'CA' });
    assert.deepEqual(engineTlsFor({ tlsCaPem: 'CA', tlsClient: { certPem: 'C', keyPem: 'K' } }), { ca: 'CA', cert: 'C', key: 'K' });
  });
});
