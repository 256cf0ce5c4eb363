import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCommands } from '../../../reconciler/backups/rdb-feed-server.js';
import { restoreRdb } from '../../../reconciler/backups/restore-rdb.js';
import { S3Client } from '../../../reconciler/backups/s3/s3-client.js';
import { uploadRdb } from '../../../reconciler/backups/upload-rdb.js';
import { withEngineConnection } from '../../../reconciler/replication/engine-connection.js';
import { startS3Server, type TestS3Server } from '../../../harness/s3-server.js';
import { command, loopbackHosts, RedisFleet } from '../../../harness/redis-processes.js';
import { spawnSync } from 'node:child_process';
import { createCertificateAuthority, issueServingCertificate } from '../../../certs/authority.js';

const KEYS = { accessKeyId: 'redwing-test', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };

describe('parseCommands (the feed reading a replica handshake)', () => {
  it('reads RESP arrays and inline commands, keeping a partial one for later', () => {
    const { commands, rest } = parseCommands(Buffer.from('PING\r\n*3\r\n$8\r\nREPLCONF\r\n$4\r\ncapa\r\n$3\r\neof\r\n*3\r\n$5\r\nPSYNC\r\n$1\r\n?'));
    assert.deepEqual(commands, [['PING'], ['REPLCONF', 'capa', 'eof']]);
    assert.equal(rest.toString(), '*3\r\n$5\r\nPSYNC\r\n$1\r\n?');
  });
});

// Redis, and Valkey where its server is installed: the same protocol, both replica handshakes.
const engines = [{ name: 'redis', binary: 'redis-server' }, { name: 'valkey', binary: 'valkey-server' }];

for (const engine of engines) {
  const installed = spawnSync(engine.binary, ['--version']).status === 0;
  describe(`restoring an RDB from S3 into a fenced ${engine.name} engine`, { skip: installed ? false : `${engine.binary} is not installed` }, () => {
    const fleet = new RedisFleet();
    const [sourceHost, targetHost] = loopbackHosts(2) as [string, string];
    let server: TestS3Server;
    let s3: S3Client;
    before(async () => {
      server = await startS3Server({ credentials: [KEYS], buckets: ['backups'] });
      s3 = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: KEYS, retryBaseMs: 5 });
    });
    after(async () => {
      await fleet.stopAll();
      await server.close();
    });

    it('the engine loads it read-only, then is master with exactly the same keys', async () => {
      const source = await fleet.start({ host: sourceHost, password: 'pw', binary: engine.binary });
      for (let index = 0; index < 2000; index++) await command(source, 'SET', `key:${index}`, `value:${index}`);
      await command(source, 'HSET', 'hash', 'a', '1', 'b', '2');
      await uploadRdb({ endpoint: { host: sourceHost, port: source.port, password: 'pw' }, client: s3, bucket: 'backups', key: 'r/x.rdb' });
      // Fenced as a new store pod boots; another password, as a restore into another store has.
      const target = await fleet.start({ host: targetHost, password: 'other', fenced: true, binary: engine.binary });
      const result = await restoreRdb({ endpoint: { host: targetHost, port: target.port, password: 'other' }, client: s3, bucket: 'backups', key: 'r/x.rdb', feedHost: '127.0.0.1', pollIntervalMs: 50 });
      assert.match(String(await command(target, 'INFO', 'server')), engine.name === 'valkey' ? /valkey_version/ : /redis_version/);
      assert.equal(result.keys, 2001);
      assert.match(String(await command(target, 'ROLE')), /^master/);
      assert.equal(await command(target, 'GET', 'key:1999'), 'value:1999');
      assert.deepEqual(await command(target, 'HGETALL', 'hash'), ['a', '1', 'b', '2']);
      assert.equal(await command(target, 'SET', 'after', 'x'), 'OK');
    });

    it('a missing object fails before the engine is touched', async () => {
      const target = await fleet.start({ host: targetHost, password: 'pw', fenced: true, binary: engine.binary });
      await assert.rejects(restoreRdb({ endpoint: { host: targetHost, port: target.port, password: 'pw' }, client: s3, bucket: 'backups', key: 'r/none.rdb', feedHost: '127.0.0.1' }), /NoSuchKey|404/);
      assert.match(String(await command(target, 'INFO', 'replication')), /master_host:127\.0\.0\.1\r\nmaster_port:1\r\n/);
    });
  });
}

describe('restoring into an engine that replicates over TLS', () => {
  const fleet = new RedisFleet();
  const [sourceHost, targetHost] = loopbackHosts(2) as [string, string];
  let server: TestS3Server;
  after(async () => {
    await fleet.stopAll();
    await server?.close();
  });

  it('the feed serves TLS with a certificate of the engine\'s CA; the engine loads and becomes master', async () => {
    server = await startS3Server({ credentials: [KEYS], buckets: ['backups'] });
    const s3 = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: KEYS, retryBaseMs: 5 });
    const ca = createCertificateAuthority({ commonName: 'redwing-test-ca' });
    const serving = (host: string) => issueServingCertificate(ca, { commonName: host, dnsNames: ['localhost'], ipAddresses: [host] });
    const source = await fleet.start({ host: sourceHost, password: 'pw', tls: { ...serving(sourceHost), caPem: ca.certPem } });
    const tlsEndpoint = (host: string, port: number) => ({ host, port, password: 'pw', tls: { ca: ca.certPem } });
    await withEngineConnection(tlsEndpoint(sourceHost, source.port), {}, async (connection) => {
      for (let index = 0; index < 100; index++) await connection.call('SET', `tls:${index}`, String(index));
    });
    await uploadRdb({ endpoint: tlsEndpoint(sourceHost, source.port), client: s3, bucket: 'backups', key: 'tls/x.rdb' });
    const target = await fleet.start({ host: targetHost, password: 'pw', fenced: true, tls: { ...serving(targetHost), caPem: ca.certPem } });
    // The operator's certificate: issued by the CA the engine trusts, usable as a server certificate.
    const feedTls = issueServingCertificate(ca, { commonName: 'redwing-operator', dnsNames: ['redwing-operator'], clientAuth: true });
    const result = await restoreRdb({ endpoint: tlsEndpoint(targetHost, target.port), client: s3, bucket: 'backups', key: 'tls/x.rdb', feedHost: '127.0.0.1', feedTls, pollIntervalMs: 50 });
    assert.equal(result.keys, 100);
    const role = await withEngineConnection(tlsEndpoint(targetHost, target.port), {}, (connection) => connection.call('ROLE'));
    assert.equal((role as unknown[])[0], 'master');
  });
});
