/**
 * authorization.k8s.io/v1 (k8s.io/api authorization/v1/generated.proto): the self reviews `kubectl auth can-i`
 * (and `can-i --list`) sends as protobuf.
 */
import { field, message } from './message-spec.js';
import { objectMeta } from './meta-messages.js';

const resourceAttributes = message('ResourceAttributes', [
  field(1, 'namespace', 'string'),
  field(2, 'verb', 'string'),
  field(3, 'group', 'string'),
  field(4, 'version', 'string'),
  field(5, 'resource', 'string'),
  field(6, 'subresource', 'string'),
  field(7, 'name', 'string'),
]);

const nonResourceAttributes = message('NonResourceAttributes', [
  field(1, 'path', 'string'),
  field(2, 'verb', 'string'),
]);

export const selfSubjectAccessReview = message('SelfSubjectAccessReview', [
  field(1, 'metadata', objectMeta),
  field(2, 'spec', message('SelfSubjectAccessReviewSpec', [
    field(1, 'resourceAttributes', resourceAttributes, { pointer: true }),
    field(2, 'nonResourceAttributes', nonResourceAttributes, { pointer: true }),
  ])),
  field(3, 'status', message('SubjectAccessReviewStatus', [
    field(1, 'allowed', 'bool', { always: true }),
    field(4, 'denied', 'bool'),
    field(2, 'reason', 'string'),
    field(3, 'evaluationError', 'string'),
  ])),
]);

export const selfSubjectRulesReview = message('SelfSubjectRulesReview', [
  field(1, 'metadata', objectMeta),
  field(2, 'spec', message('SelfSubjectRulesReviewSpec', [field(1, 'namespace', 'string')])),
  field(3, 'status', message('SubjectRulesReviewStatus', [
    field(1, 'resourceRules', message('ResourceRule', [
      field(1, 'verbs', 'string', { list: true, always: true }),
      field(2, 'apiGroups', 'string', { list: true }),
      field(3, 'resources', 'string', { list: true }),
      field(4, 'resourceNames', 'string', { list: true }),
    ]), { list: true, always: true }),
    field(2, 'nonResourceRules', message('NonResourceRule', [
      field(1, 'verbs', 'string', { list: true, always: true }),
      field(2, 'nonResourceURLs', 'string', { list: true }),
    ]), { list: true, always: true }),
    field(3, 'incomplete', 'bool', { always: true }),
    field(4, 'evaluationError', 'string'),
  ])),
]);
