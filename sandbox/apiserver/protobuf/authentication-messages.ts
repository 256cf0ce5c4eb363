/** authentication.k8s.io/v1 TokenRequest (k8s.io/api authentication/v1/generated.proto), what `kubectl create token` sends. */
import { field, message } from './message-spec.js';
import { objectMeta } from './meta-messages.js';

const boundObjectReference = message('BoundObjectReference', [
  field(1, 'kind', 'string'),
  field(2, 'apiVersion', 'string'),
  field(3, 'name', 'string'),
  field(4, 'uid', 'string'),
]);

export const tokenRequest = message('TokenRequest', [
  field(1, 'metadata', objectMeta),
  // no omitempty on these three: Go writes null for an unset value
  field(2, 'spec', message('TokenRequestSpec', [
    field(1, 'audiences', 'string', { list: true, always: true }),
    field(4, 'expirationSeconds', 'int64', { pointer: true, always: true }),
    field(3, 'boundObjectRef', boundObjectReference, { pointer: true, always: true }),
  ])),
  field(3, 'status', message('TokenRequestStatus', [
    field(1, 'token', 'string', { always: true }),
    field(2, 'expirationTimestamp', 'time'),
  ])),
]);
