import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { findS3RequestError, S3Client } from '../../../reconciler/backups/s3/s3-client.js';
import { MIN_PART_SIZE_BYTES } from '../../../reconciler/backups/s3/upload-stream.js';
import { pruneSnapshots, uploadRdb } from '../../../reconciler/backups/upload-rdb.js';
import { backupObjectKey, scheduledSnapshots, snapshotObjectKey, storeFolder } from '../../../shared/s3-location.js';
import { startS3Server, type TestS3Server } from '../../../harness/s3-server.js';
import { command, loopbackHosts, RedisFleet, type RedisProcess } from '../../../harness/redis-processes.js';
import { waitFor } from '../../../harness/wait-for.js';
import { readKeyFromRdb } from '../snapshots/rdb-reader.js';

const KEYS = { accessKeyId: 'redwing-test', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };
const LOCATION = { bucket: 'backups', prefix: 'redwing' };
// Random, so the RDB's LZF compression leaves it at its size.
const VALUE = randomBytes(512 * 1024).toString('hex');

describe('uploading an engine\'s RDB to S3', () => {
  const fleet = new RedisFleet();
  const [host] = loopbackHosts(1) as [string];
  let server: TestS3Server;
  let s3: S3Client;
  let engine: RedisProcess;
  let dir: string;
  before(async () => {
    server = await startS3Server({ credentials: [KEYS], buckets: ['backups'] });
    s3 = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: KEYS, retryBaseMs: 5 });
    engine = await fleet.start({ host, password: 'pw' });
    // 12 MiB: three parts of 5 MiB.
    for (let index = 0; index < 12; index++) await command(engine, 'SET', `big:${index}`, `${index}${VALUE}`);
    dir = await mkdtemp(join(tmpdir(), 'redwing-upload-rdb-'));
  });
  after(async () => {
    await fleet.stopAll();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('streams the RDB in parts into one object that loads with the same data', async () => {
    const key = snapshotObjectKey(LOCATION, 'ns', 'cache', new Date());
    const result = await uploadRdb({ endpoint: { host, port: engine.port, password: 'pw' }, client: s3, bucket: 'backups', key, partSizeBytes: MIN_PART_SIZE_BYTES });
    // The RDB is LZF-compressed, so its size (not the 12 MiB of values) decides the part count.
    assert.ok(result.parts >= 2, `${result.parts} parts`);
    assert.equal(result.parts, Math.ceil(result.sizeBytes / MIN_PART_SIZE_BYTES));
    const file = join(dir, 'downloaded.rdb');
    await pipeline((await s3.getObject('backups', key)).body, createWriteStream(file));
    const downloaded = await readFile(file);
    assert.equal(downloaded.length, result.sizeBytes);
    assert.equal(createHash('sha256').update(downloaded).digest('hex'), result.sha256);
    assert.equal(await readKeyFromRdb(file, 'big:11'), `11${VALUE}`);
  });

  it('retries requests the server fails (500s) and still completes one intact object', async () => {
    const key = snapshotObjectKey(LOCATION, 'ns', 'retried', new Date());
    const requestsBefore = server.requestCount();
    // The next three requests answer 500 (S3's InternalError): each is sent again after a back-off.
    server.failNext(3);
    const result = await uploadRdb({ endpoint: { host, port: engine.port, password: 'pw' }, client: s3, bucket: 'backups', key, partSizeBytes: MIN_PART_SIZE_BYTES });
    assert.ok(server.requestCount() - requestsBefore >= result.parts + 2 + 3, 'the failed requests were sent again');
    const downloaded = join(dir, 'retried.rdb');
    await pipeline((await s3.getObject('backups', key)).body, createWriteStream(downloaded));
    assert.equal(createHash('sha256').update(await readFile(downloaded)).digest('hex'), result.sha256);
    assert.equal(server.openUploads(), 0);
  });

  it('keeps the newest `keep` snapshots and every KVBackup object', async () => {
    const backupKey = backupObjectKey(LOCATION, 'ns', 'kept', 'mine', new Date(0));
    await s3.putObject('backups', backupKey, Buffer.from('a backup'));
    const endpoint = { host, port: engine.port, password: 'pw' };
    for (let run = 0; run < 3; run++) {
      await uploadRdb({ endpoint, client: s3, bucket: 'backups', key: snapshotObjectKey(LOCATION, 'ns', 'kept', new Date(Date.now() + run)) });
      await pruneSnapshots(s3, LOCATION, 'ns', 'kept', 2);
    }
    const folder = storeFolder(LOCATION, 'ns', 'kept');
    const keys = (await s3.listObjects('backups', folder)).map((object) => object.key);
    assert.equal(scheduledSnapshots(folder, keys).length, 2);
    assert.ok(keys.includes(backupKey));
  });

  it('with wrong credentials: a 403 naming the S3 error, no object, the data untouched', async () => {
    const wrong = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: { ...KEYS, secretAccessKey: 'not-it' } });
    const key = snapshotObjectKey(LOCATION, 'ns', 'denied', new Date());
    await assert.rejects(uploadRdb({ endpoint: { host, port: engine.port, password: 'pw' }, client: wrong, bucket: 'backups', key }),
      (error: unknown) => findS3RequestError(error)?.statusCode === 403 && findS3RequestError(error)?.code === 'SignatureDoesNotMatch');
    assert.deepEqual(await s3.listObjects('backups', storeFolder(LOCATION, 'ns', 'denied')), []);
    assert.equal(await command(engine, 'DBSIZE'), 12);
    // The replication connection opened for the RDB is closed, not left paused holding the engine's next sync.
    await waitFor('no replica connection on the engine', async () => String(await command(engine, 'CLIENT', 'LIST', 'TYPE', 'replica')).trim() === '', 5000, 50);
  });

  it('an uploader killed mid-upload leaves no object: the latest is still the last complete one', async () => {
    const folder = storeFolder(LOCATION, 'ns', 'killed');
    const complete = snapshotObjectKey(LOCATION, 'ns', 'killed', new Date(1000));
    await uploadRdb({ endpoint: { host, port: engine.port, password: 'pw' }, client: s3, bucket: 'backups', key: complete });
    const partial = snapshotObjectKey(LOCATION, 'ns', 'killed', new Date());
    server.stallPartsAfter(1);
    const partsBefore = server.partsReceived();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./upload-child.ts', import.meta.url)), JSON.stringify({
      engine: { host, port: engine.port, password: 'pw' }, s3: { endpoint: server.endpoint, region: server.region, ...KEYS },
      bucket: 'backups', key: partial, partSizeBytes: MIN_PART_SIZE_BYTES,
    })], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor('the uploader to send its second part', () => server.partsReceived() >= partsBefore + 2, 30_000);
      assert.equal(server.openUploads(), 1);
    } finally {
      child.kill('SIGKILL');
      await exited;
      server.stallPartsAfter(Number.POSITIVE_INFINITY);
    }
    const keys = (await s3.listObjects('backups', folder)).map((object) => object.key);
    assert.deepEqual(keys, [complete]);
    assert.equal(scheduledSnapshots(folder, keys).at(-1), complete);
  });
});
