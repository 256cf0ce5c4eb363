/**
 * What RBAC allowed and refused, per user, for the users a test cares about (never `system:masters`, whose requests
 * skip RBAC). It lets the end-to-end tests fail on any 403 to Redwing's own ServiceAccounts, and list the grants of
 * the shipped roles that no test ever used (scripts/rbac-unused-grants.ts), so every grant is one the code needs.
 */
import type { UserInfo } from '../types.js';
import { PRIVILEGED_GROUP } from './authorizer.js';
import type { RequestAttributes } from './request-attributes.js';

/** `verb group resource[/subresource]` for resources, `verb path` for non-resource URLs. */
export type AccessKey = string;

export interface RbacUsage {
  /** username → the accesses RBAC allowed. */
  allowed: Record<string, AccessKey[]>;
  /** username → the accesses RBAC refused, with the namespace. */
  denied: Record<string, string[]>;
}

export function accessKey(attributes: RequestAttributes): AccessKey {
  if (attributes.kind === 'nonResource') return `${attributes.verb} ${attributes.path}`;
  const resource = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
  return `${attributes.verb} ${attributes.apiGroup || 'core'} ${resource}`;
}

export class RbacAudit {
  private readonly allowed = new Map<string, Set<AccessKey>>();
  private readonly denied = new Map<string, Set<string>>();

  record(user: UserInfo, attributes: RequestAttributes, allowed: boolean): void {
    if (user.groups.includes(PRIVILEGED_GROUP)) return;
    const key = accessKey(attributes);
    const target = allowed ? this.allowed : this.denied;
    const entry = allowed || attributes.kind === 'nonResource' ? key : `${key} in namespace "${attributes.namespace}"`;
    let set = target.get(user.username);
    if (!set) target.set(user.username, set = new Set());
    set.add(entry);
  }

  usage(): RbacUsage {
    const plain = (map: Map<string, Set<string>>) => Object.fromEntries([...map].map(([user, keys]) => [user, [...keys].sort()]));
    return { allowed: plain(this.allowed), denied: plain(this.denied) };
  }
}
