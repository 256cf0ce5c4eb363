/**
 * What runs between authentication and the handler, in kube-apiserver's filter order: impersonation (authorized
 * with the `impersonate` verb), then authorization of the request as the resulting user. Throws the 403 Status.
 */
import type { UserInfo } from '../types.js';
import type { RbacAudit } from './audit.js';
import type { RbacPolicy } from './authorizer.js';
import { authorize } from './authorizer.js';
import { forbiddenError } from './forbidden.js';
import type { HeaderLists } from './impersonation.js';
import { impersonatedUser } from './impersonation.js';
import { requestAttributes } from './request-attributes.js';

/** The user the request acts as, once it is allowed. */
export function authorizeRequest(policy: RbacPolicy, requestor: UserInfo, method: string, url: URL, headers: HeaderLists, audit?: RbacAudit): UserInfo {
  const user = impersonatedUser(requestor, headers, (attributes) => authorize(policy, requestor, attributes));
  const attributes = requestAttributes(method, url);
  const decision = authorize(policy, user, attributes);
  audit?.record(user, attributes, decision.allowed);
  if (!decision.allowed) throw forbiddenError(user.username, attributes, decision.reason);
  return user;
}
