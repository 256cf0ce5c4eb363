import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { S3Client, S3RequestError } from '../../../reconciler/backups/s3/s3-client.js';
import { MIN_PART_SIZE_BYTES, uploadStream } from '../../../reconciler/backups/s3/upload-stream.js';
import { startS3Server, type TestS3Server } from '../../../harness/s3-server.js';

const KEYS = { accessKeyId: 'redwing-test', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab' };

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('S3 client against a SigV4-checking S3 server', () => {
  let server: TestS3Server;
  let client: S3Client;
  before(async () => {
    server = await startS3Server({ credentials: [KEYS], buckets: ['backups'] });
    client = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: KEYS, retryBaseMs: 5 });
  });
  after(() => server.close());

  it('puts, lists, gets and deletes an object whose key needs encoding', async () => {
    const key = 'put/a key+with é.rdb';
    await client.putObject('backups', key, Buffer.from('hello'));
    const listed = await client.listObjects('backups', 'put/');
    assert.deepEqual(listed.map((object) => [object.key, object.sizeBytes]), [[key, 5]]);
    const { body, sizeBytes } = await client.getObject('backups', key);
    assert.equal(sizeBytes, 5);
    assert.equal((await readAll(body)).toString(), 'hello');
    await client.deleteObject('backups', key);
    assert.deepEqual(await client.listObjects('backups', 'put/'), []);
  });

  it('streams a multipart upload in parts and reads back the same bytes', async () => {
    const data = randomBytes(MIN_PART_SIZE_BYTES * 2 + 12345);
    // Small chunks, as a socket delivers them: parts are cut from the stream, not from the chunks.
    const source = Readable.from((function* () { for (let at = 0; at < data.length; at += 65536) yield data.subarray(at, at + 65536); })());
    const result = await uploadStream(client, 'backups', 'multi/one.rdb', source, { partSizeBytes: MIN_PART_SIZE_BYTES });
    assert.equal(result.parts, 3);
    assert.equal(result.sizeBytes, data.length);
    assert.equal(result.sha256, createHash('sha256').update(data).digest('hex'));
    const read = await readAll((await client.getObject('backups', 'multi/one.rdb')).body);
    assert.ok(read.equals(data));
    assert.equal(server.openUploads(), 0);
  });

  it('retries server errors and throttling, then succeeds', async () => {
    const before = server.requestCount();
    server.failNext(2, 503);
    await client.putObject('backups', 'retry/x', Buffer.from('x'));
    assert.equal(server.requestCount() - before, 3);
  });

  it('gives up after the last attempt with the server\'s error', async () => {
    server.failNext(10, 500);
    await assert.rejects(client.putObject('backups', 'retry/y', Buffer.from('y')), (error: unknown) => error instanceof S3RequestError && error.code === 'InternalError');
    server.failNext(0);
  });

  it('refuses wrong credentials at once, without retrying, naming the S3 error', async () => {
    const wrong = new S3Client({ endpoint: server.endpoint, region: server.region, forcePathStyle: true, credentials: { ...KEYS, secretAccessKey: 'wrong' }, retryBaseMs: 5 });
    const before = server.requestCount();
    await assert.rejects(wrong.putObject('backups', 'denied/x', Buffer.from('x')), (error: unknown) => error instanceof S3RequestError && error.statusCode === 403 && error.code === 'SignatureDoesNotMatch');
    assert.equal(server.requestCount() - before, 1);
    assert.deepEqual(await client.listObjects('backups', 'denied/'), []);
  });

  it('aborts the multipart upload when the source fails: no object, no open upload', async () => {
    const source = new Readable({ read() { /* fed below */ } });
    source.push(randomBytes(MIN_PART_SIZE_BYTES + 10));
    setImmediate(() => source.destroy(new Error('the engine went away')));
    await assert.rejects(uploadStream(client, 'backups', 'broken/x.rdb', source, { partSizeBytes: MIN_PART_SIZE_BYTES }), /upload of s3:\/\/backups\/broken\/x.rdb failed/);
    assert.deepEqual(await client.listObjects('backups', 'broken/'), []);
    assert.equal(server.openUploads(), 0);
  });

  it('lists across pages', async () => {
    for (let index = 0; index < 3; index++) await client.putObject('backups', `paged/${index}`, Buffer.from(String(index)));
    const before = server.requestCount();
    const listed = await client.listObjects('backups', 'paged/', 2);
    assert.equal(server.requestCount() - before, 2);
    assert.deepEqual(listed.map((object) => object.key), ['paged/0', 'paged/1', 'paged/2']);
  });
});
