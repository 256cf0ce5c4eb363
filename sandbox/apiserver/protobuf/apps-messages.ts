/** apps/v1 Deployment (k8s.io/api apps/v1/generated.proto), as `kubectl create deployment` sends it and the sandbox stores it. */
import { podTemplateSpec } from './core-messages.js';
import { field, message } from './message-spec.js';
import { labelSelector, objectMeta } from './meta-messages.js';

const deploymentStrategy = message('DeploymentStrategy', [
  field(1, 'type', 'string'),
  field(2, 'rollingUpdate', message('RollingUpdateDeployment', [
    field(1, 'maxUnavailable', 'intOrString', { pointer: true }),
    field(2, 'maxSurge', 'intOrString', { pointer: true }),
  ]), { pointer: true }),
]);

const deploymentCondition = message('DeploymentCondition', [
  field(1, 'type', 'string', { always: true }),
  field(2, 'status', 'string', { always: true }),
  field(6, 'lastUpdateTime', 'time'),
  field(7, 'lastTransitionTime', 'time'),
  field(4, 'reason', 'string'),
  field(5, 'message', 'string'),
]);

export const deployment = message('Deployment', [
  field(1, 'metadata', objectMeta),
  field(2, 'spec', message('DeploymentSpec', [
    field(1, 'replicas', 'int32', { pointer: true }),
    field(2, 'selector', labelSelector, { pointer: true }),
    field(3, 'template', podTemplateSpec),
    field(4, 'strategy', deploymentStrategy),
    field(5, 'minReadySeconds', 'int32'),
    field(6, 'revisionHistoryLimit', 'int32', { pointer: true }),
    field(7, 'paused', 'bool'),
    field(9, 'progressDeadlineSeconds', 'int32', { pointer: true }),
  ])),
  field(3, 'status', message('DeploymentStatus', [
    field(1, 'observedGeneration', 'int64'),
    field(2, 'replicas', 'int32'),
    field(3, 'updatedReplicas', 'int32'),
    field(7, 'readyReplicas', 'int32'),
    field(4, 'availableReplicas', 'int32'),
    field(5, 'unavailableReplicas', 'int32'),
    field(6, 'conditions', deploymentCondition, { list: true }),
    field(8, 'collisionCount', 'int32', { pointer: true }),
  ])),
]);
