// Structural CRD schemas: every exchange of golden 35 replayed against the sandbox (status, reason, message, causes,
// warnings, and the schema as stored), plus the project's own CRDs, which must stay structural.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildKVPolicyCrd, buildKVStoreCrd } from '../../../shared/crds.js';
import { crdSchemaErrors } from '../../../sandbox/apiserver/crd-structural.js';
import type { JsonObject } from '../../../sandbox/apiserver/types.js';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';
import { waitFor } from '../../../harness/wait-for.js';
import { goldenSkip, readGolden } from '../../helpers/golden.js';

interface Exchange {
  note: string;
  request: { method: string; path: string; body?: JsonObject };
  response: { status: number; headers: Record<string, unknown>; body: JsonObject };
}

const GOLDEN = readGolden<Exchange>('35-crd-structural');
const FIXTURE_CRD: JsonObject = JSON.parse(readFileSync(new URL('../../fixtures/sandbox-apiserver/golden-kvstore-crd.json', import.meta.url), 'utf8'));
const CRDS = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

function warningsOf(rawHeaders: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === 'warning') out.push(rawHeaders[i + 1]!);
  return out;
}

function recordedWarnings(exchange: Exchange): string[] {
  const warning = exchange.response.headers.warning;
  return Array.isArray(warning) ? warning.map(String) : [];
}

function storedSchema(crd: unknown): string {
  const versions = (crd as { spec: { versions: Array<{ schema: unknown }> } }).spec.versions;
  return JSON.stringify(versions.map((v) => v.schema));
}

function asJson(value: unknown): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

describe('CRD structural schemas (golden 35)', { skip: goldenSkip }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  GOLDEN.forEach((exchange, index) => {
    it(`#${index}: ${exchange.note.slice(0, 110)}`, async () => {
      const { request, response } = exchange;
      if (request.method === 'GET') {
        const name = request.path.split('/').pop()!;
        await waitFor(`${name} to be Established`, async () => {
          const crd = await t.request('GET', request.path);
          return (crd.body?.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True');
        });
      }
      const res = await t.request(request.method, request.path, request.body === undefined ? {} : { body: request.body });
      assert.equal(res.status, response.status, JSON.stringify(res.body).slice(0, 600));
      assert.deepEqual(warningsOf(res.rawHeaders), recordedWarnings(exchange));
      if (response.status === 422) {
        assert.equal(res.body.reason, response.body.reason);
        assert.equal(res.body.message, response.body.message);
        assert.deepEqual(res.body.details, response.body.details);
      } else {
        assert.equal(res.body.metadata.name, (response.body.metadata as JsonObject).name);
        // same fields, same values, same key order (Go struct order, sorted property names)
        assert.equal(storedSchema(res.body), storedSchema(response.body));
      }
    });
  });

  it('refuses an unknown schema keyword with fieldValidation=Strict, naming its path', async () => {
    const res = await t.request('POST', `${CRDS}?fieldValidation=Strict`, { body: GOLDEN[8]!.request.body });
    assert.equal(res.status, 400);
    assert.match(res.body.message, /strict decoding error: unknown field "spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\.spec\.properties\.status\.anyOf\[0\]\.const"/);
  });
});

// a server of its own: golden 35 #21/#22 already created CRDs with these names
describe('the project CRDs on the sandbox', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  it('accepts the KVStore CRD fixture the other golden replays install', async () => {
    const res = await t.request('POST', `${CRDS}?dryRun=All`, { body: FIXTURE_CRD });
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 600));
  });

  it('accepts the generated KVStore and KVPolicy CRDs without warnings', async () => {
    for (const crd of [buildKVStoreCrd(), buildKVPolicyCrd()]) {
      const res = await t.request('POST', CRDS, { body: crd });
      assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 600));
      assert.deepEqual(warningsOf(res.rawHeaders), []);
    }
  });

  it('checks quantities against the field-level pattern, strings only', async () => {
    const stores = '/apis/redwing.dev/v1alpha1/namespaces/default/kvstores';
    const store = (name: string, size: unknown): JsonObject => ({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name }, spec: { persistence: { size } } });
    await waitFor('the KVStore resource to be served', async () => (await t.request('GET', stores)).status === 200);
    assert.equal((await t.request('POST', stores, { body: store('gib', '2Gi') })).status, 201);
    assert.equal((await t.request('POST', stores, { body: store('bytes', 1073741824) })).status, 201);
    const bad = await t.request('POST', stores, { body: store('bad', 'big') });
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.body.details.causes.map((c: { field: string }) => c.field), ['spec.persistence.size']);
    assert.match(bad.body.details.causes[0].message, /^Invalid value: "big": spec\.persistence\.size in body should match '\^\(\\\+\|-\)\?/);
  });
});

describe('crdSchemaErrors', () => {
  it('finds no error in the generated CRDs', () => {
    assert.deepEqual(crdSchemaErrors(asJson(buildKVStoreCrd())), []);
    assert.deepEqual(crdSchemaErrors(asJson(buildKVPolicyCrd())), []);
  });

  it('expresses quantities and condition status as the structural forms golden 35 accepted', () => {
    const kvstore = asJson(buildKVStoreCrd()) as { spec: { versions: Array<{ schema: { openAPIV3Schema: JsonObject } }> } };
    const accepted = GOLDEN[21]!.request.body as typeof kvstore;
    const pick = (crd: typeof kvstore, path: string[]): unknown => path.reduce<unknown>((node, part) => (node as JsonObject)[part], crd.spec.versions[0]!.schema.openAPIV3Schema);
    for (const path of [
      ['properties', 'metadata'],
      ['properties', 'spec', 'properties', 'persistence', 'properties', 'size'],
      ['properties', 'spec', 'properties', 'resources', 'properties', 'limits', 'additionalProperties'],
      ['properties', 'status', 'properties', 'conditions', 'items', 'properties', 'status'],
    ]) {
      assert.deepEqual(pick(kvstore, path), pick(accepted, path), path.join('.'));
    }
  });

  it('names each version when the versions have different schemas', () => {
    const version = (name: string, schema: JsonObject): JsonObject => ({ name, served: true, storage: name === 'v1', schema: { openAPIV3Schema: schema } });
    const crd = { spec: { versions: [version('v1', { type: 'object' }), version('v2', { type: 'object', properties: { a: {} } })] } };
    assert.deepEqual(crdSchemaErrors(crd).map((e) => `${e.field}: ${e.message}`), [
      'spec.versions[1].schema.openAPIV3Schema.properties[a].type: Required value: must not be empty for specified object fields',
    ]);
  });

  it('applies the rules outside golden 35 from the same validator: arrays need items, no root additionalProperties, root branches must be declared', () => {
    const crd = { spec: { versions: [{ name: 'v1', schema: { openAPIV3Schema: {
      type: 'object',
      additionalProperties: { type: 'string' },
      anyOf: [{ properties: { missing: { minLength: 1 } } }],
      properties: { list: { type: 'array' }, nested: { type: 'object', anyOf: [{ properties: { metadata: {} } }] } },
    } } }] } };
    assert.deepEqual(crdSchemaErrors(crd).map((e) => `${e.field}: ${e.message}`), [
      'spec.validation.openAPIV3Schema.additionalProperties: Forbidden: must not be used at the root',
      'spec.validation.openAPIV3Schema.properties[list].items: Required value: must be specified',
      'spec.validation.openAPIV3Schema.properties[missing]: Required value: because it is defined in spec.validation.openAPIV3Schema.anyOf[0].properties[missing]',
      'spec.validation.openAPIV3Schema.properties[nested].anyOf[0].properties[metadata]: Forbidden: must not be specified in a nested context',
      'spec.validation.openAPIV3Schema.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
    ]);
  });
});
