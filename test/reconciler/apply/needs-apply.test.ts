import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1NetworkPolicy } from '@kubernetes/client-node';
import { buildDesiredObjects } from '../../../reconciler/desired/index.js';
import { explainApplyNeed, findDroppedField, needsApply, toWireObject } from '../../../reconciler/apply/index.js';
import { maximalStore, minimalStore } from '../desired/stores.js';
import { storedStatefulSet } from './stored.js';

describe('needsApply', () => {
  it('is true when the object does not exist', () => {
    assert.equal(needsApply(buildDesiredObjects(minimalStore('redis')).configMap, undefined), true);
  });

  it('ignores what the server added: metadata, defaults, status, Dates', () => {
    const { statefulSet } = buildDesiredObjects(maximalStore('redis'));
    assert.equal(explainApplyNeed(statefulSet, storedStatefulSet(statefulSet)), undefined);
  });

  it('compares quantities by value, as the server canonicalises them', () => {
    const { statefulSet } = buildDesiredObjects(maximalStore('redis'));
    const live = storedStatefulSet(statefulSet);
    live.spec!.template.spec!.containers[0]!.resources = { requests: { cpu: '0.5', memory: '1024Mi' }, limits: { cpu: '2000m', memory: '2Gi' } };
    assert.equal(explainApplyNeed(statefulSet, live), undefined);
    live.spec!.template.spec!.containers[0]!.resources!.requests!.cpu = '600m';
    assert.match(explainApplyNeed(statefulSet, live) ?? '', /resources\.requests\.cpu differs/);
  });

  it('treats empty maps and zero values as equal to absent fields (omitempty)', () => {
    const desired = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', annotations: {} }, data: {}, immutable: false };
    assert.equal(needsApply(desired, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', uid: 'u' } }), false);
  });

  it('sees a changed value, an extra list item and a missing field', () => {
    const { statefulSet } = buildDesiredObjects(minimalStore('redis'));
    const changed = storedStatefulSet(statefulSet);
    changed.spec!.template.spec!.containers[0]!.image = 'redis:6';
    assert.match(explainApplyNeed(statefulSet, changed) ?? '', /containers\[0\]\.image differs/);
    const extra = storedStatefulSet(statefulSet);
    extra.spec!.template.spec!.containers.push({ name: 'intruder', image: 'busybox' });
    assert.match(explainApplyNeed(statefulSet, extra) ?? '', /containers differs/);
    const missing = storedStatefulSet(statefulSet);
    delete missing.spec!.template.metadata!.annotations;
    assert.equal(needsApply(statefulSet, missing), true);
  });

  it('sees a field our manager applied before and no longer sets, but not one another manager owns', () => {
    const store = maximalStore('redis');
    const { statefulSet } = buildDesiredObjects(store);
    const fieldsV1 = {
      'f:spec': {
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:team': {}, 'f:app.kubernetes.io/name': {} } },
          'f:spec': { 'f:containers': { 'k:{"name":"engine"}': { '.': {}, 'f:image': {} } } },
        },
      },
    };
    const live = storedStatefulSet(statefulSet, fieldsV1);
    assert.equal(needsApply(statefulSet, live), false);
    store.spec!.podMetadata!.labels = {};
    const withoutLabel = buildDesiredObjects(store).statefulSet;
    assert.match(explainApplyNeed(withoutLabel, live) ?? '', /f:team is no longer set/);
    const otherManager = structuredClone(live);
    otherManager.metadata!.managedFields![0]!.manager = 'kubectl';
    assert.equal(needsApply(withoutLabel, otherManager), false);
  });

  it('compares a typed NetworkPolicy (`_from`) with a live one in wire form (`from`)', () => {
    const policy = buildDesiredObjects(maximalStore('redis')).networkPolicy as V1NetworkPolicy;
    const live = toWireObject(policy) as unknown as { spec: { ingress: Array<Record<string, unknown>> } };
    assert.ok(live.spec.ingress[0]!.from, 'wire form uses from');
    assert.equal(needsApply(policy, live as object), false);
    (live.spec.ingress[0]!.from as unknown[]).pop();
    assert.equal(needsApply(policy, live as object), true);
  });
});

describe('findDroppedField', () => {
  it('follows f:, k:, v: and i: entries', () => {
    const value = { spec: { ports: [{ port: 6379, protocol: 'TCP' }], finalizers: ['a'], args: ['x'] } };
    assert.equal(findDroppedField({ 'f:spec': { 'f:ports': { 'k:{"port":6379,"protocol":"TCP"}': { '.': {} } } } }, value), undefined);
    assert.equal(findDroppedField({ 'f:spec': { 'f:ports': { 'k:{"port":9121,"protocol":"TCP"}': {} } } }, value), '/f:spec/f:ports/k:{"port":9121,"protocol":"TCP"}');
    assert.equal(findDroppedField({ 'f:spec': { 'f:finalizers': { 'v:"a"': {} } } }, value), undefined);
    assert.equal(findDroppedField({ 'f:spec': { 'f:finalizers': { 'v:"b"': {} } } }, value), '/f:spec/f:finalizers/v:"b"');
    assert.equal(findDroppedField({ 'f:spec': { 'f:args': { 'i:1': {} } } }, value), '/f:spec/f:args/i:1');
  });
});
