/**
 * Impersonation headers (Impersonate-User, -Group, -Uid, -Extra-<key>), as apiserver's WithImpersonation filter:
 * each requested identity part needs the `impersonate` verb on users, serviceaccounts, groups, uids or userextras,
 * and the resulting user gets system:authenticated (or system:unauthenticated for system:anonymous).
 */
import { ApiError } from '../status-errors.js';
import type { UserInfo } from '../types.js';
import type { Decision } from './authorizer.js';
import { forbiddenError } from './forbidden.js';
import type { ResourceAttributes } from './request-attributes.js';

export type HeaderLists = Record<string, string[] | undefined>;

const SERVICE_ACCOUNT_USER = /^system:serviceaccount:([^:]+):([^:]+)$/;
const EXTRA_PREFIX = 'impersonate-extra-';

function impersonateAttributes(resource: string, name: string, extra: Partial<ResourceAttributes> = {}): ResourceAttributes {
  return { kind: 'resource', verb: 'impersonate', apiGroup: '', apiVersion: 'v1', namespace: '', resource, subresource: '', name, ...extra };
}

/** The user a request acts as: the requestor itself without impersonation headers, else the impersonated user. */
export function impersonatedUser(requestor: UserInfo, headers: HeaderLists, authorize: (attributes: ResourceAttributes) => Decision): UserInfo {
  const username = headers['impersonate-user']?.[0];
  const groupHeaders = headers['impersonate-group'] ?? [];
  const uid = headers['impersonate-uid']?.[0];
  const extraKeys = Object.keys(headers).filter((h) => h.startsWith(EXTRA_PREFIX));
  if (username === undefined) {
    if (groupHeaders.length > 0 || uid !== undefined || extraKeys.length > 0) throw new ApiError(500, 'InternalError', 'Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user');
    return requestor;
  }
  const checks: ResourceAttributes[] = [];
  let groups: string[] = [];
  const account = SERVICE_ACCOUNT_USER.exec(username);
  if (account) {
    checks.push(impersonateAttributes('serviceaccounts', account[2]!, { namespace: account[1]! }));
    // an account's groups are a fixed mapping, used when no group is asked for
    if (groupHeaders.length === 0) groups = ['system:serviceaccounts', `system:serviceaccounts:${account[1]!}`];
  } else checks.push(impersonateAttributes('users', username));
  for (const group of groupHeaders) {
    checks.push(impersonateAttributes('groups', group));
    groups.push(group);
  }
  const extra: Record<string, string[]> = {};
  for (const header of extraKeys) {
    const key = decodeURIComponent(header.slice(EXTRA_PREFIX.length)).toLowerCase();
    for (const value of headers[header] ?? []) {
      checks.push(impersonateAttributes('userextras', value, { apiGroup: 'authentication.k8s.io', subresource: key }));
      (extra[key] ??= []).push(value);
    }
  }
  if (uid !== undefined) checks.push(impersonateAttributes('uids', uid, { apiGroup: 'authentication.k8s.io' }));
  for (const check of checks) {
    const decision = authorize(check);
    if (!decision.allowed) throw forbiddenError(requestor.username, check, decision.reason);
  }
  if (username === 'system:anonymous') {
    if (!groups.includes('system:unauthenticated')) groups.push('system:unauthenticated');
  } else if (!groups.includes('system:authenticated') && !groups.includes('system:unauthenticated')) groups.push('system:authenticated');
  return { username, ...(uid !== undefined ? { uid } : {}), groups, ...(extraKeys.length > 0 ? { extra } : {}) };
}
