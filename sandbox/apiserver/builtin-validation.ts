/**
 * Validation of the built-in kinds we use, for the rules our code and users can run into (golden 04, 21–24, 31).
 */
import { validateCrd } from './crd.js';
import type { ResourceType } from './registry.js';
import type { FieldError } from './status-errors.js';
import { fieldError } from './status-errors.js';
import { labelSelectorRequirements, matchesLabels } from './selectors.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject, jsonEqual } from './types.js';

const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function spec(object: KubeObject | undefined): JsonObject {
  return object && isJsonObject(object.spec) ? object.spec : {};
}

function validateConfigMap(object: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const data = isJsonObject(object.data) ? object.data : {};
  const binary = isJsonObject(object.binaryData) ? object.binaryData : {};
  for (const key of [...Object.keys(data), ...Object.keys(binary)]) {
    const field = key in data ? `data[${key}]` : `binaryData[${key}]`;
    if (!CONFIG_KEY.test(key)) errors.push(fieldError('FieldValueInvalid', field, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')", key));
  }
  for (const key of Object.keys(data)) if (key in binary) errors.push(fieldError('FieldValueInvalid', `data[${key}]`, 'duplicate of key present in binaryData', key));
  if (old && old.immutable === true) {
    if (!jsonEqual(object.data, old.data)) errors.push(fieldError('FieldValueForbidden', 'data', 'field is immutable when `immutable` is set'));
    if (!jsonEqual(object.binaryData, old.binaryData)) errors.push(fieldError('FieldValueForbidden', 'binaryData', 'field is immutable when `immutable` is set'));
    if (object.immutable !== true) errors.push(fieldError('FieldValueForbidden', 'immutable', 'field is immutable when `immutable` is set'));
  }
}

function validateSecret(object: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const data = isJsonObject(object.data) ? object.data : {};
  for (const key of Object.keys(data)) {
    if (!CONFIG_KEY.test(key)) errors.push(fieldError('FieldValueInvalid', `data[${key}]`, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')", key));
  }
  if (object.type === 'kubernetes.io/tls') {
    for (const key of ['tls.crt', 'tls.key']) if (data[key] === undefined) errors.push(fieldError('FieldValueRequired', `data[${key}]`, ''));
  }
  if (old) {
    if (old.type !== object.type) errors.push(fieldError('FieldValueInvalid', 'type', 'field is immutable', object.type));
    if (old.immutable === true && !jsonEqual(object.data, old.data)) errors.push(fieldError('FieldValueForbidden', 'data', 'field is immutable when `immutable` is set'));
  }
}

function validateContainers(podSpec: JsonObject, path: string, errors: FieldError[]): void {
  const containers = Array.isArray(podSpec.containers) ? podSpec.containers : [];
  if (containers.length === 0) errors.push(fieldError('FieldValueRequired', `${path}.containers`, ''));
  const names = new Set<string>();
  containers.forEach((c, i) => {
    if (!isJsonObject(c)) return;
    if (!c.name) errors.push(fieldError('FieldValueRequired', `${path}.containers[${i}].name`, ''));
    else if (names.has(String(c.name))) errors.push(fieldError('FieldValueDuplicate', `${path}.containers[${i}].name`, '', c.name));
    names.add(String(c.name));
    if (!c.image) errors.push(fieldError('FieldValueRequired', `${path}.containers[${i}].image`, ''));
  });
}

function validateStatefulSet(object: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const s = spec(object);
  const selector = s.selector;
  const template = isJsonObject(s.template) ? s.template : {};
  const templateLabels = isJsonObject(template.metadata) && isJsonObject(template.metadata.labels) ? (template.metadata.labels as Record<string, string>) : {};
  const goLabels = Object.keys(templateLabels).length === 0 ? 'map[string]string(nil)' : `map[string]string{${Object.entries(templateLabels).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(', ')}}`;
  const mismatch = { type: 'FieldValueInvalid', field: 'spec.template.metadata.labels', message: `Invalid value: ${goLabels}: \`selector\` does not match template \`labels\`` };
  if (!isJsonObject(selector)) {
    errors.push(fieldError('FieldValueRequired', 'spec.selector', ''), mismatch);
  } else if (labelSelectorRequirements(selector).length === 0) {
    errors.push(fieldError('FieldValueInvalid', 'spec.selector', 'empty selector is invalid for statefulset', selector));
  } else if (!matchesLabels(labelSelectorRequirements(selector), templateLabels)) {
    errors.push(mismatch);
  }
  if (isJsonObject(template.spec)) validateContainers(template.spec, 'spec.template.spec', errors);
  if (typeof s.replicas === 'number' && s.replicas < 0) errors.push(fieldError('FieldValueInvalid', 'spec.replicas', 'must be greater than or equal to 0', s.replicas));
  if (old) {
    const mutable = ['replicas', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds', 'ordinals', 'revisionHistoryLimit'];
    const strip = (o: JsonObject): JsonObject => Object.fromEntries(Object.entries(o).filter(([k]) => !mutable.includes(k)));
    if (!jsonEqual(strip(s), strip(spec(old)))) {
      errors.push(fieldError('FieldValueForbidden', 'spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
    }
  }
}

function validateService(object: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const s = spec(object);
  const ports = Array.isArray(s.ports) ? s.ports : [];
  if (ports.length === 0 && s.clusterIP !== 'None' && s.type !== 'ExternalName') errors.push(fieldError('FieldValueRequired', 'spec.ports', ''));
  if (ports.length > 1) {
    ports.forEach((p, i) => {
      if (isJsonObject(p) && !p.name) errors.push(fieldError('FieldValueRequired', `spec.ports[${i}].name`, ''));
    });
  }
  if (old) {
    const oldIp = spec(old).clusterIP;
    if (oldIp !== undefined && s.clusterIP !== oldIp) errors.push({ type: 'FieldValueInvalid', field: 'spec.clusterIPs[0]', message: `Invalid value: []string{${JSON.stringify(s.clusterIP)}}: may not change once set` });
  }
}

function validatePod(object: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  validateContainers(spec(object), 'spec', errors);
  if (!old) return;
  const strip = (o: JsonObject): JsonObject => {
    const copy = JSON.parse(JSON.stringify(o)) as JsonObject;
    for (const list of ['containers', 'initContainers']) {
      for (const c of Array.isArray(copy[list]) ? (copy[list] as unknown[]) : []) if (isJsonObject(c)) delete c.image;
    }
    delete copy.activeDeadlineSeconds;
    delete copy.tolerations;
    delete copy.terminationGracePeriodSeconds;
    if (!spec(old).nodeName) delete copy.nodeName;
    return copy;
  };
  if (!jsonEqual(strip(spec(object)), strip(spec(old)))) {
    errors.push(fieldError('FieldValueForbidden', 'spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)'));
  }
}

function validatePvc(object: KubeObject, errors: FieldError[]): void {
  const s = spec(object);
  const resources = isJsonObject(s.resources) ? s.resources : {};
  const requests = isJsonObject(resources.requests) ? resources.requests : {};
  if (requests.storage === undefined) errors.push(fieldError('FieldValueRequired', 'spec.resources[storage]', ''));
  if (!Array.isArray(s.accessModes) || s.accessModes.length === 0) errors.push(fieldError('FieldValueRequired', 'spec.accessModes', 'at least 1 access mode is required'));
}

function validateEndpointSlice(object: KubeObject, errors: FieldError[]): void {
  const addressType = object.addressType;
  if (!['IPv4', 'IPv6', 'FQDN'].includes(String(addressType))) {
    errors.push({ type: 'FieldValueNotSupported', field: 'addressType', message: `Unsupported value: ${JSON.stringify(addressType ?? '')}: supported values: "FQDN", "IPv4", "IPv6"` });
  }
  // loopback endpoint addresses are accepted on purpose (the sandbox's one intended divergence); strict mode refuses
  // them, see strict-validation.ts
}

function validateWebhookConfiguration(object: KubeObject, mutating: boolean, errors: FieldError[]): void {
  const hooks = Array.isArray(object.webhooks) ? object.webhooks : [];
  const names = new Set<string>();
  hooks.forEach((hook, i) => {
    if (!isJsonObject(hook)) return;
    const name = String(hook.name ?? '');
    if (name.split('.').length < 3) errors.push(fieldError('FieldValueInvalid', `webhooks[${i}].name`, 'should be a domain with at least three segments separated by dots', name));
    else if (names.has(name)) errors.push(fieldError('FieldValueDuplicate', `webhooks[${i}].name`, '', name));
    names.add(name);
    if (!['None', 'NoneOnDryRun'].includes(String(hook.sideEffects))) {
      errors.push({ type: 'FieldValueNotSupported', field: `webhooks[${i}].sideEffects`, message: `Unsupported value: ${JSON.stringify(hook.sideEffects ?? '')}: supported values: "None", "NoneOnDryRun"` });
    }
    const versions = Array.isArray(hook.admissionReviewVersions) ? hook.admissionReviewVersions : [];
    if (!versions.includes('v1') && !versions.includes('v1beta1')) errors.push(fieldError('FieldValueRequired', `webhooks[${i}].admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    const client = isJsonObject(hook.clientConfig) ? hook.clientConfig : {};
    if ((client.url === undefined) === (client.service === undefined)) errors.push(fieldError('FieldValueRequired', `webhooks[${i}].clientConfig`, 'exactly one of url or service is required'));
    if (typeof client.url === 'string' && !client.url.startsWith('https://')) errors.push(fieldError('FieldValueInvalid', `webhooks[${i}].clientConfig.url`, "'https' is the only allowed URL scheme", client.url));
    if (typeof hook.timeoutSeconds === 'number' && (hook.timeoutSeconds < 1 || hook.timeoutSeconds > 30)) errors.push(fieldError('FieldValueInvalid', `webhooks[${i}].timeoutSeconds`, 'the timeout value must be between 1 and 30 seconds', hook.timeoutSeconds));
    if (mutating && hook.reinvocationPolicy !== undefined && !['Never', 'IfNeeded'].includes(String(hook.reinvocationPolicy))) {
      errors.push({ type: 'FieldValueNotSupported', field: `webhooks[${i}].reinvocationPolicy`, message: `Unsupported value: ${JSON.stringify(hook.reinvocationPolicy)}: supported values: "IfNeeded", "Never"` });
    }
  });
}

export function validateBuiltin(type: ResourceType, object: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errors: FieldError[] = [];
  switch (`${type.group}/${type.kind}`) {
    case '/ConfigMap': validateConfigMap(object, old, errors); break;
    case '/Secret': validateSecret(object, old, errors); break;
    case '/Pod': validatePod(object, old, errors); break;
    case '/Service': validateService(object, old, errors); break;
    case '/PersistentVolumeClaim': if (!old) validatePvc(object, errors); break;
    case 'apps/StatefulSet': validateStatefulSet(object, old, errors); break;
    case 'discovery.k8s.io/EndpointSlice': validateEndpointSlice(object, errors); break;
    case 'events.k8s.io/Event': if (object.eventTime === undefined || object.eventTime === null) errors.push(fieldError('FieldValueRequired', 'eventTime', '')); break;
    case '/Event': {
      const involved = isJsonObject(object.involvedObject) ? object.involvedObject : {};
      if ((involved.namespace ?? '') !== (object.metadata.namespace ?? '')) errors.push(fieldError('FieldValueInvalid', 'involvedObject.namespace', 'does not match event.namespace', involved.namespace ?? ''));
      break;
    }
    case 'apiextensions.k8s.io/CustomResourceDefinition': errors.push(...validateCrd(object)); break;
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration': validateWebhookConfiguration(object, true, errors); break;
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration': validateWebhookConfiguration(object, false, errors); break;
    default: break;
  }
  return errors;
}
