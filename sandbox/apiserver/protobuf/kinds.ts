/** Which kinds have field tables: the kinds kubectl sends as protobuf, their lists, and meta/v1 Status. */
import { deployment } from './apps-messages.js';
import { tokenRequest } from './authentication-messages.js';
import { configMap, namespace, secret, serviceAccount } from './core-messages.js';
import type { MessageSpec } from './message-spec.js';
import { field, message } from './message-spec.js';
import { listMeta, status } from './meta-messages.js';

const OBJECT_KINDS: Record<string, MessageSpec> = {
  'v1/ConfigMap': configMap,
  'v1/Secret': secret,
  'v1/Namespace': namespace,
  'v1/ServiceAccount': serviceAccount,
  'apps/v1/Deployment': deployment,
};

const MESSAGES: Record<string, MessageSpec> = {
  ...OBJECT_KINDS,
  'authentication.k8s.io/v1/TokenRequest': tokenRequest,
  'v1/Status': status,
};

for (const [key, item] of Object.entries(OBJECT_KINDS)) {
  MESSAGES[`${key}List`] = message(`${item.name}List`, [
    field(1, 'metadata', listMeta),
    field(2, 'items', item, { list: true, always: true }),
  ]);
}

/** The field table of `kind` in `apiVersion` (lists included), or undefined when the sandbox has none. */
export function messageForKind(apiVersion: string, kind: string): MessageSpec | undefined {
  return MESSAGES[`${apiVersion}/${kind}`];
}
