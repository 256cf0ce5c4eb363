/**
 * The authorization attributes of a request, derived from its method and URL alone, as kube-apiserver's
 * RequestInfoFactory does: so a request for a resource the server does not serve is still authorized (403 before 404).
 */
import { parseFieldSelector } from '../selectors.js';

export interface ResourceAttributes {
  kind: 'resource';
  verb: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export interface NonResourceAttributes {
  kind: 'nonResource';
  verb: string;
  path: string;
}

export type RequestAttributes = ResourceAttributes | NonResourceAttributes;

const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}

/** The name a `metadata.name=<n>` field selector pins a list or watch to (client-go's single-object watch). */
function exactNameOf(fieldSelector: string | null): string {
  if (!fieldSelector) return '';
  try {
    const pinned = parseFieldSelector(fieldSelector).find((r) => r.field === 'metadata.name' && r.operator === '=');
    const name = pinned?.value ?? '';
    return name === '.' || name === '..' || name.includes('/') || name.includes('%') ? '' : name;
  } catch {
    // a malformed selector is the handler's 400 to give, not the authorizer's
    return '';
  }
}

export function requestAttributes(method: string, url: URL): RequestAttributes {
  const parts = url.pathname.split('/').filter((p) => p !== '');
  const nonResource: NonResourceAttributes = { kind: 'nonResource', verb: method.toLowerCase(), path: url.pathname };
  if (parts.length < 3 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource;
  let rest = parts.slice(1);
  let apiGroup = '';
  if (parts[0] === 'apis') {
    if (rest.length < 3) return nonResource;
    apiGroup = rest[0]!;
    rest = rest.slice(1);
  }
  const apiVersion = rest[0]!;
  rest = rest.slice(1);
  let verb: string;
  if (SPECIAL_VERBS.has(rest[0]!) && rest.length >= 2) {
    verb = rest[0]!;
    rest = rest.slice(1);
  } else verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  const attributes: ResourceAttributes = { kind: 'resource', verb, apiGroup, apiVersion, namespace, resource: rest[0] ?? '', name: rest[1] ?? '', subresource: verb !== 'proxy' ? rest[2] ?? '' : '' };
  if (attributes.name === '' && verb === 'get') {
    attributes.verb = isTrue(url.searchParams.get('watch')) ? 'watch' : 'list';
    attributes.name = exactNameOf(url.searchParams.get('fieldSelector'));
  }
  if (attributes.name === '' && attributes.verb === 'delete') attributes.verb = 'deletecollection';
  return attributes;
}
