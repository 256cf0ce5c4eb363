import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  createCertificateAuthority,
  describeCertificate,
  isIssuedBy,
  issueServingCertificate,
  keyMatchesCertificate,
} from '../../certs/authority.js';
import { createCertDirSource } from '../../certs/cert-dir.js';
import type { ServingMaterial } from '../../certs/certificate-source.js';
import { waitFor } from '../../harness/wait-for.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'redwing-certdir-'));
  dirs.push(dir);
  return dir;
}
after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** GET over HTTPS verifying against `ca`; resolves with the body or rejects with the TLS error. */
function get(port: number, ca: string, servername = 'localhost'): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.get({ host: '127.0.0.1', port, path: '/', ca, servername, agent: false }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
    });
    request.on('error', reject);
  });
}

describe('certs/cert-dir', () => {
  it('creates ca.crt, tls.crt, tls.key valid for localhost, 127.0.0.1 and the service names', async () => {
    const dir = await freshDir();
    const source = await createCertDirSource({ dir, service: 'hook', namespace: 'ops' });
    try {
      assert.ok(source.isReady());
      const caCert = await readFile(join(dir, 'ca.crt'), 'utf8');
      const tlsCert = await readFile(join(dir, 'tls.crt'), 'utf8');
      const tlsKey = await readFile(join(dir, 'tls.key'), 'utf8');
      assert.deepEqual(source.current(), { certPem: tlsCert, keyPem: tlsKey, caBundlePem: caCert });
      const d = describeCertificate(tlsCert);
      assert.deepEqual(d.dnsNames.sort(), ['hook', 'hook.ops', 'hook.ops.svc', 'hook.ops.svc.cluster.local', 'localhost'].sort());
      assert.deepEqual(d.ipAddresses, ['127.0.0.1']);
      assert.ok(isIssuedBy(tlsCert, caCert));
      assert.equal((await stat(join(dir, 'tls.key'))).mode & 0o777, 0o600);
    } finally {
      await source.stop();
    }
  });

  it('reuses existing files on a second start', async () => {
    const dir = await freshDir();
    const first = await createCertDirSource({ dir });
    const material = first.current();
    await first.stop();
    const second = await createCertDirSource({ dir });
    try {
      assert.deepEqual(second.current(), material);
    } finally {
      await second.stop();
    }
  });

  it('uses files it did not create (cert-manager) as they are, without ca.key', async () => {
    const dir = await freshDir();
    const ca = createCertificateAuthority({ commonName: 'cert-manager-ca' });
    const leaf = issueServingCertificate(ca, { commonName: 'x', dnsNames: ['only-this-name'] });
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    await writeFile(join(dir, 'tls.crt'), leaf.certPem);
    await writeFile(join(dir, 'tls.key'), leaf.keyPem);
    const source = await createCertDirSource({ dir });
    try {
      assert.deepEqual(source.current(), { certPem: leaf.certPem, keyPem: leaf.keyPem, caBundlePem: ca.certPem });
      await assert.rejects(stat(join(dir, 'ca.key')), /ENOENT/);
    } finally {
      await source.stop();
    }
  });

  it('does not recreate files that disappear after start (another writer may be mid-update)', async () => {
    const dir = await freshDir();
    const source = await createCertDirSource({ dir, pollIntervalMs: 100, watch: false });
    try {
      const material = source.current();
      await rm(join(dir, 'tls.key'));
      const polls = Date.now() + 600;
      await waitFor('a few polls', () => Date.now() > polls);
      await assert.rejects(stat(join(dir, 'tls.key')), /ENOENT/);
      assert.deepEqual(source.current(), material, 'keeps serving the last good pair');
    } finally {
      await source.stop();
    }
  });

  it('renews its own serving certificate when due', async () => {
    const dir = await freshDir();
    const source = await createCertDirSource({
      dir,
      pollIntervalMs: 100,
      rotation: { servingValidityMs: 3000, backdateMs: 0 },
    });
    try {
      const first = source.current().certPem;
      const renewed = await waitFor('renewal', () => source.current().certPem !== first && source.current());
      assert.ok(isIssuedBy(renewed.certPem, renewed.caBundlePem));
      assert.equal(await readFile(join(dir, 'tls.crt'), 'utf8'), renewed.certPem);
    } finally {
      await source.stop();
    }
  });

  for (const mode of ['fs.watch', 'polling only'] as const) it(`hot-reloads rewritten files into a live https server via setSecureContext (${mode})`, async () => {
    const dir = await freshDir();
    // With fs.watch the poll is too slow to be what reloads within the wait below.
    const source = await createCertDirSource(mode === 'fs.watch' ? { dir, pollIntervalMs: 60_000 } : { dir, pollIntervalMs: 200, watch: false });
    const initial = source.current();
    const server = https.createServer({ cert: initial.certPem, key: initial.keyPem }, (_request, response) => {
      response.end('ok');
    });
    const changes: ServingMaterial[] = [];
    const unsubscribe = source.onChange((material) => {
      changes.push(material);
      server.setSecureContext({ cert: material.certPem, key: material.keyPem });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      assert.equal(await get(port, initial.caBundlePem), 'ok');

      // An external issuer (as cert-manager would) replaces all three files with another CA's material.
      const otherCa = createCertificateAuthority({ commonName: 'rotated-ca' });
      const otherLeaf = issueServingCertificate(otherCa, { commonName: 'x', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
      await writeFile(join(dir, 'ca.crt'), otherCa.certPem);
      await writeFile(join(dir, 'tls.key'), otherLeaf.keyPem);
      await writeFile(join(dir, 'tls.crt'), otherLeaf.certPem);

      const reloaded = await waitFor('reload', () => changes.find((m) => m.certPem === otherLeaf.certPem), 20_000);
      assert.equal(reloaded.keyPem, otherLeaf.keyPem);
      assert.equal(reloaded.caBundlePem, otherCa.certPem);
      assert.equal(await get(port, otherCa.certPem), 'ok');
      await assert.rejects(get(port, initial.caBundlePem), /self.signed|unable to (get|verify)/i);
      // Every change the listener saw was a consistent pair: never a key for the wrong certificate.
      for (const change of changes) assert.ok(keyMatchesCertificate(change.certPem, change.keyPem));
    } finally {
      unsubscribe();
      server.close();
      await source.stop();
    }
  });
});
