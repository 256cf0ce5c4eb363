/**
 * From a store's (or a KVBackup's) S3 settings to a signed client and a location. Credentials come from the Secret
 * `s3.credentialsSecret.name` (the usual AWS key names) or, without one, from the operator's environment, which is
 * where IRSA-style and static operator-wide keys land. Failures are reasons a condition can carry, naming the field.
 */
import type { S3Settings } from '../../shared/schema/kvstore.js';
import { parseS3Url, type S3Location } from '../../shared/s3-location.js';
import { decodeSecretValue, type SecretObject } from '../controller/store-secrets.js';
import { S3Client } from './s3/s3-client.js';
import type { AwsCredentials } from './s3/sigv4.js';

export const DEFAULT_S3_REGION = 'us-east-1';

export interface S3Access {
  client: S3Client;
  location: S3Location;
}

export type S3AccessResult = { ok: true; access: S3Access } | { ok: false; reason: 'InvalidS3Dir' | 'S3CredentialsMissing'; message: string };

export interface S3AccessInput {
  /** The s3:// URL, and the field it came from (for messages). */
  url: string;
  urlField: string;
  s3: S3Settings | undefined;
  s3Field: string;
  readSecret: (name: string) => Promise<SecretObject | undefined>;
  environment?: NodeJS.ProcessEnv;
  /** Test hook: retry pacing of the S3 client. */
  retryBaseMs?: number;
}

function credentialsFromEnvironment(environment: NodeJS.ProcessEnv): AwsCredentials | undefined {
  const accessKeyId = environment.AWS_ACCESS_KEY_ID;
  const secretAccessKey = environment.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return { accessKeyId, secretAccessKey, sessionToken: environment.AWS_SESSION_TOKEN || undefined };
}

export async function resolveS3Access(input: S3AccessInput): Promise<S3AccessResult> {
  const parsed = parseS3Url(input.url);
  if ('error' in parsed) return { ok: false, reason: 'InvalidS3Dir', message: `${input.urlField}: ${parsed.error}` };
  let credentials: AwsCredentials | undefined;
  const secretName = input.s3?.credentialsSecret?.name;
  if (secretName) {
    const secret = await input.readSecret(secretName);
    const accessKeyId = decodeSecretValue(secret, 'AWS_ACCESS_KEY_ID');
    const secretAccessKey = decodeSecretValue(secret, 'AWS_SECRET_ACCESS_KEY');
    if (!secret) return { ok: false, reason: 'S3CredentialsMissing', message: `${input.s3Field}.credentialsSecret.name: Secret ${secretName} not found` };
    if (!accessKeyId || !secretAccessKey) {
      return { ok: false, reason: 'S3CredentialsMissing', message: `${input.s3Field}.credentialsSecret.name: Secret ${secretName} needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY` };
    }
    credentials = { accessKeyId, secretAccessKey, sessionToken: decodeSecretValue(secret, 'AWS_SESSION_TOKEN') || undefined };
  } else {
    credentials = credentialsFromEnvironment(input.environment ?? process.env);
    if (!credentials) {
      return { ok: false, reason: 'S3CredentialsMissing', message: `${input.s3Field}.credentialsSecret: not set, and the operator has no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in its environment` };
    }
  }
  const client = new S3Client({
    endpoint: input.s3?.endpoint, region: input.s3?.region ?? DEFAULT_S3_REGION, forcePathStyle: input.s3?.forcePathStyle ?? false,
    credentials, retryBaseMs: input.retryBaseMs,
  });
  return { ok: true, access: { client, location: parsed.location } };
}
