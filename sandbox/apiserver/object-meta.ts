/**
 * ObjectMeta rules shared by every kind: name formats, generateName, labels/annotations, finalizers,
 * ownerReferences, and the system fields (uid, creationTimestamp) set on create.
 */
import { randomUUID } from 'node:crypto';
import type { FieldError } from './status-errors.js';
import { fieldError } from './status-errors.js';
import { isLabelValue, isQualifiedName } from './selectors.js';
import type { KubeObject, OwnerReference } from './types.js';
import { isJsonObject } from './types.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MESSAGE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MESSAGE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

/** Kinds whose names must be DNS labels (63 chars) rather than subdomains. */
const LABEL_NAMED_KINDS = new Set(['Namespace', 'Service']);

export function validateName(kind: string, name: string | undefined, path = 'metadata.name'): FieldError[] {
  if (name === undefined || name === '') return [fieldError('FieldValueRequired', path, 'name or generateName is required')];
  if (LABEL_NAMED_KINDS.has(kind)) {
    if (name.length > 63) return [fieldError('FieldValueInvalid', path, 'must be no more than 63 characters', name)];
    if (!DNS1123_LABEL.test(name)) return [fieldError('FieldValueInvalid', path, LABEL_MESSAGE, name)];
    return [];
  }
  if (name.length > 253) return [fieldError('FieldValueInvalid', path, 'must be no more than 253 characters', name)];
  if (!DNS1123_SUBDOMAIN.test(name)) return [fieldError('FieldValueInvalid', path, SUBDOMAIN_MESSAGE, name)];
  return [];
}

export function validateMetadata(object: KubeObject, kind: string): FieldError[] {
  const meta = object.metadata;
  const errors: FieldError[] = [...validateName(kind, meta.name)];
  for (const [key, value] of Object.entries(meta.labels ?? {})) {
    if (!isQualifiedName(key)) errors.push(fieldError('FieldValueInvalid', 'metadata.labels', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", key));
    if (typeof value !== 'string') errors.push(fieldError('FieldValueTypeInvalid', `metadata.labels`, 'expected string', value));
    else if (value.length > 63) errors.push(fieldError('FieldValueInvalid', 'metadata.labels', 'must be no more than 63 characters', value));
    else if (!isLabelValue(value)) errors.push(fieldError('FieldValueInvalid', 'metadata.labels', "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')", value));
  }
  for (const key of Object.keys(meta.annotations ?? {})) {
    if (!isQualifiedName(key.toLowerCase())) errors.push(fieldError('FieldValueInvalid', 'metadata.annotations', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", key));
  }
  (meta.finalizers ?? []).forEach((finalizer, i) => {
    if (typeof finalizer !== 'string' || !isQualifiedName(finalizer)) errors.push(fieldError('FieldValueInvalid', 'metadata.finalizers', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')", finalizer));
  });
  // ValidateOwnerReferences names the fields without the index (golden 26)
  const references = (meta.ownerReferences ?? []).filter(isJsonObject);
  let controller = '';
  for (const ref of references) {
    if (!ref.apiVersion) errors.push(fieldError('FieldValueInvalid', 'metadata.ownerReferences.apiVersion', 'version must not be empty', ref.apiVersion ?? ''));
    if (!ref.kind) errors.push(fieldError('FieldValueInvalid', 'metadata.ownerReferences.kind', 'kind must not be empty', ref.kind ?? ''));
    if (!ref.name) errors.push(fieldError('FieldValueInvalid', 'metadata.ownerReferences.name', 'name must not be empty', ref.name ?? ''));
    if (!ref.uid) errors.push(fieldError('FieldValueInvalid', 'metadata.ownerReferences.uid', 'uid must not be empty', ref.uid ?? ''));
    if (ref.controller !== true) continue;
    const named = `${ref.kind ?? ''}/${ref.name ?? ''}`;
    if (controller !== '') {
      const detail = `Only one reference can have Controller set to true. Found "true" in references for ${controller} and ${named}`;
      errors.push({ type: 'FieldValueInvalid', field: 'metadata.ownerReferences', message: `Invalid value: ${goOwnerReferences(references)}: ${detail}` });
    } else controller = named;
  }
  return errors;
}

/** The references as Go's %#v prints a []v1.OwnerReference; pointers print as addresses, which vary by run anyway. */
function goOwnerReferences(references: readonly OwnerReference[]): string {
  let address = 0xc000010000;
  const pointer = (value: unknown) => (typeof value === 'boolean' ? `(*bool)(0x${(address += 8).toString(16)})` : '(*bool)(nil)');
  const items = references.map((ref) => `v1.OwnerReference{APIVersion:${JSON.stringify(ref.apiVersion ?? '')}, Kind:${JSON.stringify(ref.kind ?? '')}, Name:${JSON.stringify(ref.name ?? '')}, UID:${JSON.stringify(ref.uid ?? '')}, Controller:${pointer(ref.controller)}, BlockOwnerDeletion:${pointer(ref.blockOwnerDeletion)}}`);
  return `[]v1.OwnerReference{${items.join(', ')}}`;
}

/** Finalizer names without a domain get a warning when they are added (golden 20). */
export function finalizerWarnings(object: KubeObject, oldObject: KubeObject | undefined): string[] {
  const known = new Set(['kubernetes', 'orphan', 'foregroundDeletion', ...(oldObject?.metadata.finalizers ?? [])]);
  return (object.metadata.finalizers ?? [])
    .filter((f) => typeof f === 'string' && !f.includes('/') && !known.has(f))
    .map((f) => `metadata.finalizers: ${JSON.stringify(f)}: prefer a domain-qualified finalizer name to avoid accidental conflicts with other finalizer writers`);
}

const GENERATE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_ALPHABET[Math.floor(Math.random() * GENERATE_ALPHABET.length)];
  const max = 253 - 5;
  return `${prefix.length > max ? prefix.slice(0, max) : prefix}${suffix}`;
}

export function newUid(): string {
  return randomUUID();
}
