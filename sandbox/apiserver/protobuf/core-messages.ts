/**
 * core/v1 messages (k8s.io/api core/v1/generated.proto) for the kinds kubectl creates in protobuf: ConfigMap,
 * Secret, Namespace, ServiceAccount, and the pod template of `kubectl create deployment` with the defaults the
 * sandbox adds to it (a Pod's own, such as tolerations and priority, included). Pod spec fields outside these tables (volumes, probes, affinity, …) make a request fail with
 * 415 and a response fall back to JSON.
 */
import { field, message } from './message-spec.js';
import { objectMeta } from './meta-messages.js';

export const configMap = message('ConfigMap', [
  field(1, 'metadata', objectMeta),
  field(4, 'immutable', 'bool', { pointer: true }),
  field(2, 'data', 'string', { map: true }),
  field(3, 'binaryData', 'bytes', { map: true }),
]);

export const secret = message('Secret', [
  field(1, 'metadata', objectMeta),
  field(5, 'immutable', 'bool', { pointer: true }),
  field(2, 'data', 'bytes', { map: true }),
  field(4, 'stringData', 'string', { map: true }),
  field(3, 'type', 'string'),
]);

const namespaceCondition = message('NamespaceCondition', [
  field(1, 'type', 'string', { always: true }),
  field(2, 'status', 'string', { always: true }),
  field(4, 'lastTransitionTime', 'time'),
  field(5, 'reason', 'string'),
  field(6, 'message', 'string'),
]);

export const namespace = message('Namespace', [
  field(1, 'metadata', objectMeta),
  field(2, 'spec', message('NamespaceSpec', [field(1, 'finalizers', 'string', { list: true })])),
  field(3, 'status', message('NamespaceStatus', [
    field(1, 'phase', 'string'),
    field(2, 'conditions', namespaceCondition, { list: true }),
  ])),
]);

const objectReference = message('ObjectReference', [
  field(1, 'kind', 'string'),
  field(2, 'namespace', 'string'),
  field(3, 'name', 'string'),
  field(4, 'uid', 'string'),
  field(5, 'apiVersion', 'string'),
  field(6, 'resourceVersion', 'string'),
  field(7, 'fieldPath', 'string'),
]);

export const serviceAccount = message('ServiceAccount', [
  field(1, 'metadata', objectMeta),
  field(2, 'secrets', objectReference, { list: true }),
  field(3, 'imagePullSecrets', message('LocalObjectReference', [field(1, 'name', 'string')]), { list: true }),
  field(4, 'automountServiceAccountToken', 'bool', { pointer: true }),
]);

const containerPort = message('ContainerPort', [
  field(1, 'name', 'string'),
  field(2, 'hostPort', 'int32'),
  field(3, 'containerPort', 'int32', { always: true }),
  field(4, 'protocol', 'string'),
  field(5, 'hostIP', 'string'),
]);

const container = message('Container', [
  field(1, 'name', 'string', { always: true }),
  field(2, 'image', 'string'),
  field(3, 'command', 'string', { list: true }),
  field(4, 'args', 'string', { list: true }),
  field(5, 'workingDir', 'string'),
  field(6, 'ports', containerPort, { list: true }),
  field(7, 'env', message('EnvVar', [field(1, 'name', 'string', { always: true }), field(2, 'value', 'string')]), { list: true }),
  field(8, 'resources', message('ResourceRequirements', [
    field(1, 'limits', 'quantity', { map: true }),
    field(2, 'requests', 'quantity', { map: true }),
  ])),
  field(13, 'terminationMessagePath', 'string'),
  field(20, 'terminationMessagePolicy', 'string'),
  field(14, 'imagePullPolicy', 'string'),
  field(16, 'stdin', 'bool'),
  field(17, 'stdinOnce', 'bool'),
  field(18, 'tty', 'bool'),
]);

const podSecurityContext = message('PodSecurityContext', [
  field(2, 'runAsUser', 'int64', { pointer: true }),
  field(6, 'runAsGroup', 'int64', { pointer: true }),
  field(3, 'runAsNonRoot', 'bool', { pointer: true }),
  field(5, 'fsGroup', 'int64', { pointer: true }),
]);

const toleration = message('Toleration', [
  field(1, 'key', 'string'),
  field(2, 'operator', 'string'),
  field(3, 'value', 'string'),
  field(4, 'effect', 'string'),
  field(5, 'tolerationSeconds', 'int64', { pointer: true }),
]);

const podSpec = message('PodSpec', [
  field(2, 'containers', container, { list: true, always: true }),
  field(3, 'restartPolicy', 'string'),
  field(4, 'terminationGracePeriodSeconds', 'int64', { pointer: true }),
  field(5, 'activeDeadlineSeconds', 'int64', { pointer: true }),
  field(6, 'dnsPolicy', 'string'),
  field(7, 'nodeSelector', 'string', { map: true }),
  field(8, 'serviceAccountName', 'string'),
  field(9, 'serviceAccount', 'string'),
  field(10, 'nodeName', 'string'),
  field(11, 'hostNetwork', 'bool'),
  field(12, 'hostPID', 'bool'),
  field(13, 'hostIPC', 'bool'),
  field(14, 'securityContext', podSecurityContext, { pointer: true }),
  field(16, 'hostname', 'string'),
  field(17, 'subdomain', 'string'),
  field(19, 'schedulerName', 'string'),
  field(22, 'tolerations', toleration, { list: true }),
  field(24, 'priorityClassName', 'string'),
  field(25, 'priority', 'int32', { pointer: true }),
  field(30, 'enableServiceLinks', 'bool', { pointer: true }),
  field(31, 'preemptionPolicy', 'string', { pointer: true }),
]);

export const podTemplateSpec = message('PodTemplateSpec', [
  field(1, 'metadata', objectMeta),
  field(2, 'spec', podSpec),
]);
