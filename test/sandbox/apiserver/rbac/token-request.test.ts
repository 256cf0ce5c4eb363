import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers.js';
import { startTestServer } from '../helpers.js';
import { buildClaims, claimsProblem, SERVICE_ACCOUNT_ISSUER } from '../../../../sandbox/apiserver/service-account-token.js';
import { goldenSkip, readGolden } from '../../../helpers/golden.js';

interface GoldenItem {
  request: { method: string; path: string; body?: unknown };
  response: { status: number; body: { kind: string; apiVersion: string; metadata: Record<string, unknown>; spec: Record<string, unknown>; status: Record<string, unknown> } };
}

const golden37 = readGolden<GoldenItem>('37-kubectl-protobuf');
const WHOAMI = { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' };

function decodeClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('TokenRequest (serviceaccounts/<name>/token) and ServiceAccount token authentication', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
    await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'golden' } } });
  });
  after(async () => t.close());

  async function createAccount(name: string): Promise<string> {
    const res = await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
    assert.equal(res.status, 201);
    return res.body.metadata.uid as string;
  }

  it('answers the JSON TokenRequest as kube-apiserver does (golden 37 #21)', { skip: goldenSkip }, async () => {
    const item = golden37[21]!;
    await createAccount('sa');
    const res = await t.request(item.request.method, item.request.path, { body: item.request.body, headers: { 'user-agent': 'golden-recorder/1.0' } });
    assert.equal(res.status, item.response.status);
    const expected = item.response.body;
    assert.deepEqual(Object.keys(res.body), Object.keys(expected));
    assert.deepEqual(res.body.spec, expected.spec);
    assert.equal(res.body.metadata.name, 'sa');
    assert.equal(res.body.metadata.namespace, 'golden');
    const { time: _t, ...managed } = res.body.metadata.managedFields[0];
    const { time: _e, ...expectedManaged } = (expected.metadata.managedFields as Record<string, unknown>[])[0]!;
    assert.deepEqual(managed, expectedManaged);
    const lifetime = Date.parse(res.body.status.expirationTimestamp) - Date.parse(res.body.metadata.creationTimestamp);
    assert.equal(lifetime, 3600_000);
    assert.match(res.body.status.token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('issues a JWT with the real claims and authenticates it as the ServiceAccount', async () => {
    const uid = await createAccount('claims');
    const res = await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts/claims/token', { body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } } });
    const token = res.body.status.token as string;
    const claims = decodeClaims(token);
    assert.deepEqual(claims.aud, [SERVICE_ACCOUNT_ISSUER]);
    assert.equal(claims.iss, SERVICE_ACCOUNT_ISSUER);
    assert.equal(claims.sub, 'system:serviceaccount:golden:claims');
    assert.equal((claims.exp as number) - (claims.iat as number), 600);
    assert.deepEqual(claims['kubernetes.io'], { namespace: 'golden', serviceaccount: { name: 'claims', uid } });
    const whoami = await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token });
    assert.equal(whoami.status, 201);
    assert.deepEqual(whoami.body.status.userInfo, {
      username: 'system:serviceaccount:golden:claims',
      uid,
      groups: ['system:serviceaccounts', 'system:serviceaccounts:golden', 'system:authenticated'],
      extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${String(claims.jti)}`] },
    });
  });

  it('refuses the token (401) once the ServiceAccount is gone, even after a same-named one is created', async () => {
    await createAccount('short-lived');
    const token = (await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts/short-lived/token', { body: { spec: {} } })).body.status.token as string;
    assert.equal((await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token })).status, 201);
    await t.request('DELETE', '/api/v1/namespaces/golden/serviceaccounts/short-lived');
    assert.equal((await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token })).status, 401);
    await createAccount('short-lived');
    assert.equal((await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token })).status, 401);
  });

  it('a token for another audience does not authenticate to the API server', async () => {
    await createAccount('vault');
    const res = await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts/vault/token', { body: { spec: { audiences: ['vault'] } } });
    assert.deepEqual(res.body.spec.audiences, ['vault']);
    assert.equal((await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token: res.body.status.token })).status, 401);
  });

  it('a token bound to a pod dies with the pod; binding checks the uid and the pod\'s account', async () => {
    await createAccount('runner');
    const pod = await t.request('POST', '/api/v1/namespaces/golden/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { serviceAccountName: 'runner', containers: [{ name: 'c', image: 'redis:7' }] } } });
    const path = '/api/v1/namespaces/golden/serviceaccounts/runner/token';
    const wrongUid = await t.request('POST', path, { body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'not-the-uid' } } } });
    assert.equal(wrongUid.status, 409);
    const wrongAccount = await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts/sa/token', { body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p' } } } });
    assert.equal(wrongAccount.status, 400);
    assert.equal(wrongAccount.body.message, 'cannot bind token for serviceaccount "sa" to pod running with different serviceaccount name.');
    const bound = await t.request('POST', path, { body: { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: pod.body.metadata.uid } } } });
    assert.equal(bound.status, 201);
    assert.deepEqual(bound.body.metadata.managedFields[0].fieldsV1, { 'f:spec': { 'f:boundObjectRef': { '.': {}, 'f:apiVersion': {}, 'f:kind': {}, 'f:name': {}, 'f:uid': {} }, 'f:expirationSeconds': {} } });
    const token = bound.body.status.token as string;
    const whoami = await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token });
    assert.deepEqual(whoami.body.status.userInfo.extra['authentication.kubernetes.io/pod-uid'], [pod.body.metadata.uid]);
    await t.request('DELETE', '/api/v1/namespaces/golden/pods/p');
    assert.equal((await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token })).status, 401);
  });

  it('validates expirationSeconds and the account, as TokenREST does', async () => {
    const short = await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts/sa/token', { body: { spec: { expirationSeconds: 599 } } });
    assert.equal(short.status, 422);
    assert.equal(short.body.message, 'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes');
    const missing = await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts/nobody/token', { body: { spec: {} } });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.message, 'serviceaccounts "nobody" not found');
    assert.equal((await t.request('GET', '/api/v1/namespaces/golden/serviceaccounts/sa/token')).status, 405);
  });

  it('a forged or tampered token is a 401', async () => {
    const token = (await t.request('POST', '/api/v1/namespaces/golden/serviceaccounts/sa/token', { body: { spec: {} } })).body.status.token as string;
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = decodeClaims(token);
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'system:serviceaccount:golden:claims' })).toString('base64url')}.${signature}`;
    assert.equal((await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token: forged })).status, 401);
    assert.equal((await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { body: WHOAMI, token: `${header}.${payload}.${signature}` })).status, 201);
  });
});

describe('service-account claims checks', () => {
  const subject = { namespace: 'ns', name: 'a', uid: 'u', audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 600 };

  it('accepts a fresh token and refuses an expired one or one for other audiences', () => {
    const claims = buildClaims(subject, 1000);
    assert.equal(claimsProblem(claims, 1000, [SERVICE_ACCOUNT_ISSUER]), undefined);
    assert.equal(claimsProblem(claims, 1600, [SERVICE_ACCOUNT_ISSUER]), 'token has expired');
    assert.equal(claimsProblem(buildClaims({ ...subject, audiences: ['vault'] }, 1000), 1000, [SERVICE_ACCOUNT_ISSUER]), 'token audiences do not match the API audiences');
  });
});
