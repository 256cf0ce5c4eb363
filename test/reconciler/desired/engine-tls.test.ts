// TLS as rendered: TLS only on the engine port, replication over TLS, client certificates when a client CA is set,
// and the probe script speaking TLS. Certificates come from the certs/ authority, as the operator issues them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from '../../../certs/authority.js';
import { buildConfigMap } from '../../../reconciler/desired/index.js';
import type { KVStoreSpec } from '../../../shared/schema/kvstore.js';
import { minimalStore } from './stores.js';
import { cli, removeDir, runProbe, startRedis, type RedisProcess } from './redis-process.js';
import { waitFor } from '../../../harness/wait-for.js';

const PASSWORD = 'tls-password';

for (const clientCertificates of [false, true]) {
  describe(`TLS on redis-server${clientCertificates ? ' with client certificates' : ''}`, () => {
    const root = mkdtempSync(join(tmpdir(), 'redwing-tls-'));
    const tlsDir = join(root, 'tls');
    const clientCaDir = join(root, 'client-ca');
    const passwordFile = join(root, 'password');
    const processes: RedisProcess[] = [];
    const env = { POD_NAMESPACE: 'tls', POD_NAME: `tls-${randomUUID()}`, REDIS_PASSWORD: PASSWORD };
    const spec: KVStoreSpec = { tls: { enabled: true, ...(clientCertificates ? { clientCaSecretName: 'client-ca' } : {}) } };
    const store = { ...minimalStore('redis'), spec };
    const data = buildConfigMap(store).data!;
    const paths = { '/etc/redis-tls': tlsDir, '/etc/redis-client-ca': clientCaDir };
    let config = data['redis.conf']!;
    for (const [from, to] of Object.entries(paths)) config = config.replaceAll(from, to);
    const tlsCli = ['--tls', '--cacert', join(tlsDir, 'ca.crt'), ...(clientCertificates ? ['--cert', join(tlsDir, 'tls.crt'), '--key', join(tlsDir, 'tls.key')] : [])];
    let master: RedisProcess;
    let replica: RedisProcess;

    before(async () => {
      const ca = createCertificateAuthority({ commonName: 'redwing-test-ca' });
      // clientAuth: replicas present this certificate to their master when client certificates are required.
      const server = issueServingCertificate(ca, { commonName: 'cache', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'], clientAuth: true });
      mkdirSync(tlsDir);
      mkdirSync(clientCaDir);
      writeFileSync(join(tlsDir, 'tls.crt'), server.certPem);
      writeFileSync(join(tlsDir, 'tls.key'), server.keyPem);
      writeFileSync(join(tlsDir, 'ca.crt'), ca.certPem);
      writeFileSync(join(clientCaDir, 'ca.crt'), ca.certPem);
      writeFileSync(passwordFile, PASSWORD);
      for (let i = 0; i < 2; i++) {
        processes.push(await startRedis(config, ['--requirepass', PASSWORD, '--masterauth', PASSWORD], undefined, { tls: true, cliArgs: tlsCli }));
      }
      [master, replica] = processes as [RedisProcess, RedisProcess];
    });

    after(async () => {
      for (const p of processes) {
        await p.stop('SIGKILL');
        removeDir(p.dir);
      }
      removeDir(root);
      removeDir(`/tmp/redwing-ready-${env.POD_NAMESPACE}-${env.POD_NAME}`);
    });

    it('serves TLS only, and the probe speaks it', () => {
      assert.equal(cli(master.port, ['PING'], PASSWORD, tlsCli).out, 'PONG');
      assert.notEqual(cli(master.port, ['PING'], PASSWORD).out, 'PONG', 'no plaintext on the engine port');
      const probe = runProbe(data['probe.sh']!, 'readiness', master.port, env, passwordFile, paths);
      assert.match(probe.out, /fenced/);
      assert.equal(runProbe(data['probe.sh']!, 'liveness', master.port, env, passwordFile, paths).code, 0);
    });

    if (clientCertificates) {
      it('refuses a client without a certificate', () => {
        const anonymous = cli(master.port, ['PING'], PASSWORD, ['--tls', '--cacert', join(tlsDir, 'ca.crt')]);
        assert.notEqual(anonymous.out, 'PONG');
      });
    }

    it('replicates over TLS', async () => {
      assert.equal(cli(master.port, ['REPLICAOF', 'NO', 'ONE'], PASSWORD, tlsCli).out, 'OK');
      assert.equal(cli(master.port, ['SET', 'greeting', 'hello'], PASSWORD, tlsCli).out, 'OK');
      assert.equal(cli(replica.port, ['REPLICAOF', '127.0.0.1', String(master.port)], PASSWORD, tlsCli).out, 'OK');
      await waitFor('the replica to sync over TLS', () => runProbe(data['probe.sh']!, 'readiness', replica.port, env, passwordFile, paths).code === 0);
      assert.equal(cli(replica.port, ['GET', 'greeting'], PASSWORD, tlsCli).out, 'hello');
    });
  });
}
