import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveS3Access } from '../../../reconciler/backups/s3-access.js';
import type { SecretObject } from '../../../reconciler/controller/store-secrets.js';
import { startS3Server } from '../../../harness/s3-server.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const secret = (data: Record<string, string>): SecretObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'keys' }, data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, b64(value)])) });
const base = { url: 's3://backups/team', urlField: 'spec.snapshot.dir', s3Field: 'spec.snapshot.s3' };

describe('resolveS3Access', () => {
  it('reads the AWS key names from the Secret, or the environment without one; the client signs with them', async () => {
    const keys = { accessKeyId: 'from-secret', secretAccessKey: 'a-secret-of-forty-characters-0123456789ab', sessionToken: 'token-1' };
    const server = await startS3Server({ credentials: [keys], buckets: ['backups'] });
    try {
      const fromSecret = await resolveS3Access({
        ...base, s3: { endpoint: server.endpoint, forcePathStyle: true, credentialsSecret: { name: 'keys' } }, environment: {},
        readSecret: async (name) => (name === 'keys' ? secret({ AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_SESSION_TOKEN: keys.sessionToken }) : undefined),
      });
      assert.ok(fromSecret.ok);
      assert.deepEqual(fromSecret.access.location, { bucket: 'backups', prefix: 'team' });
      await fromSecret.access.client.putObject('backups', 'team/x', Buffer.from('x'));
      const fromEnvironment = await resolveS3Access({
        ...base, s3: { endpoint: server.endpoint, forcePathStyle: true }, readSecret: async () => undefined,
        environment: { AWS_ACCESS_KEY_ID: keys.accessKeyId, AWS_SECRET_ACCESS_KEY: keys.secretAccessKey, AWS_SESSION_TOKEN: keys.sessionToken },
      });
      assert.ok(fromEnvironment.ok);
      assert.deepEqual((await fromEnvironment.access.client.listObjects('backups', 'team/')).map((object) => object.key), ['team/x']);
    } finally {
      await server.close();
    }
  });

  it('names the field when the Secret, its keys or any credentials are missing, or the URL is bad', async () => {
    const missing = await resolveS3Access({ ...base, s3: { credentialsSecret: { name: 'gone' } }, readSecret: async () => undefined, environment: {} });
    assert.deepEqual(missing, { ok: false, reason: 'S3CredentialsMissing', message: 'spec.snapshot.s3.credentialsSecret.name: Secret gone not found' });
    const partial = await resolveS3Access({ ...base, s3: { credentialsSecret: { name: 'keys' } }, readSecret: async () => secret({ AWS_ACCESS_KEY_ID: 'a' }), environment: {} });
    assert.ok(!partial.ok && /needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY/.test(partial.message));
    const none = await resolveS3Access({ ...base, s3: undefined, readSecret: async () => undefined, environment: {} });
    assert.ok(!none.ok && none.reason === 'S3CredentialsMissing' && /^spec\.snapshot\.s3\.credentialsSecret: not set/.test(none.message));
    const bad = await resolveS3Access({ ...base, url: 's3://Bad_Bucket', s3: undefined, readSecret: async () => undefined, environment: {} });
    assert.ok(!bad.ok && bad.reason === 'InvalidS3Dir' && bad.message.startsWith('spec.snapshot.dir: '));
  });
});
