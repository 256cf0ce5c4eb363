import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyKVStoreDefaults, buildPodAntiAffinity } from '../../shared/defaulting.js';
import { fillMissing, mergePolicyDefaults, mutateKVStore } from '../../webhook/mutate.js';
import { admissionFixture, applyStrict, loadJson, type Json } from './helpers.js';

const NO_DEFAULTS = { specs: [] };

function kvstore(spec: unknown, name = 'cache'): Json {
  const object: Json = { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { name, namespace: 'default' } };
  if (spec !== undefined) object.spec = spec;
  return object;
}

describe('mutateKVStore', () => {
  it('defaults the recorded CREATE object with a patch that applies to the raw object', () => {
    const raw = admissionFixture('kvstore-create-mutating').request.object!;
    const result = mutateKVStore(raw, NO_DEFAULTS);
    assert.ok(result.patch.length > 0);
    assert.ok(result.patch.every((op) => op.op === 'add' || op.op === 'replace'));
    const patched = applyStrict(raw, result.patch);
    assert.deepEqual(patched.spec, applyKVStoreDefaults(raw.spec as never, 'mk1'));
    assert.deepEqual(patched.metadata, raw.metadata);
  });

  it('turns the three-line KVStore into minimal.defaulted.json', () => {
    const minimal = loadJson('fixtures/kvstore/minimal.json');
    const result = mutateKVStore(minimal, NO_DEFAULTS);
    assert.deepEqual(result.patch.map((op) => op.path), ['/spec']);
    assert.deepEqual(applyStrict(minimal, result.patch), loadJson('fixtures/kvstore/minimal.defaulted.json'));
  });

  it('is idempotent: mutating the mutated object yields no patch', () => {
    for (const spec of [undefined, {}, { engine: 'dragonfly', replicas: 1 }, { tls: { enabled: true }, antiAffinity: 'required' },
      { resources: { requests: { memory: '1Gi' } }, config: { 'maxmemory-policy': 'allkeys-lru' } }]) {
      const raw = kvstore(spec);
      const once = applyStrict(raw, mutateKVStore(raw, NO_DEFAULTS).patch);
      const again = mutateKVStore(once, NO_DEFAULTS);
      assert.deepEqual(again.patch, [], JSON.stringify(spec));
      assert.equal(again.object, once);
    }
  });

  it('keeps fields it does not know and never emits remove for them', () => {
    const raw = kvstore({ replicas: 1, futureField: { nested: true } });
    (raw.metadata as Json).annotations = { 'example.com/owner': 'team-a' };
    raw.status = { phase: 'Ready' };
    const result = mutateKVStore(raw, NO_DEFAULTS);
    // the spec is invalid for our schema (unknown field): left alone for the validating webhook to refuse
    assert.deepEqual(result.patch, []);
    const known = kvstore({ replicas: 1 });
    (known.metadata as Json).annotations = { 'example.com/owner': 'team-a' };
    known.unknownTopLevel = { x: 1 };
    const patch = mutateKVStore(known, NO_DEFAULTS).patch;
    assert.ok(patch.every((op) => op.op !== 'remove'));
    const patched = applyStrict(known, patch);
    assert.deepEqual(patched.unknownTopLevel, { x: 1 });
    assert.deepEqual((patched.metadata as Json).annotations, { 'example.com/owner': 'team-a' });
  });

  it('does nothing without a name', () => {
    const result = mutateKVStore({ apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', metadata: { generateName: 'c-' } }, NO_DEFAULTS);
    assert.deepEqual(result.patch, []);
    assert.match(result.skipped ?? '', /metadata.name/);
  });

  it('removes a materialised anti-affinity term when antiAffinity becomes none', () => {
    const defaulted = applyStrict(kvstore({}), mutateKVStore(kvstore({}), NO_DEFAULTS).patch);
    (defaulted.spec as Json).antiAffinity = 'none';
    const patch = mutateKVStore(defaulted, NO_DEFAULTS).patch;
    assert.deepEqual(patch, [{ op: 'remove', path: '/spec/affinity/podAntiAffinity' }]);
    (defaulted.spec as Json).antiAffinity = 'required';
    const required = mutateKVStore(defaulted, NO_DEFAULTS).patch;
    assert.deepEqual(required, [{ op: 'replace', path: '/spec/affinity/podAntiAffinity', value: buildPodAntiAffinity('required', 'cache') }]);
  });

  it('merges policy defaults before the built-in ones: user first, then policies in order', () => {
    const raw = kvstore({ replicas: 5, podMetadata: { labels: { team: 'a' } } });
    const defaults = {
      specs: [
        { policy: 'first', spec: { replicas: 7, tls: { enabled: true }, podMetadata: { labels: { 'cost.example.com/center': '42' } } } },
        { policy: 'second', spec: { tls: { enabled: false, clientCaSecretName: 'ca' }, image: 'registry.internal/redis:7.4' } },
      ],
    };
    const result = mutateKVStore(raw, defaults);
    const spec = applyStrict(raw, result.patch).spec as Json;
    assert.equal(spec.replicas, 5);
    assert.deepEqual(spec.tls, { enabled: true, clientCaSecretName: 'ca', secretName: 'cache-tls' });
    assert.equal(spec.image, 'registry.internal/redis:7.4');
    assert.deepEqual((spec.podMetadata as Json).labels, { team: 'a', 'cost.example.com/center': '42' });
    assert.ok(result.patch.some((op) => op.path === '/spec/podMetadata/labels/cost.example.com~1center'));
    assert.deepEqual(result.appliedPolicies, ['first', 'second']);
  });

  it('drops policy defaults that would make the spec invalid', () => {
    const raw = kvstore({ replicas: 2 });
    const result = mutateKVStore(raw, { specs: [{ policy: 'broken', spec: { replicas: 'many', bogus: 1 } }] });
    assert.deepEqual(result.appliedPolicies, []);
    assert.equal((applyStrict(raw, result.patch).spec as Json).replicas, 2);
  });

  it('lets a computed maxmemory follow the memory limit on UPDATE, but never a user-chosen one', () => {
    const old = applyStrict(kvstore({}), mutateKVStore(kvstore({}), NO_DEFAULTS).patch);
    const oldSpec = old.spec as Json;
    assert.equal((oldSpec.config as Json).maxmemory, '429496729');
    const raised = structuredClone(old);
    ((raised.spec as Json).resources as { limits: Json }).limits.memory = '1Gi';
    const patch = mutateKVStore(raised, NO_DEFAULTS, old).patch;
    assert.deepEqual(patch, [{ op: 'replace', path: '/spec/config/maxmemory', value: String(Math.floor(2 ** 30 * 0.8)) }]);
    assert.deepEqual(mutateKVStore(raised, NO_DEFAULTS).patch, [], 'without the old object nothing is known');
    const chosen = structuredClone(raised);
    ((chosen.spec as Json).config as Json).maxmemory = '300mb';
    assert.deepEqual(mutateKVStore(chosen, NO_DEFAULTS, old).patch, []);
    const userOld = structuredClone(old);
    ((userOld.spec as Json).config as Json).maxmemory = '100mb';
    const userNew = structuredClone(userOld);
    ((userNew.spec as Json).resources as { limits: Json }).limits.memory = '1Gi';
    assert.deepEqual(mutateKVStore(userNew, NO_DEFAULTS, userOld).patch, []);
  });

  it('fillMissing never overwrites and mergePolicyDefaults does not touch its input', () => {
    const target: Json = { a: 1, b: { c: 2 } };
    assert.equal(fillMissing(target, { a: 9, b: { c: 9 } }), false);
    assert.equal(fillMissing(target, { b: { d: [1] } }), true);
    assert.deepEqual(target, { a: 1, b: { c: 2, d: [1] } });
    const spec = { x: 1 };
    mergePolicyDefaults(spec, { specs: [{ policy: 'p', spec: { y: 2 } }] });
    assert.deepEqual(spec, { x: 1 });
  });
});
