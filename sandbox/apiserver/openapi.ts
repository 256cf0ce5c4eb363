/**
 * OpenAPI: a v3 index and one document per group-version (schemas of custom resources, PATCH operations with
 * the fieldValidation parameter that kubectl's query-param verifier looks for), and a small v2 document.
 * Built-in kinds get permissive object schemas: `kubectl explain` works for custom resources only.
 */
import { createHash } from 'node:crypto';
import type { ApiCore } from './core.js';
import type { ResourceType } from './registry.js';
import type { RawRequest } from './context.js';
import { goJson } from './serialize.js';
import { PageNotFound } from './status-errors.js';
import type { JsonObject } from './types.js';

function definitionName(type: ResourceType): string {
  const group = type.group === '' ? 'io.k8s.api.core' : type.group.split('.').reverse().join('.');
  return `${group}.${type.version}.${type.kind}`;
}

function gvk(type: ResourceType): JsonObject {
  return { group: type.group, version: type.version, kind: type.kind };
}

function schemaFor(type: ResourceType): JsonObject {
  const schema: JsonObject = type.custom?.schema ? JSON.parse(JSON.stringify(type.custom.schema)) as JsonObject : { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  const props = (schema.properties ?? {}) as JsonObject;
  props.apiVersion ??= { type: 'string', description: 'APIVersion defines the versioned schema of this representation of an object.' };
  props.kind ??= { type: 'string', description: 'Kind is a string value representing the REST resource this object represents.' };
  props.metadata = { type: 'object', description: 'Standard object metadata.' };
  schema.properties = props;
  schema['x-kubernetes-group-version-kind'] = [gvk(type)];
  return schema;
}

function pathsFor(type: ResourceType): JsonObject {
  const base = type.group === '' ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`;
  const ns = type.namespaced ? '/namespaces/{namespace}' : '';
  const patch = {
    operationId: `patch${type.kind}`,
    'x-kubernetes-group-version-kind': gvk(type),
    'x-kubernetes-action': 'patch',
    parameters: [
      { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
      { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
    ],
    responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${definitionName(type)}` } } } } },
  };
  return {
    [`${base}${ns}/${type.plural}/{name}`]: { patch, get: { operationId: `read${type.kind}`, 'x-kubernetes-group-version-kind': gvk(type), 'x-kubernetes-action': 'get' } },
  };
}

function groupVersionDocument(core: ApiCore, group: string, version: string): JsonObject {
  const types = core.registry.all().filter((t) => t.group === group && t.version === version);
  const schemas: JsonObject = {};
  let paths: JsonObject = {};
  for (const t of types) {
    schemas[definitionName(t)] = schemaFor(t);
    paths = { ...paths, ...pathsFor(t) };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.13' }, paths, components: { schemas } };
}

function hashOf(doc: JsonObject): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

export function serveOpenApi(raw: RawRequest, core: ApiCore, url: URL, parts: string[]): void {
  const reply = (contentType: string, body: unknown, status = 200): void => {
    const text = goJson(body);
    raw.res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-cache, private' });
    raw.res.end(text);
  };
  if (parts[1] === 'v2') {
    const definitions: JsonObject = {};
    for (const t of core.registry.all()) definitions[definitionName(t)] = schemaFor(t);
    reply('application/json', { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.13' }, paths: {}, definitions });
    return;
  }
  if (parts[1] !== 'v3') throw new PageNotFound();
  if (parts.length === 2) {
    const paths: JsonObject = {};
    for (const [group, versions] of core.registry.groupVersions()) {
      for (const version of versions) {
        const key = group === '' ? `api/${version}` : `apis/${group}/${version}`;
        paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hashOf(groupVersionDocument(core, group, version))}` };
      }
    }
    reply('text/plain; charset=utf-8', { paths });
    return;
  }
  const group = parts[2] === 'api' ? '' : parts[3];
  const version = parts[2] === 'api' ? parts[3] : parts[4];
  if (group === undefined || version === undefined || !core.registry.hasGroupVersion(group, version)) throw new PageNotFound();
  reply('application/json', groupVersionDocument(core, group, version));
}
