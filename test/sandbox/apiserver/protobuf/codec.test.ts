// The protobuf tables against kubectl's and kube-apiserver's own bytes (golden 37, copied into the fixture).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { UncoveredError } from '../../../../sandbox/apiserver/protobuf/codec.js';
import { decodeKubeObject, encodeKubeObject, readEnvelope, UnknownKindError, writeEnvelope } from '../../../../sandbox/apiserver/protobuf/envelope.js';
import { WireWriter } from '../../../../sandbox/apiserver/protobuf/wire.js';
import type { JsonObject } from '../../../../sandbox/apiserver/types.js';

interface RecordedBody {
  item: number;
  side: 'request' | 'response';
  what: string;
  bodyBase64: string;
  decodedJSON?: JsonObject;
}

const FIXTURE = JSON.parse(readFileSync(new URL('../../../fixtures/sandbox-apiserver/protobuf/golden-37-bodies.json', import.meta.url), 'utf8')) as { bodies: RecordedBody[] };
const envelopes = FIXTURE.bodies.filter((b) => b.side === 'response' || readEnvelope(Buffer.from(b.bodyBase64, 'base64')).apiVersion !== 'golden.dev/v1');
const bytesOf = (body: RecordedBody): Buffer => Buffer.from(body.bodyBase64, 'base64');
const resourceVersionOf = (object: unknown): unknown => (object as { metadata?: { resourceVersion?: unknown } }).metadata?.resourceVersion;

/** Bodies whose recorded JSON is the same object: requests, and responses read back at the same resourceVersion. */
const sameObject = FIXTURE.bodies.filter((b) => b.decodedJSON !== undefined && (b.side === 'request' || resourceVersionOf(decodeKubeObject(bytesOf(b))) === resourceVersionOf(b.decodedJSON)));

function configMapBody(): RecordedBody {
  const body = FIXTURE.bodies.find((b) => b.side === 'request' && b.what.includes('create configmap'));
  assert.ok(body, 'the fixture holds kubectl create configmap');
  return body;
}

describe('protobuf tables', () => {
  it('covers kubectl create for every kind golden 37 records, and compares at least one response', () => {
    const kinds = FIXTURE.bodies.filter((b) => b.side === 'request' && b.decodedJSON).map((b) => b.decodedJSON!.kind).sort();
    assert.deepEqual(kinds, ['ConfigMap', 'Deployment', 'Namespace', 'Secret', 'ServiceAccount']);
    assert.ok(sameObject.some((b) => b.side === 'response'));
  });

  for (const body of sameObject) {
    it(`decodes ${body.side} #${body.item} (${body.what}) to the recorded JSON, in Go's key order`, () => {
      assert.equal(JSON.stringify(decodeKubeObject(bytesOf(body))), JSON.stringify(body.decodedJSON));
    });
    it(`encodes the recorded JSON of ${body.side} #${body.item} to the recorded bytes`, () => {
      assert.equal(encodeKubeObject(body.decodedJSON!)?.toString('hex'), bytesOf(body).toString('hex'));
    });
  }

  for (const body of envelopes) {
    it(`round-trips ${body.side} #${body.item} (${body.what}) byte for byte`, () => {
      assert.equal(encodeKubeObject(decodeKubeObject(bytesOf(body)))?.toString('hex'), bytesOf(body).toString('hex'));
    });
  }

  it('decodes kubectl create token into the JSON Go writes for an empty TokenRequest (nulls where there is no omitempty)', () => {
    const body = FIXTURE.bodies.find((b) => b.side === 'request' && b.what.includes('create token'));
    assert.ok(body);
    assert.deepEqual(decodeKubeObject(bytesOf(body)), {
      kind: 'TokenRequest', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null },
      spec: { audiences: null, expirationSeconds: null, boundObjectRef: null }, status: { token: '', expirationTimestamp: null },
    });
  });

  it('refuses a field number its table does not have instead of dropping it', () => {
    const envelope = readEnvelope(bytesOf(configMapBody()));
    const withExtra = writeEnvelope('v1', 'ConfigMap', Buffer.concat([envelope.raw, new WireWriter().writeString(99, 'x').finish()]));
    assert.throws(() => decodeKubeObject(withExtra), (error: unknown) => error instanceof UncoveredError && /field 99 of ConfigMap/.test(error.message));
  });

  it('refuses an int64 that a JSON number cannot hold exactly', () => {
    const metadata = new WireWriter().writeString(1, 'c').writeVarint(7, 2n ** 60n).finish();
    const body = writeEnvelope('v1', 'ConfigMap', new WireWriter().writeBytes(1, metadata).finish());
    assert.throws(() => decodeKubeObject(body), (error: unknown) => error instanceof UncoveredError && /generation/.test(error.message));
  });

  it('refuses a kind it has no table for', () => {
    assert.throws(() => decodeKubeObject(writeEnvelope('v1', 'Pod', new Uint8Array())), UnknownKindError);
  });

  it('does not encode an object with a field, type or value outside the tables', () => {
    const configMap = decodeKubeObject(bytesOf(configMapBody()));
    assert.ok(encodeKubeObject(configMap));
    const variants: [string, JsonObject][] = [
      ['an unknown top-level field', { ...configMap, spec: {} }],
      ['an unknown metadata field', { ...configMap, metadata: { ...(configMap.metadata as JsonObject), clusterName: 'x' } }],
      ['a number where a string goes', { ...configMap, data: { x: 1 } }],
      ['a time with fractional seconds', { ...configMap, metadata: { name: 'c', creationTimestamp: '2026-12-07T02:44:08.5Z' } }],
      ['binaryData that is not canonical base64', { ...configMap, binaryData: { b: 'YQ' } }],
      ['a kind without a table', { ...configMap, kind: 'Pod' }],
    ];
    for (const [what, object] of variants) assert.equal(encodeKubeObject(object), undefined, what);
  });

  it('carries a pod template with ports, env, resources, tolerations and priority through both directions', () => {
    const deployment = decodeKubeObject(bytesOf(FIXTURE.bodies.find((b) => b.side === 'request' && b.what.includes('create deployment'))!));
    const spec = deployment.spec as JsonObject;
    const template = spec.template as JsonObject;
    const podSpec = {
      ...(template.spec as JsonObject),
      containers: [{ name: 'redis', image: 'redis:7.4', ports: [{ containerPort: 6379, protocol: 'TCP' }], env: [{ name: 'A', value: 'b' }], resources: { limits: { memory: '512Mi' }, requests: { cpu: '100m' } } }],
      tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
      priority: 0,
      enableServiceLinks: true,
      securityContext: { runAsUser: 999, fsGroup: 999 },
    };
    const object = { ...deployment, spec: { ...spec, template: { ...template, spec: podSpec } } };
    const encoded = encodeKubeObject(object);
    assert.ok(encoded, 'the tables cover the template');
    assert.deepEqual(decodeKubeObject(encoded), object);
  });

  it('writes negative and 64-bit integers as Go does and reads them back', () => {
    const deployment = decodeKubeObject(bytesOf(FIXTURE.bodies.find((b) => b.side === 'request' && b.what.includes('create deployment'))!));
    const metadata = { ...(deployment.metadata as JsonObject), generation: 2 ** 40, deletionGracePeriodSeconds: 0 };
    const spec = { ...(deployment.spec as JsonObject), minReadySeconds: -1, revisionHistoryLimit: 0 };
    const encoded = encodeKubeObject({ ...deployment, metadata, spec });
    assert.ok(encoded);
    // -1 as an int32 is ten bytes on the wire: the 64-bit two's complement
    assert.ok(encoded.includes(Buffer.from('28ffffffffffffffffff01', 'hex')));
    const decoded = decodeKubeObject(encoded);
    assert.deepEqual([(decoded.metadata as JsonObject).generation, (decoded.metadata as JsonObject).deletionGracePeriodSeconds], [2 ** 40, 0]);
    assert.deepEqual([(decoded.spec as JsonObject).minReadySeconds, (decoded.spec as JsonObject).revisionHistoryLimit], [-1, 0]);
  });
});
