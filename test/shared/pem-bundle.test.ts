import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCertificateAuthority } from '../../certs/authority.js';
import { combinePemBundles, splitPemBundle } from '../../shared/pem-bundle.js';

describe('PEM bundles', () => {
  const first = createCertificateAuthority({ commonName: 'first' }).certPem;
  const second = createCertificateAuthority({ commonName: 'second' }).certPem;

  it('combines bundles with each certificate once, in first-seen order, skipping absent ones and CRLF', () => {
    const combined = combinePemBundles([first, undefined, `${second.replace(/\n/g, '\r\n')}${first}`]);
    assert.deepEqual(splitPemBundle(combined), [first, second]);
  });

  it('drops what is not a certificate (a key in the bundle is not passed on)', () => {
    const key = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
    assert.equal(combinePemBundles([`${key}${first}`]), first);
  });
});
