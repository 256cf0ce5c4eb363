import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { buildCrdManifests } from '../../shared/crds.js';
import { renderCrdYaml } from '../../shared/generate-crds.js';

const CRD_DIR = new URL('../../manifests/crds/', import.meta.url);

/**
 * Paths of properties without a description, walking properties, array items and map values. The root `metadata`
 * is exempt: a structural schema may not describe it (kube-apiserver refuses the CRD, golden 35).
 */
function undocumented(schema: Record<string, unknown>, path: string, out: string[], isRoot = true): string[] {
  const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
  for (const [name, child] of Object.entries(properties ?? {})) {
    const childPath = `${path}.${name}`;
    if (isRoot && name === 'metadata') continue;
    if (typeof child.description !== 'string' || child.description.trim() === '') out.push(childPath);
    undocumented(child, childPath, out, false);
  }
  if (schema.items && typeof schema.items === 'object') undocumented(schema.items as Record<string, unknown>, `${path}[]`, out, false);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    undocumented(schema.additionalProperties as Record<string, unknown>, `${path}.*`, out, false);
  }
  return out;
}

describe('CRD manifests', () => {
  const manifests = buildCrdManifests();

  it('the committed files equal what `npm run manifests` generates', () => {
    for (const [file, crd] of Object.entries(manifests)) {
      const committed = readFileSync(new URL(file, CRD_DIR), 'utf8');
      assert.equal(committed, renderCrdYaml(crd), `manifests/crds/${file} is stale: run npm run manifests`);
    }
  });

  it('every property in every schema has a description (kubectl explain)', () => {
    for (const [file, crd] of Object.entries(manifests)) {
      for (const version of crd.spec.versions) {
        const schema = version.schema?.openAPIV3Schema as unknown as Record<string, unknown>;
        assert.ok(schema, file);
        assert.deepEqual(undocumented(schema, crd.spec.names.kind, []), [], file);
      }
    }
  });

  it('the KVStore CRD has status and scale subresources and the printer columns of DESIGN.md', () => {
    const crd = parse(readFileSync(new URL('redwing.dev_kvstores.yaml', CRD_DIR), 'utf8'));
    const version = crd.spec.versions[0];
    assert.deepEqual(version.subresources.scale, { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' });
    assert.ok(version.subresources.status);
    assert.deepEqual(version.additionalPrinterColumns.map((c: { name: string }) => c.name), ['Engine', 'Replicas', 'Ready', 'Master', 'Phase', 'Age']);
    assert.equal(version.schema.openAPIV3Schema.properties.spec.properties.persistence.description, 'Persistent storage of the data.');
  });
});
