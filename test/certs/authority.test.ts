import { strict as assert } from 'node:assert';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import {
  createCertificateAuthority,
  describeCertificate,
  isIssuedBy,
  issueServingCertificate,
  keyMatchesCertificate,
  serviceDnsNames,
  shouldRenew,
  splitPemBundle,
  type KeyPairPem,
} from '../../certs/authority.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Serves `material` over TLS and resolves with the error (or undefined) a client verifying against `ca` sees. */
async function handshake(material: KeyPairPem, ca: string, servername: string, host = '127.0.0.1'): Promise<Error | undefined> {
  const server = tls.createServer({ cert: material.certPem, key: material.keyPem }, (socket) => socket.end('hello'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Error | undefined>((resolve) => {
      const socket = tls.connect({ host, port, ca, servername: servername || undefined }, () => {
        socket.end();
        resolve(undefined);
      });
      socket.on('error', resolve);
    });
  } finally {
    server.close();
  }
}

describe('certs/authority', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  let ca: KeyPairPem;
  let serving: KeyPairPem;

  before(() => {
    ca = createCertificateAuthority({ commonName: 'redwing-webhook-ca', now });
    serving = issueServingCertificate(ca, {
      commonName: 'redwing-webhook.redwing-system.svc',
      dnsNames: [...serviceDnsNames('redwing-webhook', 'redwing-system'), 'localhost'],
      ipAddresses: ['127.0.0.1'],
      now,
    });
  });

  it('creates a self-signed CA with default 10-year validity backdated 1 hour', () => {
    const d = describeCertificate(ca.certPem);
    assert.equal(d.isCa, true);
    assert.equal(d.subjectCommonName, 'redwing-webhook-ca');
    assert.equal(d.issuerCommonName, 'redwing-webhook-ca');
    assert.equal(d.notBefore.getTime(), now.getTime() - HOUR_MS);
    assert.equal(d.notAfter.getTime(), now.getTime() + 3650 * DAY_MS);
    assert.ok(keyMatchesCertificate(ca.certPem, ca.keyPem));
    const x509 = new X509Certificate(ca.certPem);
    assert.equal(x509.ca, true);
    assert.ok(x509.verify(x509.publicKey));
  });

  it('issues a serving cert with the service SANs, 1-year validity backdated 1 hour', () => {
    const d = describeCertificate(serving.certPem);
    assert.equal(d.isCa, false);
    assert.deepEqual(d.dnsNames, [
      'redwing-webhook',
      'redwing-webhook.redwing-system',
      'redwing-webhook.redwing-system.svc',
      'redwing-webhook.redwing-system.svc.cluster.local',
      'localhost',
    ]);
    assert.deepEqual(d.ipAddresses, ['127.0.0.1']);
    assert.equal(d.notBefore.getTime(), now.getTime() - HOUR_MS);
    assert.equal(d.notAfter.getTime(), now.getTime() + 365 * DAY_MS);
    assert.equal(d.issuerCommonName, 'redwing-webhook-ca');
    // Cross-check against Node's own X.509 parser, not just forge reading what forge wrote.
    const x509 = new X509Certificate(serving.certPem);
    assert.equal(x509.fingerprint256.replaceAll(':', '').toLowerCase(), d.fingerprintSha256);
    assert.ok(x509.verify(new X509Certificate(ca.certPem).publicKey));
    assert.ok(x509.checkHost('redwing-webhook.redwing-system.svc'));
    assert.ok(x509.checkIP('127.0.0.1'));
    assert.equal(x509.checkHost('other.redwing-system.svc'), undefined);
    assert.ok(isIssuedBy(serving.certPem, ca.certPem));
    assert.ok(keyMatchesCertificate(serving.certPem, serving.keyPem));
    assert.ok(!keyMatchesCertificate(serving.certPem, ca.keyPem));
  });

  it('honours custom backdating and validity', () => {
    const leaf = issueServingCertificate(ca, { commonName: 'x', dnsNames: ['x'], now, backdateMs: 5000, validityMs: 60_000 });
    const d = describeCertificate(leaf.certPem);
    assert.equal(d.notBefore.getTime(), now.getTime() - 5000);
    assert.equal(d.notAfter.getTime(), now.getTime() + 60_000);
  });

  it('never lets a leaf outlive its CA', () => {
    const shortCa = createCertificateAuthority({ commonName: 'short', now, validityMs: DAY_MS });
    const leaf = issueServingCertificate(shortCa, { commonName: 'x', dnsNames: ['x'], now });
    assert.equal(describeCertificate(leaf.certPem).notAfter.getTime(), describeCertificate(shortCa.certPem).notAfter.getTime());
  });

  it('refuses to issue from an expired CA', () => {
    const shortCa = createCertificateAuthority({ commonName: 'short', now, validityMs: 60_000, backdateMs: 0 });
    assert.ok(issueServingCertificate(shortCa, { commonName: 'x', dnsNames: ['x'], now: new Date(now.getTime() + 59_000) }));
    assert.throws(() => issueServingCertificate(shortCa, { commonName: 'x', dnsNames: ['x'], now: new Date(now.getTime() + 60_000) }), /expired/);
  });

  it('rejects a certificate without names', () => {
    assert.throws(() => issueServingCertificate(ca, { commonName: 'x', dnsNames: [] }), /at least one/);
  });

  it('decides renewal after 2/3 of the life by default', () => {
    const leaf = issueServingCertificate(ca, { commonName: 'x', dnsNames: ['x'], now, backdateMs: 0, validityMs: 300 * 1000 });
    assert.equal(shouldRenew(leaf.certPem, new Date(now.getTime() + 199_000)), false);
    assert.equal(shouldRenew(leaf.certPem, new Date(now.getTime() + 200_000)), true);
    assert.equal(shouldRenew(leaf.certPem, new Date(now.getTime() + 400_000)), true);
    assert.equal(shouldRenew(leaf.certPem, new Date(now.getTime() + 100_000), 0.5), false);
    assert.equal(shouldRenew(leaf.certPem, new Date(now.getTime() + 150_000), 0.5), true);
    assert.throws(() => shouldRenew(leaf.certPem, now, 0));
  });

  it('chain verifies with Node TLS for DNS names and IP; fails for a foreign CA or a wrong name', async () => {
    const live = issueServingCertificate(ca, {
      commonName: 'redwing-webhook',
      dnsNames: serviceDnsNames('redwing-webhook', 'redwing-system'),
      ipAddresses: ['127.0.0.1'],
    });
    assert.equal(await handshake(live, ca.certPem, 'redwing-webhook.redwing-system.svc'), undefined);
    assert.equal(await handshake(live, ca.certPem, ''), undefined); // IP SAN
    const foreign = createCertificateAuthority({ commonName: 'redwing-webhook-ca' });
    const foreignError = await handshake(live, foreign.certPem, 'redwing-webhook.redwing-system.svc');
    assert.ok(foreignError, 'a CA with the same name but another key must not verify');
    const nameError = await handshake(live, ca.certPem, 'evil.example.com');
    assert.match(String(nameError), /altnames|Hostname/i);
  });

  it('during an overlap, a bundle of old and new CA (same subject) verifies leaves of both', async () => {
    const newCa = createCertificateAuthority({ commonName: 'redwing-webhook-ca' });
    const bundle = ca.certPem + newCa.certPem;
    for (const issuer of [ca, newCa]) {
      const leaf = issueServingCertificate(issuer, { commonName: 'x', dnsNames: ['localhost'] });
      assert.equal(await handshake(leaf, bundle, 'localhost'), undefined);
      assert.equal(await handshake(leaf, newCa.certPem + ca.certPem, 'localhost'), undefined);
    }
    assert.equal(splitPemBundle(bundle).length, 2);
  });
});
