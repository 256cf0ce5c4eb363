/**
 * meta/v1 messages (k8s.io/apimachinery pkg/apis/meta/v1/generated.proto): ObjectMeta and what it holds,
 * ListMeta, LabelSelector and Status.
 */
import { field, message } from './message-spec.js';

const ownerReference = message('OwnerReference', [
  field(5, 'apiVersion', 'string', { always: true }),
  field(1, 'kind', 'string', { always: true }),
  field(3, 'name', 'string', { always: true }),
  field(4, 'uid', 'string', { always: true }),
  field(6, 'controller', 'bool', { pointer: true }),
  field(7, 'blockOwnerDeletion', 'bool', { pointer: true }),
]);

const managedFieldsEntry = message('ManagedFieldsEntry', [
  field(1, 'manager', 'string'),
  field(2, 'operation', 'string'),
  field(3, 'apiVersion', 'string'),
  field(4, 'time', 'time', { pointer: true }),
  field(6, 'fieldsType', 'string'),
  field(7, 'fieldsV1', 'fieldsV1', { pointer: true }),
  field(8, 'subresource', 'string'),
]);

export const objectMeta = message('ObjectMeta', [
  field(1, 'name', 'string'),
  field(2, 'generateName', 'string'),
  field(3, 'namespace', 'string'),
  field(4, 'selfLink', 'string'),
  field(5, 'uid', 'string'),
  field(6, 'resourceVersion', 'string'),
  field(7, 'generation', 'int64'),
  field(8, 'creationTimestamp', 'time'),
  field(9, 'deletionTimestamp', 'time', { pointer: true }),
  field(10, 'deletionGracePeriodSeconds', 'int64', { pointer: true }),
  field(11, 'labels', 'string', { map: true }),
  field(12, 'annotations', 'string', { map: true }),
  field(13, 'ownerReferences', ownerReference, { list: true }),
  field(14, 'finalizers', 'string', { list: true }),
  field(17, 'managedFields', managedFieldsEntry, { list: true }),
]);

export const listMeta = message('ListMeta', [
  field(1, 'selfLink', 'string'),
  field(2, 'resourceVersion', 'string'),
  field(3, 'continue', 'string'),
  field(4, 'remainingItemCount', 'int64', { pointer: true }),
]);

const labelSelectorRequirement = message('LabelSelectorRequirement', [
  field(1, 'key', 'string', { always: true }),
  field(2, 'operator', 'string', { always: true }),
  field(3, 'values', 'string', { list: true }),
]);

export const labelSelector = message('LabelSelector', [
  field(1, 'matchLabels', 'string', { map: true }),
  field(2, 'matchExpressions', labelSelectorRequirement, { list: true }),
]);

const statusCause = message('StatusCause', [
  field(1, 'reason', 'string'),
  field(2, 'message', 'string'),
  field(3, 'field', 'string'),
]);

const statusDetails = message('StatusDetails', [
  field(1, 'name', 'string'),
  field(2, 'group', 'string'),
  field(3, 'kind', 'string'),
  field(6, 'uid', 'string'),
  field(4, 'causes', statusCause, { list: true }),
  field(5, 'retryAfterSeconds', 'int32'),
]);

export const status = message('Status', [
  field(1, 'metadata', listMeta),
  field(2, 'status', 'string'),
  field(3, 'message', 'string'),
  field(4, 'reason', 'string'),
  field(5, 'details', statusDetails, { pointer: true }),
  field(6, 'code', 'int32'),
]);
