/**
 * The order in which kube-apiserver writes built-in objects: Go's encoding/json emits struct fields in declaration
 * order and map keys sorted (golden 34, 36). The sandbox stores objects in whatever order a client or a defaulter
 * wrote them, so the encoder re-orders them with this table of the Go types it serves.
 *
 * A struct is a space-separated list of its JSON fields in Go order; `field:Type` names the field's struct type,
 * `field:map` a map of scalars, `field:map<Type>` a map of structs. A list field has its element's type.
 * `Type!` is a struct held by value (or a list without omitempty). `field?` is a scalar with omitempty: its zero
 * value (0, "", false) is not written. `field=<json>` is a field without `omitempty`, written with that zero value
 * when unset (an Event's `firstTimestamp: null`).
 */
import { isPlainObject, sortKeysDeep } from '../../shared/json-value.js';
const STRUCTS: Record<string, string> = {
  ObjectMeta: 'name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds labels:map annotations:map ownerReferences:OwnerReference finalizers managedFields:ManagedFieldsEntry',
  OwnerReference: 'apiVersion kind name uid controller blockOwnerDeletion',
  ManagedFieldsEntry: 'manager operation apiVersion time fieldsType fieldsV1:Sorted subresource',
  ListMeta: 'selfLink resourceVersion continue remainingItemCount',
  LabelSelector: 'matchLabels:map matchExpressions:Requirement',
  Requirement: 'key operator values',
  Condition: 'type status observedGeneration lastProbeTime lastHeartbeatTime lastUpdateTime lastTransitionTime reason message',
  Sorted: '',

  ConfigMap: 'kind apiVersion metadata:ObjectMeta! immutable data:map binaryData:map',
  Secret: 'kind apiVersion metadata:ObjectMeta! immutable data:map stringData:map type',
  Namespace: 'kind apiVersion metadata:ObjectMeta! spec:NamespaceSpec! status:NamespaceStatus!',
  NamespaceSpec: 'finalizers',
  NamespaceStatus: 'phase conditions:Condition',
  ServiceAccount: 'kind apiVersion metadata:ObjectMeta! secrets:ObjectReference imagePullSecrets:LocalObjectReference automountServiceAccountToken',
  ObjectReference: 'kind namespace name uid apiVersion resourceVersion fieldPath',
  LocalObjectReference: 'name',
  Service: 'kind apiVersion metadata:ObjectMeta! spec:ServiceSpec! status:ServiceStatus!',
  ServiceSpec: 'ports:ServicePort selector:map clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution',
  ServicePort: 'name protocol appProtocol port targetPort nodePort',
  ServiceStatus: 'loadBalancer:LoadBalancerStatus! conditions:Condition',
  LoadBalancerStatus: 'ingress',
  Endpoints: 'kind apiVersion metadata:ObjectMeta! subsets:EndpointSubset',
  EndpointSubset: 'addresses:EndpointAddress notReadyAddresses:EndpointAddress ports:EndpointPort',
  EndpointAddress: 'ip hostname nodeName targetRef:ObjectReference',
  EndpointPort: 'name port protocol appProtocol',
  EndpointSlice: 'kind apiVersion metadata:ObjectMeta! addressType endpoints:SliceEndpoint ports:EndpointPort',
  SliceEndpoint: 'addresses conditions hostname targetRef:ObjectReference deprecatedTopology:map nodeName zone hints',
  PersistentVolumeClaim: 'kind apiVersion metadata:ObjectMeta! spec:PersistentVolumeClaimSpec! status:PersistentVolumeClaimStatus!',
  PersistentVolumeClaimSpec: 'accessModes selector:LabelSelector resources:ResourceRequirements! volumeName storageClassName volumeMode dataSource dataSourceRef volumeAttributesClassName',
  PersistentVolumeClaimStatus: 'phase accessModes capacity:map conditions:Condition allocatedResources:map allocatedResourceStatuses:map currentVolumeAttributesClassName modifyVolumeStatus',
  ResourceRequirements: 'limits:map requests:map claims',
  Node: 'kind apiVersion metadata:ObjectMeta! spec:NodeSpec! status:NodeStatus!',
  NodeSpec: 'podCIDR podCIDRs providerID unschedulable taints configSource externalID',
  NodeStatus: 'capacity:map allocatable:map phase conditions:Condition addresses daemonEndpoints nodeInfo images volumesInUse volumesAttached config runtimeHandlers features',
  Event: 'kind apiVersion metadata:ObjectMeta! involvedObject:ObjectReference! reason message source:EventSource!={} firstTimestamp=null lastTimestamp=null count type eventTime=null series related:ObjectReference action reportingComponent="" reportingInstance=""',
  EventsV1Event: 'kind apiVersion metadata:ObjectMeta! eventTime=null series reportingController reportingInstance action reason regarding:ObjectReference! related:ObjectReference note type deprecatedSource:EventSource!={} deprecatedFirstTimestamp=null deprecatedLastTimestamp=null deprecatedCount',
  Lease: 'kind apiVersion metadata:ObjectMeta! spec:LeaseSpec!',
  LeaseSpec: 'holderIdentity leaseDurationSeconds acquireTime renewTime leaseTransitions strategy preferredHolder',

  Pod: 'kind apiVersion metadata:ObjectMeta! spec:PodSpec! status:PodStatus!',
  PodTemplateSpec: 'metadata:ObjectMeta! spec:PodSpec!',
  PodSpec: 'volumes:Volume initContainers:Container containers:Container! ephemeralContainers:Container restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector:map serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace securityContext imagePullSecrets:LocalObjectReference hostname subdomain affinity:Affinity schedulerName tolerations:Toleration hostAliases priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks preemptionPolicy overhead:map topologySpreadConstraints:TopologySpreadConstraint setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources:ResourceRequirements',
  Volume: 'name hostPath emptyDir gcePersistentDisk awsElasticBlockStore gitRepo secret:SecretVolumeSource nfs iscsi glusterfs persistentVolumeClaim rbd flexVolume:FlexVolumeSource cinder cephfs flocker downwardAPI:DownwardAPIVolumeSource fc azureFile configMap:ConfigMapVolumeSource vsphereVolume quobyte azureDisk photonPersistentDisk projected:ProjectedVolumeSource portworxVolume scaleIO storageos csi:CSIVolumeSource ephemeral image',
  SecretVolumeSource: 'secretName items:KeyToPath defaultMode optional',
  ConfigMapVolumeSource: 'name items:KeyToPath defaultMode optional',
  KeyToPath: 'key path mode',
  FlexVolumeSource: 'driver fsType secretRef readOnly options:map',
  CSIVolumeSource: 'driver readOnly fsType volumeAttributes:map nodePublishSecretRef',
  DownwardAPIVolumeSource: 'items:DownwardAPIVolumeFile defaultMode',
  DownwardAPIVolumeFile: 'path fieldRef:ObjectFieldSelector resourceFieldRef mode',
  ObjectFieldSelector: 'apiVersion fieldPath',
  ProjectedVolumeSource: 'sources:VolumeProjection defaultMode',
  VolumeProjection: 'secret:Projection downwardAPI:DownwardAPIVolumeSource configMap:Projection serviceAccountToken:ServiceAccountTokenProjection clusterTrustBundle',
  Projection: 'name items:KeyToPath optional',
  ServiceAccountTokenProjection: 'audience expirationSeconds path',
  Container: 'name image command args workingDir ports:ContainerPort envFrom env:EnvVar resources:ResourceRequirements! resizePolicy restartPolicy volumeMounts:VolumeMount volumeDevices livenessProbe:Probe readinessProbe:Probe startupProbe:Probe lifecycle terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty',
  ContainerPort: 'name hostPort containerPort protocol hostIP',
  EnvVar: 'name value valueFrom:EnvVarSource',
  EnvVarSource: 'fieldRef:ObjectFieldSelector resourceFieldRef configMapKeyRef secretKeyRef',
  VolumeMount: 'name readOnly recursiveReadOnly mountPath subPath mountPropagation subPathExpr',
  Probe: 'exec httpGet tcpSocket grpc initialDelaySeconds timeoutSeconds periodSeconds successThreshold failureThreshold terminationGracePeriodSeconds',
  Toleration: 'key operator value effect tolerationSeconds',
  Affinity: 'nodeAffinity podAffinity:PodAffinity podAntiAffinity:PodAffinity',
  PodAffinity: 'requiredDuringSchedulingIgnoredDuringExecution:PodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution:WeightedPodAffinityTerm',
  WeightedPodAffinityTerm: 'weight podAffinityTerm:PodAffinityTerm',
  PodAffinityTerm: 'labelSelector:LabelSelector namespaces topologyKey namespaceSelector:LabelSelector matchLabelKeys mismatchLabelKeys',
  TopologySpreadConstraint: 'maxSkew topologyKey whenUnsatisfiable labelSelector:LabelSelector minDomains nodeAffinityPolicy nodeTaintsPolicy matchLabelKeys',
  PodStatus: 'observedGeneration phase conditions:Condition message reason nominatedNodeName hostIP hostIPs podIP podIPs startTime initContainerStatuses:ContainerStatus containerStatuses:ContainerStatus qosClass ephemeralContainerStatuses:ContainerStatus resize resourceClaimStatuses',
  ContainerStatus: 'name state lastState ready restartCount image imageID containerID started allocatedResources:map resources:ResourceRequirements volumeMounts user allocatedResourcesStatus',

  StatefulSet: 'kind apiVersion metadata:ObjectMeta! spec:StatefulSetSpec! status:StatefulSetStatus!',
  StatefulSetSpec: 'replicas selector:LabelSelector template:PodTemplateSpec! volumeClaimTemplates:PersistentVolumeClaim serviceName podManagementPolicy updateStrategy:StatefulSetUpdateStrategy! revisionHistoryLimit minReadySeconds persistentVolumeClaimRetentionPolicy:RetentionPolicy ordinals:Ordinals',
  StatefulSetStatus: 'observedGeneration? replicas readyReplicas? currentReplicas? updatedReplicas? currentRevision? updateRevision? collisionCount conditions:Condition availableReplicas',
  StatefulSetUpdateStrategy: 'type rollingUpdate:RollingUpdate',
  RollingUpdate: 'partition maxUnavailable',
  RetentionPolicy: 'whenDeleted whenScaled',
  Ordinals: 'start',
  EventSource: 'component host',
  DeploymentStrategy: 'type rollingUpdate:RollingUpdate',
  DeploymentStatus: 'observedGeneration replicas updatedReplicas readyReplicas availableReplicas unavailableReplicas terminatingReplicas conditions:Condition collisionCount',
  Deployment: 'kind apiVersion metadata:ObjectMeta! spec:DeploymentSpec! status:DeploymentStatus!',
  DeploymentSpec: 'replicas selector:LabelSelector template:PodTemplateSpec! strategy:DeploymentStrategy! minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds',
  ControllerRevision: 'kind apiVersion metadata:ObjectMeta! data revision',
  PodDisruptionBudget: 'kind apiVersion metadata:ObjectMeta! spec:PodDisruptionBudgetSpec! status:PodDisruptionBudgetStatus!',
  PodDisruptionBudgetSpec: 'minAvailable selector:LabelSelector maxUnavailable unhealthyPodEvictionPolicy',
  PodDisruptionBudgetStatus: 'observedGeneration disruptedPods:map disruptionsAllowed currentHealthy desiredHealthy expectedPods conditions:Condition',
  NetworkPolicy: 'kind apiVersion metadata:ObjectMeta! spec:NetworkPolicySpec!',
  NetworkPolicySpec: 'podSelector:LabelSelector ingress:NetworkPolicyRule egress:NetworkPolicyRule policyTypes',
  NetworkPolicyRule: 'ports from:NetworkPolicyPeer to:NetworkPolicyPeer',
  NetworkPolicyPeer: 'podSelector:LabelSelector namespaceSelector:LabelSelector ipBlock',

  MutatingWebhookConfiguration: 'kind apiVersion metadata:ObjectMeta! webhooks:Webhook',
  ValidatingWebhookConfiguration: 'kind apiVersion metadata:ObjectMeta! webhooks:Webhook',
  Webhook: 'name clientConfig:WebhookClientConfig! rules:RuleWithOperations failurePolicy matchPolicy namespaceSelector:LabelSelector objectSelector:LabelSelector sideEffects timeoutSeconds admissionReviewVersions reinvocationPolicy matchConditions',
  WebhookClientConfig: 'url service caBundle',
  RuleWithOperations: 'operations apiGroups apiVersions resources scope',

  CustomResourceDefinition: 'kind apiVersion metadata:ObjectMeta! spec:CRDSpec! status:CRDStatus!',
  CRDSpec: 'group names:CRDNames! scope versions:CRDVersion conversion:CRDConversion preserveUnknownFields',
  CRDConversion: 'strategy webhook',
  CRDNames: 'plural singular shortNames kind listKind categories',
  CRDVersion: 'name served storage deprecated deprecationWarning schema:CRDValidation subresources:CRDSubresources additionalPrinterColumns:PrinterColumn selectableFields',
  CRDValidation: 'openAPIV3Schema:Schema',
  CRDSubresources: 'status scale:CRDScale',
  CRDScale: 'specReplicasPath statusReplicasPath labelSelectorPath',
  PrinterColumn: 'name type format description priority jsonPath',
  CRDStatus: 'conditions:Condition acceptedNames:CRDNames! storedVersions',
  Schema: 'id $schema $ref description type format title default maximum exclusiveMaximum minimum exclusiveMinimum maxLength minLength pattern maxItems minItems uniqueItems multipleOf enum maxProperties minProperties required items:Schema allOf:Schema oneOf:Schema anyOf:Schema not:Schema properties:map<Schema> additionalProperties:Schema patternProperties:map<Schema> dependencies:map additionalItems:Schema definitions:map<Schema> externalDocs example nullable x-kubernetes-preserve-unknown-fields x-kubernetes-embedded-resource x-kubernetes-int-or-string x-kubernetes-list-map-keys x-kubernetes-list-type x-kubernetes-map-type x-kubernetes-validations',
};

interface Field {
  name: string;
  /** the zero value Go writes for a field without omitempty */
  zero?: unknown;
  /** a scalar with omitempty: its zero value is left out */
  omitZero?: boolean;
  type?: string;
  map: boolean;
  /** a struct held by value (`Type!`): it exists, empty, in every object, unlike a pointer */
  value: boolean;
}

const PARSED = new Map<string, Field[]>(
  Object.entries(STRUCTS).map(([type, fields]) => [type, fields.split(' ').filter(Boolean).map((spec): Field => {
    const [declared, zero] = spec.includes('=') ? [spec.slice(0, spec.indexOf('=')), JSON.parse(spec.slice(spec.indexOf('=') + 1)) as unknown] : [spec, undefined];
    const [named, typed] = declared.split(':') as [string, string | undefined];
    if (named.endsWith('?')) return { name: named.slice(0, -1), map: false, value: false, omitZero: true };
    const name = named;
    const value = typed?.endsWith('!') ?? false;
    const kind = value ? typed!.slice(0, -1) : typed;
    if (kind === 'map') return { name, map: true, value: false, zero };
    const mapOf = /^map<(.+)>$/.exec(kind ?? '');
    return mapOf ? { name, type: mapOf[1], map: true, value: false, zero } : { name, type: kind, map: false, value, zero };
  })]),
);

/** The Go type of a built-in object, by its API group and kind (events.k8s.io Events differ from core ones). */
export function builtinTypeName(apiVersion: unknown, kind: unknown): string | undefined {
  if (typeof kind !== 'string') return undefined;
  if (kind === 'Event' && typeof apiVersion === 'string' && apiVersion.startsWith('events.k8s.io/')) return 'EventsV1Event';
  return PARSED.has(kind) ? kind : undefined;
}


function sortedMap(value: Record<string, unknown>, valueType: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) if (value[key] !== undefined) out[key] = valueType ? inGoOrder(value[key], valueType) : value[key];
  return out;
}

/**
 * Re-orders `value` as Go would write a value of struct `type`: known fields in declaration order, then any field the
 * table does not know in its stored order; maps sorted. A list applies the type to each element.
 */
export function inGoOrder(value: unknown, type: string): unknown {
  if (Array.isArray(value)) return value.map((element) => inGoOrder(element, type));
  if (!isPlainObject(value)) return value;
  if (type === 'Sorted') return sortKeysDeep(value);
  const fields = PARSED.get(type);
  if (!fields) return value;
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const fieldValue = value[field.name];
    if (fieldValue === undefined) {
      if (field.zero !== undefined) out[field.name] = structuredClone(field.zero);
      continue;
    }
    if (field.omitZero && (fieldValue === 0 || fieldValue === '' || fieldValue === false)) continue;
    // every map field of the served types is `omitempty`: an empty map is not written
    if (field.map && isPlainObject(fieldValue) && Object.keys(fieldValue).length === 0) continue;
    if (field.map && isPlainObject(fieldValue)) out[field.name] = sortedMap(fieldValue, field.type);
    else out[field.name] = field.type ? inGoOrder(fieldValue, field.type) : fieldValue;
  }
  for (const [key, fieldValue] of Object.entries(value)) if (!fields.some((f) => f.name === key) && fieldValue !== undefined) out[key] = fieldValue;
  return out;
}

/**
 * Whether the field at `path` (field names, list positions left out) of a built-in type is a struct held by
 * pointer (or an omitempty list): an Update that creates it owns it (FieldsV1 "."), while a struct held by value
 * always existed. Undefined when the table does not know the field or it is no struct.
 */
export function isPointerStruct(type: string, path: readonly string[]): boolean | undefined {
  let fields = PARSED.get(type);
  let field: Field | undefined;
  for (const [i, name] of path.entries()) {
    field = fields?.find((f) => f.name === name);
    if (!field) return undefined;
    if (i < path.length - 1) {
      if (!field.type || field.map) return undefined;
      fields = PARSED.get(field.type);
    }
  }
  if (!field?.type || field.map || field.type === 'Sorted') return undefined;
  return !field.value;
}
