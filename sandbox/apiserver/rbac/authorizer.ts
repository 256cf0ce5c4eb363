/**
 * The authorizer chain of kube-apiserver with --authorization-mode=RBAC: the `system:masters` group is allowed
 * everything (its privileged-group authorizer), then the RBAC rule resolver walks ClusterRoleBindings and the
 * RoleBindings of the request's namespace. Reasons are worded as the RBAC authorizer words them.
 */
import type { UserInfo } from '../types.js';
import type { RequestAttributes } from './request-attributes.js';
import type { PolicyRule } from './rule-match.js';
import { ruleAllows } from './rule-match.js';

export const PRIVILEGED_GROUP = 'system:masters';

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface Binding {
  name: string;
  /** set for RoleBindings */
  namespace?: string;
  roleRef: { kind: string; name: string };
  subjects: Subject[];
}

/** Everything RBAC decides on, read from the stored Roles, ClusterRoles and their bindings. */
export interface RbacPolicy {
  clusterRoles: Map<string, PolicyRule[]>;
  /** keyed `<namespace>/<name>` */
  roles: Map<string, PolicyRule[]>;
  clusterRoleBindings: Binding[];
  roleBindings: Binding[];
}

export interface Decision {
  allowed: boolean;
  /** "RBAC: allowed by …" or, on a denial, "RBAC: <role> not found" when a binding points nowhere; often empty */
  reason: string;
}

function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  if (subject.kind === 'User') return subject.name === user.username;
  if (subject.kind === 'Group') return user.groups.includes(subject.name);
  if (subject.kind === 'ServiceAccount') {
    const namespace = subject.namespace || bindingNamespace;
    return namespace !== '' && user.username === `system:serviceaccount:${namespace}:${subject.name}`;
  }
  return false;
}

function describeSubject(subject: Subject, bindingNamespace: string): string {
  if (subject.kind === 'ServiceAccount') return `${subject.kind} ${JSON.stringify(`${subject.name}/${subject.namespace || bindingNamespace}`)}`;
  return `${subject.kind} ${JSON.stringify(subject.name)}`;
}

interface RuleSource {
  describe: string;
  rules: PolicyRule[];
}

/** The rules that apply to a user in a namespace (cluster-wide ones for ''), and the bindings that point nowhere. */
function visitRules(policy: RbacPolicy, user: UserInfo, namespace: string): { sources: RuleSource[]; errors: string[] } {
  const sources: RuleSource[] = [];
  const errors: string[] = [];
  for (const binding of policy.clusterRoleBindings) {
    const subject = binding.subjects.find((s) => subjectMatches(s, user, ''));
    if (!subject) continue;
    const rules = binding.roleRef.kind === 'ClusterRole' ? policy.clusterRoles.get(binding.roleRef.name) : undefined;
    if (!rules) {
      errors.push(`clusterrole.rbac.authorization.k8s.io ${JSON.stringify(binding.roleRef.name)} not found`);
      continue;
    }
    sources.push({ describe: `ClusterRoleBinding ${JSON.stringify(binding.name)} of ClusterRole ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, '')}`, rules });
  }
  if (namespace === '') return { sources, errors };
  for (const binding of policy.roleBindings) {
    if (binding.namespace !== namespace) continue;
    const subject = binding.subjects.find((s) => subjectMatches(s, user, namespace));
    if (!subject) continue;
    const isRole = binding.roleRef.kind === 'Role';
    const rules = isRole ? policy.roles.get(`${namespace}/${binding.roleRef.name}`) : policy.clusterRoles.get(binding.roleRef.name);
    if (!rules) {
      errors.push(`${isRole ? 'role' : 'clusterrole'}.rbac.authorization.k8s.io ${JSON.stringify(binding.roleRef.name)} not found`);
      continue;
    }
    sources.push({ describe: `RoleBinding ${JSON.stringify(`${binding.name}/${namespace}`)} of ${binding.roleRef.kind} ${JSON.stringify(binding.roleRef.name)} to ${describeSubject(subject, namespace)}`, rules });
  }
  return { sources, errors };
}

function aggregateErrors(errors: string[]): string {
  return errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]`;
}

export function authorize(policy: RbacPolicy, user: UserInfo, attributes: RequestAttributes): Decision {
  if (user.groups.includes(PRIVILEGED_GROUP)) return { allowed: true, reason: '' };
  const namespace = attributes.kind === 'resource' ? attributes.namespace : '';
  const { sources, errors } = visitRules(policy, user, namespace);
  for (const source of sources) {
    if (source.rules.some((rule) => ruleAllows(rule, attributes))) return { allowed: true, reason: `RBAC: allowed by ${source.describe}` };
  }
  return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregateErrors(errors)}` : '' };
}

export interface UserRules {
  rules: PolicyRule[];
  /** a binding whose role is missing makes the list incomplete (SelfSubjectRulesReview's evaluationError) */
  errors: string[];
}

/** Every rule that applies to the user in a namespace, for SelfSubjectRulesReview (`kubectl auth can-i --list`). */
export function rulesFor(policy: RbacPolicy, user: UserInfo, namespace: string): UserRules {
  const privileged: PolicyRule[] = user.groups.includes(PRIVILEGED_GROUP) ? [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }] : [];
  const { sources, errors } = visitRules(policy, user, namespace);
  return { rules: [...privileged, ...sources.flatMap((s) => s.rules)], errors };
}
