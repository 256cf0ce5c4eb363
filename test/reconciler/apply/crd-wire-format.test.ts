// CRDs applied through client-node keep their defaults, enums and x-kubernetes markers (the serializer drops the
// plain-JSON spellings of those keywords), checked against the sandbox API server and by a KVStore round trip.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CustomObjectsApi, type KubernetesObject } from '@kubernetes/client-node';
import { useTestApiServer } from '../../helpers/api-server.js';
import { buildKVStoreCrd } from '../../../shared/crds.js';
import { applyObject, readObject, toWireObject } from '../../../reconciler/apply/index.js';
import { convertJsonSchema } from '../../../reconciler/apply/json-schema-wire-format.js';
import type { KVStore } from '../../../shared/schema/kvstore.js';

describe('JSON schema keyword spelling', () => {
  it('renames keywords in schema positions only, and converts back losslessly', () => {
    const schema = {
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: { default: { type: 'string', enum: ['a'], default: 'a' }, enum: { type: 'integer' } },
      anyOf: [{ type: 'integer' }, { type: 'string', 'x-kubernetes-int-or-string': true }],
      items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    };
    const typed = convertJsonSchema(schema, 'toTyped') as {
      x_kubernetes_preserve_unknown_fields: unknown;
      properties: Record<string, Record<string, unknown>>;
      anyOf: Array<Record<string, unknown>>;
      items: Record<string, unknown>;
    };
    assert.equal(typed.x_kubernetes_preserve_unknown_fields, true);
    assert.deepEqual(Object.keys(typed.properties), ['default', 'enum'], 'property names stay');
    assert.deepEqual(typed.properties.default?._enum, ['a']);
    assert.equal(typed.properties.default?._default, 'a');
    assert.equal(typed.anyOf[1]?.x_kubernetes_int_or_string, true);
    assert.equal(typed.items['x-kubernetes-preserve-unknown-fields'], true, 'client-node types items as any: sent verbatim');
    assert.deepEqual(convertJsonSchema(typed, 'toJson'), schema);
  });
});

describe('applying the KVStore CRD through client-node', () => {
  const sandbox = useTestApiServer({ dirPrefix: 'redwing-crd-apply-' });

  it('stores the schema exactly as generated, so defaults apply and opaque fields survive', async () => {
    const crd = buildKVStoreCrd();
    await applyObject(sandbox.kubeConfig, crd as KubernetesObject);
    const live = toWireObject(await readObject(sandbox.kubeConfig, { apiVersion: crd.apiVersion!, kind: crd.kind!, metadata: { name: crd.metadata!.name! } }));
    const expected = JSON.parse(JSON.stringify(crd.spec.versions[0]!.schema!.openAPIV3Schema));
    assert.deepEqual((live as { spec: { versions: Array<{ schema: { openAPIV3Schema: unknown } }> } }).spec.versions[0]?.schema.openAPIV3Schema, expected);

    const api = sandbox.kubeConfig.makeApiClient(CustomObjectsApi);
    let created: KVStore | undefined;
    for (let attempt = 0; ; attempt++) {
      try {
        created = await api.createNamespacedCustomObject({
          group: 'redwing.dev', version: 'v1alpha1', namespace: 'default', plural: 'kvstores',
          body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'c' }, spec: { affinity: { podAntiAffinity: { x: 1 } }, config: { maxmemory: '1mb' } } },
        }) as KVStore;
        break;
      } catch (error) {
        // The CRD's resources are served once it is Established, a moment after the create.
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.equal(created?.spec?.replicas, 3, 'schema default applied');
    assert.equal(created?.spec?.engine, 'redis', 'schema default applied');
    assert.deepEqual(created?.spec?.affinity, { podAntiAffinity: { x: 1 } }, 'preserve-unknown-fields kept the opaque object');
    assert.deepEqual(created?.spec?.config, { maxmemory: '1mb' }, 'map values kept');
  });

  it('keeps opaque list items (preserve-unknown-fields under items)', async () => {
    const api = sandbox.kubeConfig.makeApiClient(CustomObjectsApi);
    const constraint = { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' };
    const created = await api.createNamespacedCustomObject({
      group: 'redwing.dev', version: 'v1alpha1', namespace: 'default', plural: 'kvstores',
      body: { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name: 'd' }, spec: { topologySpreadConstraints: [constraint] } },
    }) as KVStore;
    assert.deepEqual(created.spec?.topologySpreadConstraints, [constraint]);
  });
});
