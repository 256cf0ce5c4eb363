/**
 * core/v1 Service (k8s.io/api core/v1/generated.proto), as `kubectl create service clusterip|nodeport|…` sends it
 * and the sandbox stores it (ClusterIP allocation, ipFamilies, traffic policies). Load-balancer ingress entries,
 * status conditions and sessionAffinityConfig are outside the tables.
 */
import { field, message } from './message-spec.js';
import { objectMeta } from './meta-messages.js';

const servicePort = message('ServicePort', [
  field(1, 'name', 'string'),
  field(2, 'protocol', 'string'),
  field(6, 'appProtocol', 'string', { pointer: true }),
  field(3, 'port', 'int32', { always: true }),
  field(4, 'targetPort', 'intOrString'),
  field(5, 'nodePort', 'int32'),
]);

export const service = message('Service', [
  field(1, 'metadata', objectMeta),
  field(2, 'spec', message('ServiceSpec', [
    field(1, 'ports', servicePort, { list: true }),
    field(2, 'selector', 'string', { map: true }),
    field(3, 'clusterIP', 'string'),
    field(18, 'clusterIPs', 'string', { list: true }),
    field(4, 'type', 'string'),
    field(5, 'externalIPs', 'string', { list: true }),
    field(7, 'sessionAffinity', 'string'),
    field(8, 'loadBalancerIP', 'string'),
    field(9, 'loadBalancerSourceRanges', 'string', { list: true }),
    field(10, 'externalName', 'string'),
    field(11, 'externalTrafficPolicy', 'string'),
    field(12, 'healthCheckNodePort', 'int32'),
    field(13, 'publishNotReadyAddresses', 'bool'),
    field(19, 'ipFamilies', 'string', { list: true }),
    field(17, 'ipFamilyPolicy', 'string', { pointer: true }),
    field(20, 'allocateLoadBalancerNodePorts', 'bool', { pointer: true }),
    field(21, 'loadBalancerClass', 'string', { pointer: true }),
    field(22, 'internalTrafficPolicy', 'string', { pointer: true }),
  ])),
  field(3, 'status', message('ServiceStatus', [
    field(1, 'loadBalancer', message('LoadBalancerStatus', [])),
  ])),
]);
