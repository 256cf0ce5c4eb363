// Protobuf at the HTTP edge, without a server: which Accept headers get protobuf, and the errors kube-apiserver
// gives (golden 37 #25 and #27; the replay in golden-replay.test.ts needs the recordings, this does not).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkCustomResourceMedia, decodeProtobufBody, protobufAcceptOf, protobufResponseBody } from '../../../../sandbox/apiserver/protobuf/content-negotiation.js';
import { decodeKubeObject, writeEnvelope } from '../../../../sandbox/apiserver/protobuf/envelope.js';
import { ApiError } from '../../../../sandbox/apiserver/status-errors.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

function apiError(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  assert.fail('expected an ApiError');
}

describe('protobuf content negotiation', () => {
  it('prefers protobuf only when it is the first media type the server can serve, without a conversion', () => {
    assert.equal(protobufAcceptOf(`${PROTOBUF},application/json`), 'preferred');
    assert.equal(protobufAcceptOf(`text/html, ${PROTOBUF}`), 'only');
    assert.equal(protobufAcceptOf(PROTOBUF), 'only');
    assert.equal(protobufAcceptOf(`application/json,${PROTOBUF}`), undefined);
    assert.equal(protobufAcceptOf(`${PROTOBUF};as=Table;v=v1;g=meta.k8s.io,application/json`), undefined);
    assert.equal(protobufAcceptOf(undefined), undefined);
  });

  it('answers a JSON body labelled protobuf with kube-apiserver\'s 400', () => {
    const error = apiError(() => decodeProtobufBody(Buffer.from('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}'), 'ConfigMap'));
    assert.equal(error.code, 400);
    assert.equal(error.message, 'the object provided is unrecognized (must be of type ConfigMap): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({"apiVersion":"v1","kind":"Con ...)');
  });

  it('answers 415 naming the kind when it has no table', () => {
    const error = apiError(() => decodeProtobufBody(writeEnvelope('batch/v1', 'Job', new Uint8Array()), 'Job'));
    assert.equal(error.code, 415);
    assert.match(error.message, /kind Job in batch\/v1/);
  });

  it('refuses protobuf bodies and protobuf-only answers for custom resources', () => {
    assert.equal(apiError(() => checkCustomResourceMedia('POST', PROTOBUF, 'application/json')).code, 415);
    assert.equal(apiError(() => checkCustomResourceMedia('PUT', `${PROTOBUF}; charset=binary`, undefined)).code, 415);
    const notAcceptable = apiError(() => checkCustomResourceMedia('GET', undefined, PROTOBUF));
    assert.deepEqual([notAcceptable.code, notAcceptable.reason, notAcceptable.message], [406, 'NotAcceptable', `only the following media types are accepted: application/json, application/yaml, ${PROTOBUF}`]);
    assert.doesNotThrow(() => checkCustomResourceMedia('GET', undefined, `${PROTOBUF},application/json`));
  });

  it('encodes a Status for a protobuf Accept, and leaves a custom resource to JSON', () => {
    const status = new ApiError(404, 'NotFound', 'configmaps "x" not found', { name: 'x', kind: 'configmaps' }).toStatus();
    const body = protobufResponseBody(`${PROTOBUF},application/json`, status);
    assert.ok(body);
    assert.deepEqual(decodeKubeObject(body), status);
    assert.equal(protobufResponseBody('application/json', status), undefined);
    assert.equal(protobufResponseBody(PROTOBUF, { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'x' } }), undefined);
  });
});
