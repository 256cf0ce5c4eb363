/** The admission protocol over HTTP, pitfall by pitfall, with recorded kube-apiserver AdmissionReviews. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../shared/logger.js';
import { createWebhookApp, MAX_BODY_BYTES } from '../../webhook/app.js';
import { admissionFixture, applyStrict, decodePatch, kvstoreCreate, kvstoreUpdate, type Json } from './helpers.js';
import { envelope, post } from './http-helpers.js';

const KVSTORE_FIXTURES = ['kvstore-create', 'kvstore-create-mutating', 'kvstore-update-apply', 'kvstore-update-status', 'kvstore-update-scale', 'kvstore-delete', 'configmap-create-dryrun', 'configmap-delete-dryrun'];
const PATHS = ['/mutate/kvstore', '/validate/kvstore', '/validate/kvpolicy'];

describe('admission protocol', () => {
  const app = createWebhookApp();

  it('echoes the uid in a v1 AdmissionReview with HTTP 200 for every recorded request on every path', async () => {
    for (const path of PATHS) {
      for (const name of KVSTORE_FIXTURES) {
        const review = admissionFixture(name);
        const res = await post(app, path, review);
        assert.equal(res.status, 200, `${path} ${name}`);
        assert.match(res.headers['content-type'] ?? '', /application\/json/);
        const response = envelope(res.body, review.request.uid);
        assert.equal(response.allowed, true, `${path} ${name}: ${JSON.stringify(response.status)}`);
      }
    }
  });

  it('mutates a recorded CREATE with a base64 JSONPatch that applies to the raw object', async () => {
    const review = admissionFixture('kvstore-create-mutating');
    const res = await post(app, '/mutate/kvstore', review);
    const operations = decodePatch(res.body);
    assert.ok(operations && operations.length > 0);
    const patched = applyStrict(review.request.object!, operations);
    assert.equal((patched.spec as Json).image, 'redis:7.4');
    assert.deepEqual(patched.metadata, review.request.object!.metadata);
    const again = structuredClone(review);
    again.request.object = patched;
    const second = await post(app, '/mutate/kvstore', again);
    assert.equal(decodePatch(second.body), undefined, 'mutating the mutated object yields no patch');
    assert.equal(second.body.response.patchType, undefined);
  });

  it('mutates a recorded UPDATE (server-side apply) with a patch that applies, and follows the old object', async () => {
    const review = admissionFixture('kvstore-update-apply');
    const res = await post(app, '/mutate/kvstore', review);
    const patched = applyStrict(review.request.object!, decodePatch(res.body));
    assert.equal((patched.spec as Json).replicas, 3);
    assert.deepEqual(patched.metadata, review.request.object!.metadata);
    const again = structuredClone(review);
    again.request.object = patched;
    assert.equal(decodePatch((await post(app, '/mutate/kvstore', again)).body), undefined);
  });

  it('never patches DELETE (object null) and validates it as allowed', async () => {
    const review = admissionFixture('kvstore-delete');
    assert.equal(review.request.object, null);
    for (const path of ['/mutate/kvstore', '/validate/kvstore']) {
      const res = await post(app, path, review);
      const response = envelope(res.body, review.request.uid);
      assert.equal(response.allowed, true);
      assert.equal(response.patch, undefined);
      assert.equal(response.patchType, undefined);
    }
  });

  it('ignores the status subresource, and the scale subresource when no policy applies', async () => {
    for (const name of ['kvstore-update-status', 'kvstore-update-scale']) {
      const review = admissionFixture(name);
      // even a spec that would be refused, and defaults that would be added, are not looked at
      (review.request.object as Json).spec = { replicas: 99, bogus: true };
      for (const path of ['/mutate/kvstore', '/validate/kvstore']) {
        const res = await post(app, path, review);
        const response = envelope(res.body, review.request.uid);
        assert.equal(response.allowed, true);
        assert.equal(response.patch, undefined);
      }
    }
  });

  it('validates UPDATE against oldObject', async () => {
    const res = await post(app, '/validate/kvstore', kvstoreUpdate({ engine: 'redis' }, { engine: 'valkey' }));
    assert.equal(res.status, 200);
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status.code, 422);
    assert.match(res.body.response.status.message, /spec.engine: is immutable/);
    const ok = await post(app, '/validate/kvstore', kvstoreUpdate({ replicas: 1 }, { replicas: 3 }));
    assert.equal(ok.body.response.allowed, true);
  });

  it('denies an invalid KVStore with HTTP 200, code 422 and one message per field path', async () => {
    const review = kvstoreCreate({ replicas: 0, config: { requirepass: 'x' }, tls: { clientCaSecretName: 'ca' } });
    const res = await post(app, '/validate/kvstore', review);
    assert.equal(res.status, 200);
    const response = envelope(res.body, review.request.uid);
    assert.equal(response.allowed, false);
    assert.equal(response.status!.code, 422);
    assert.equal(response.status!.reason, 'Invalid');
    assert.match(response.status!.message, /^KVStore golden\/rk1 is invalid: spec.replicas: must be >= 1$/);
    const causes = (response.status!.details as { causes: Array<{ field: string }> }).causes;
    assert.deepEqual(causes.map((c) => c.field), ['spec.replicas']);
    const semantic = await post(app, '/validate/kvstore', kvstoreCreate({ config: { requirepass: 'x' }, tls: { clientCaSecretName: 'ca' } }));
    assert.deepEqual(semantic.body.response.status.details.causes.map((c: Json) => c.field), ['spec.config.requirepass', 'spec.tls.clientCaSecretName']);
  });

  it('returns warnings, each at most 120 characters', async () => {
    const res = await post(app, '/validate/kvstore', kvstoreCreate({ replicas: 1, persistence: { enabled: false }, authentication: { enabled: false } }));
    assert.equal(res.body.response.allowed, true);
    assert.equal(res.body.response.warnings.length, 2);
    for (const warning of res.body.response.warnings) assert.ok(warning.length <= 120, warning);
    const quiet = await post(app, '/validate/kvstore', kvstoreCreate({}));
    assert.equal(quiet.body.response.warnings, undefined, 'no empty warnings array');
  });

  it('answers garbage with HTTP 400 and an AdmissionReview, recovering the uid when it can', async () => {
    const broken = '{"kind":"AdmissionReview","apiVersion":"admission.k8s.io/v1","request":{"uid":"abc-123","operation":"CRE';
    const res = await request(app).post('/validate/kvstore').set('content-type', 'application/json').send(broken);
    assert.equal(res.status, 400);
    const response = envelope(res.body, 'abc-123');
    assert.equal(response.allowed, false);
    assert.equal(response.status!.code, 400);
    assert.match(response.status!.message, /not JSON/);

    const wrongVersion = admissionFixture('kvstore-create');
    wrongVersion.apiVersion = 'admission.k8s.io/v1beta1';
    const v1beta1 = await post(app, '/mutate/kvstore', wrongVersion);
    assert.equal(v1beta1.status, 400);
    envelope(v1beta1.body, wrongVersion.request.uid);
    assert.match(v1beta1.body.response.status.message, /apiVersion must be admission.k8s.io\/v1/);

    for (const body of [{}, [], 'null', { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' },
      { kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: 'u1', operation: 'EXPLODE', kind: {} } }]) {
      const answer = await post(app, '/validate/kvstore', body);
      assert.equal(answer.status, 400, JSON.stringify(body));
      envelope(answer.body, (body as { request?: { uid?: string } }).request?.uid ?? '');
    }
    const empty = await request(app).post('/mutate/kvstore').set('content-type', 'application/json; charset=utf-8').send('');
    assert.equal(empty.status, 400);
    assert.match(envelope(empty.body, '').status!.message, /empty/);
  });

  it('answers the wrong content type with HTTP 400 and an AdmissionReview', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await request(app).post('/validate/kvstore').set('content-type', type).send(JSON.stringify(admissionFixture('kvstore-create')));
      assert.equal(res.status, 400, type);
      assert.match(res.headers['content-type'] ?? '', /application\/json/);
      const response = envelope(res.body, '');
      assert.match(response.status!.message, /content type/);
    }
  });

  it('accepts a 7 MiB body and refuses a larger one with 413', async () => {
    const review = kvstoreCreate({});
    const object = review.request.object as Json & { metadata: Json };
    object.metadata.annotations = { big: '' };
    const base = Buffer.byteLength(JSON.stringify(review));
    (object.metadata.annotations as Json).big = 'x'.repeat(MAX_BODY_BYTES - base);
    const exact = JSON.stringify(review);
    assert.equal(Buffer.byteLength(exact), MAX_BODY_BYTES);
    const ok = await request(app).post('/mutate/kvstore').set('content-type', 'application/json').send(exact);
    assert.equal(ok.status, 200);
    envelope(ok.body, review.request.uid);
    assert.ok(decodePatch(ok.body));
    (object.metadata.annotations as Json).big = 'x'.repeat(MAX_BODY_BYTES - base + 1);
    const tooLarge = await request(app).post('/mutate/kvstore').set('content-type', 'application/json').send(JSON.stringify(review));
    assert.equal(tooLarge.status, 413);
    const response = envelope(tooLarge.body, '');
    assert.equal(response.allowed, false);
    assert.equal(response.status!.code, 413);
  });

  it('ignores the query string the API server adds and allows a DELETE collection item with an empty name', async () => {
    const review = admissionFixture('kvstore-create-mutating');
    const res = await post(app, '/mutate/kvstore?timeout=5s', review);
    assert.ok(decodePatch(res.body));
    const deletion = admissionFixture('kvstore-delete');
    deletion.request.name = '';
    const answer = await post(app, '/validate/kvstore?timeout=10s', deletion);
    assert.equal(envelope(answer.body, deletion.request.uid).allowed, true);
  });

  it('logs structured decisions without object contents or secrets', async () => {
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const logged = createWebhookApp({ logger: createLogger('webhook-test', { level: 'debug', destination: stream }) });
    const denied = kvstoreCreate({ config: { requirepass: 'hunter2-secret' } });
    await post(logged, '/validate/kvstore', denied);
    await post(logged, '/mutate/kvstore', kvstoreCreate({ authentication: { passwordFromSecret: { name: 'hunter2-secret', key: 'password' } } }));
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(lines.length >= 2);
    const entries = lines.map((line) => JSON.parse(line) as Json);
    const denial = entries.find((entry) => entry.uid === denied.request.uid)!;
    assert.equal(denial.webhook, 'validate-kvstore');
    assert.equal(denial.code, 422);
    assert.equal(denial.name, 'rk1');
    assert.ok(lines.every((line) => !line.includes('hunter2')), lines.join('\n'));
  });

  it('answers unknown paths with a JSON 404', async () => {
    const res = await post(app, '/mutate/pods', admissionFixture('kvstore-create'));
    assert.equal(res.status, 404);
    envelope(res.body, '');
  });
});
