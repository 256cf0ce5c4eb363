import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allowReview, denyReview, normaliseWarnings, parseAdmissionReview, recoverUid } from '../../webhook/admission-review.js';
import { admissionFixture } from './helpers.js';

describe('AdmissionReview envelope', () => {
  it('parses every recorded apiserver request', () => {
    for (const name of ['kvstore-create', 'kvstore-update-apply', 'kvstore-update-status', 'kvstore-update-scale', 'kvstore-delete', 'configmap-delete-dryrun']) {
      const review = admissionFixture(name);
      const parsed = parseAdmissionReview(review);
      assert.ok(parsed.ok, name);
      if (parsed.ok) {
        assert.equal(parsed.request.uid, review.request.uid);
        assert.equal(parsed.request.object === null, review.request.object === null);
      }
    }
    const dry = parseAdmissionReview(admissionFixture('configmap-create-dryrun'));
    assert.ok(dry.ok && dry.request.dryRun === true);
  });

  it('refuses malformed envelopes with the uid when present', () => {
    const review = admissionFixture('kvstore-create');
    (review.request as Record<string, unknown>).object = 'text';
    const parsed = parseAdmissionReview(review);
    assert.deepEqual(parsed, { ok: false, uid: review.request.uid, message: 'request.object must be an object or null' });
    assert.equal(parseAdmissionReview({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1', request: { uid: '' } }).ok, false);
  });

  it('recovers the request uid from text that is not JSON', () => {
    assert.equal(recoverUid('{"request":{"uid":"r-1","object":{"metadata":{"uid":"m-1"'), 'r-1');
    assert.equal(recoverUid('garbage'), '');
    assert.equal(recoverUid({ request: { uid: 7 } }), '');
  });

  it('builds allowed answers: patch and patchType together, base64', () => {
    const plain = allowReview('u');
    assert.deepEqual(plain, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: 'u', allowed: true } });
    const patched = allowReview('u', { patch: [{ op: 'add', path: '/a', value: 1 }] });
    assert.equal(patched.response.patchType, 'JSONPatch');
    assert.deepEqual(JSON.parse(Buffer.from(patched.response.patch!, 'base64').toString()), [{ op: 'add', path: '/a', value: 1 }]);
    assert.equal(allowReview('u', { patch: [] }).response.patch, undefined);
  });

  it('builds denials with a code, a reason, causes and a message that is never empty', () => {
    const denied = denyReview('u', 422, 'bad', { causes: [{ field: 'spec.replicas', message: 'must be >= 1' }] });
    assert.deepEqual(denied.response, {
      uid: 'u', allowed: false,
      status: { code: 422, message: 'bad', reason: 'Invalid', details: { causes: [{ reason: 'FieldValueInvalid', message: 'must be >= 1', field: 'spec.replicas' }] } },
    });
    assert.equal(denyReview('u', 403, '  ').response.status!.message, 'request denied (403)');
  });

  it('caps warnings at 120 characters, drops empties and duplicates', () => {
    const long = 'w'.repeat(300);
    const warnings = normaliseWarnings(['a', 'a', '', '  b\n c ', long]);
    assert.deepEqual(warnings.slice(0, 2), ['a', 'b c']);
    assert.equal(warnings[2]!.length, 120);
    assert.equal(warnings.length, 3);
    assert.equal(normaliseWarnings(Array.from({ length: 50 }, (_, i) => `w${i}`)).length, 20);
  });
});
