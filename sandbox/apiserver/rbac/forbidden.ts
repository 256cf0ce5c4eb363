/**
 * The 403 Status of a request the authorizer refused, worded as apiserver's responsewriters.Forbidden
 * (golden 31 #0, #4–#6): `<resource>[.<group>] ["<name>"] is forbidden: User "<u>" cannot <verb> resource …`.
 */
import { ApiError, forbidden } from '../status-errors.js';
import type { RequestAttributes } from './request-attributes.js';

export function forbiddenMessage(username: string, attributes: RequestAttributes): string {
  if (attributes.kind === 'nonResource') return `User ${JSON.stringify(username)} cannot ${attributes.verb} path ${JSON.stringify(attributes.path)}`;
  const resource = attributes.subresource === '' ? attributes.resource : `${attributes.resource}/${attributes.subresource}`;
  const scope = attributes.namespace === '' ? 'at the cluster scope' : `in the namespace ${JSON.stringify(attributes.namespace)}`;
  return `User ${JSON.stringify(username)} cannot ${attributes.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attributes.apiGroup)} ${scope}`;
}

export function forbiddenError(username: string, attributes: RequestAttributes, reason: string): ApiError {
  const message = forbiddenMessage(username, attributes);
  const why = reason === '' ? message : `${message}: ${reason}`;
  // NewForbidden with an empty GroupResource (non-resource paths) leaves details empty
  if (attributes.kind === 'nonResource' || attributes.resource === '') return new ApiError(403, 'Forbidden', `forbidden: ${why}`, {});
  return forbidden({ group: attributes.apiGroup, plural: attributes.resource }, attributes.name, why);
}
