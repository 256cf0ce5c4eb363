/**
 * Defaults kube-apiserver fills into the built-in kinds we use (golden 21–24), and the status each kind starts with.
 * ServiceAccount token volumes are not injected (no token controller in the sandbox).
 */
import { normalizeCrdSchemas } from './crd-schema-decode.js';
import { badRequest } from './status-errors.js';
import type { JsonObject, KubeObject } from './types.js';
import { isJsonObject } from './types.js';

function obj(parent: JsonObject, key: string): JsonObject {
  if (!isJsonObject(parent[key])) parent[key] = {};
  return parent[key] as JsonObject;
}

function setDefault(target: JsonObject, key: string, value: unknown): void {
  if (target[key] === undefined) target[key] = value;
}

function defaultProbe(probe: unknown): void {
  if (!isJsonObject(probe)) return;
  setDefault(probe, 'timeoutSeconds', 1);
  setDefault(probe, 'periodSeconds', 10);
  setDefault(probe, 'successThreshold', 1);
  setDefault(probe, 'failureThreshold', 3);
  if (isJsonObject(probe.httpGet)) setDefault(probe.httpGet, 'scheme', 'HTTP');
  if (isJsonObject(probe.httpGet)) setDefault(probe.httpGet, 'path', '/');
}

function imagePullPolicy(image: unknown): string {
  const ref = String(image ?? '');
  if (ref.includes('@')) return 'IfNotPresent';
  const lastSegment = ref.split('/').pop() ?? '';
  const tag = lastSegment.includes(':') ? lastSegment.split(':').pop() : '';
  return tag === '' || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: unknown): void {
  if (!isJsonObject(c)) return;
  setDefault(c, 'resources', {});
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  setDefault(c, 'imagePullPolicy', imagePullPolicy(c.image));
  for (const port of Array.isArray(c.ports) ? c.ports : []) if (isJsonObject(port)) setDefault(port, 'protocol', 'TCP');
  for (const env of Array.isArray(c.env) ? c.env : []) {
    if (isJsonObject(env) && isJsonObject(env.valueFrom) && isJsonObject(env.valueFrom.fieldRef)) setDefault(env.valueFrom.fieldRef, 'apiVersion', 'v1');
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
}

export function defaultPodSpec(spec: JsonObject): void {
  for (const c of Array.isArray(spec.containers) ? spec.containers : []) defaultContainer(c);
  for (const c of Array.isArray(spec.initContainers) ? spec.initContainers : []) defaultContainer(c);
  setDefault(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
  for (const v of Array.isArray(spec.volumes) ? spec.volumes : []) {
    if (!isJsonObject(v)) continue;
    if (isJsonObject(v.configMap)) setDefault(v.configMap, 'defaultMode', 420);
    if (isJsonObject(v.secret)) setDefault(v.secret, 'defaultMode', 420);
    if (isJsonObject(v.projected)) setDefault(v.projected, 'defaultMode', 420);
    if (isJsonObject(v.downwardAPI)) setDefault(v.downwardAPI, 'defaultMode', 420);
  }
}

function defaultPod(pod: KubeObject): void {
  const spec = obj(pod, 'spec');
  defaultPodSpec(spec);
  if (spec.serviceAccountName === undefined && spec.serviceAccount !== undefined) spec.serviceAccountName = spec.serviceAccount;
  setDefault(spec, 'serviceAccountName', 'default');
  spec.serviceAccount = spec.serviceAccountName;
  const tolerations = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    if (!tolerations.some((t) => isJsonObject(t) && t.key === key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  spec.tolerations = tolerations;
  setDefault(spec, 'priority', 0);
  setDefault(spec, 'enableServiceLinks', true);
  setDefault(spec, 'preemptionPolicy', 'PreemptLowerPriority');
}

function qosClass(pod: KubeObject): string {
  const spec = isJsonObject(pod.spec) ? pod.spec : {};
  const containers = Array.isArray(spec.containers) ? spec.containers.filter(isJsonObject) : [];
  let anySet = false;
  let guaranteed = containers.length > 0;
  for (const c of containers) {
    const resources = isJsonObject(c.resources) ? c.resources : {};
    const limits = isJsonObject(resources.limits) ? resources.limits : {};
    const requests = isJsonObject(resources.requests) ? resources.requests : {};
    if (Object.keys(limits).length > 0 || Object.keys(requests).length > 0) anySet = true;
    for (const r of ['cpu', 'memory']) {
      if (limits[r] === undefined || (requests[r] !== undefined && requests[r] !== limits[r])) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultTemplate(template: unknown): void {
  if (!isJsonObject(template)) return;
  const metadata = obj(template, 'metadata');
  setDefault(metadata, 'creationTimestamp', null);
  defaultPodSpec(obj(template, 'spec'));
}

function defaultStatefulSet(sts: KubeObject): void {
  const spec = obj(sts, 'spec');
  setDefault(spec, 'replicas', 1);
  defaultTemplate(spec.template);
  for (const t of Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : []) {
    if (!isJsonObject(t)) continue;
    setDefault(t, 'kind', 'PersistentVolumeClaim');
    setDefault(t, 'apiVersion', 'v1');
    setDefault(obj(t, 'metadata'), 'creationTimestamp', null);
    setDefault(obj(t, 'spec'), 'volumeMode', 'Filesystem');
    setDefault(t, 'status', { phase: 'Pending' });
  }
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = obj(spec, 'updateStrategy');
  setDefault(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') setDefault(obj(strategy, 'rollingUpdate'), 'partition', 0);
  setDefault(spec, 'revisionHistoryLimit', 10);
  const retention = obj(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefault(retention, 'whenDeleted', 'Retain');
  setDefault(retention, 'whenScaled', 'Retain');
}

function defaultService(svc: KubeObject, allocateIp: () => string): void {
  const spec = obj(svc, 'spec');
  setDefault(spec, 'type', 'ClusterIP');
  for (const port of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isJsonObject(port)) continue;
    setDefault(port, 'protocol', 'TCP');
    setDefault(port, 'targetPort', port.port);
  }
  if (spec.type !== 'ExternalName') {
    if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0 ? spec.clusterIPs[0] : allocateIp();
    setDefault(spec, 'clusterIPs', [spec.clusterIP]);
    setDefault(spec, 'ipFamilies', ['IPv4']);
    setDefault(spec, 'ipFamilyPolicy', 'SingleStack');
    setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  }
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') setDefault(spec, 'externalTrafficPolicy', 'Cluster');
}

function defaultWebhookConfig(config: KubeObject, mutating: boolean): void {
  for (const hook of Array.isArray(config.webhooks) ? config.webhooks : []) {
    if (!isJsonObject(hook)) continue;
    for (const rule of Array.isArray(hook.rules) ? hook.rules : []) if (isJsonObject(rule)) setDefault(rule, 'scope', '*');
    setDefault(hook, 'failurePolicy', 'Fail');
    setDefault(hook, 'matchPolicy', 'Equivalent');
    setDefault(hook, 'namespaceSelector', {});
    setDefault(hook, 'objectSelector', {});
    setDefault(hook, 'timeoutSeconds', 10);
    if (mutating) setDefault(hook, 'reinvocationPolicy', 'Never');
    if (isJsonObject(hook.clientConfig) && isJsonObject(hook.clientConfig.service)) setDefault(hook.clientConfig.service, 'port', 443);
  }
}

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)$/;

/** metav1.MicroTime fields must carry six fractional digits; anything else fails to decode (golden 24: 400). */
function checkMicroTime(kind: string, group: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const text = String(value);
  if (MICRO_TIME.test(text)) return;
  const rest = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(.*)$/.exec(text)?.[1] ?? text;
  throw badRequest(`${kind} in version "v1" cannot be handled as a ${kind}: parsing time ${JSON.stringify(text)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse ${JSON.stringify(rest)} as ".000000"`);
}

/** Applies the built-in defaults for `kind` in place. */
export function applyBuiltinDefaults(kind: string, group: string, object: KubeObject, allocateIp: () => string): void {
  switch (`${group}/${kind}`) {
    case '/Pod': defaultPod(object); break;
    case 'apps/StatefulSet': defaultStatefulSet(object); break;
    case 'apps/Deployment': {
      const spec = obj(object, 'spec');
      setDefault(spec, 'replicas', 1);
      defaultTemplate(spec.template);
      const strategy = obj(spec, 'strategy');
      setDefault(strategy, 'type', 'RollingUpdate');
      if (strategy.type === 'RollingUpdate') {
        const rolling = obj(strategy, 'rollingUpdate');
        setDefault(rolling, 'maxUnavailable', '25%');
        setDefault(rolling, 'maxSurge', '25%');
      }
      setDefault(spec, 'revisionHistoryLimit', 10);
      setDefault(spec, 'progressDeadlineSeconds', 600);
      break;
    }
    case '/Service': defaultService(object, allocateIp); break;
    case '/Secret': {
      setDefault(object, 'type', 'Opaque');
      for (const value of Object.values(isJsonObject(object.data) ? object.data : {})) {
        const text = String(value);
        const bad = /[^A-Za-z0-9+/=]/.exec(text);
        if (bad || text.length % 4 !== 0) throw badRequest(`Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte ${bad ? bad.index : text.length - (text.length % 4)}`);
      }
      if (isJsonObject(object.stringData)) {
        const data = obj(object, 'data');
        for (const [k, v] of Object.entries(object.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        delete object.stringData;
      }
      break;
    }
    case '/PersistentVolumeClaim': {
      setDefault(obj(object, 'spec'), 'volumeMode', 'Filesystem');
      break;
    }
    case '/PersistentVolume': {
      setDefault(obj(object, 'spec'), 'persistentVolumeReclaimPolicy', 'Retain');
      setDefault(obj(object, 'spec'), 'volumeMode', 'Filesystem');
      break;
    }
    case 'storage.k8s.io/StorageClass': {
      setDefault(object, 'reclaimPolicy', 'Delete');
      setDefault(object, 'volumeBindingMode', 'Immediate');
      break;
    }
    case 'coordination.k8s.io/Lease': {
      const spec = isJsonObject(object.spec) ? object.spec : {};
      checkMicroTime(kind, group, spec.acquireTime);
      checkMicroTime(kind, group, spec.renewTime);
      break;
    }
    case 'events.k8s.io/Event': checkMicroTime(kind, group, object.eventTime); break;
    case '/Event': checkMicroTime(kind, group, object.eventTime); break;
    case '/Namespace': {
      const labels = (object.metadata.labels ??= {});
      labels['kubernetes.io/metadata.name'] = object.metadata.name ?? '';
      break;
    }
    case 'discovery.k8s.io/EndpointSlice': {
      for (const port of Array.isArray(object.ports) ? object.ports : []) if (isJsonObject(port)) setDefault(port, 'protocol', 'TCP');
      break;
    }
    case '/Endpoints': {
      for (const subset of Array.isArray(object.subsets) ? object.subsets : []) {
        if (!isJsonObject(subset)) continue;
        for (const port of Array.isArray(subset.ports) ? subset.ports : []) if (isJsonObject(port)) setDefault(port, 'protocol', 'TCP');
      }
      break;
    }
    case 'admissionregistration.k8s.io/MutatingWebhookConfiguration': defaultWebhookConfig(object, true); break;
    case 'admissionregistration.k8s.io/ValidatingWebhookConfiguration': defaultWebhookConfig(object, false); break;
    case 'apiextensions.k8s.io/CustomResourceDefinition': {
      normalizeCrdSchemas(object);
      const spec = obj(object, 'spec');
      setDefault(spec, 'conversion', { strategy: 'None' });
      const names = obj(spec, 'names');
      if (typeof names.kind === 'string') setDefault(names, 'listKind', `${names.kind}List`);
      if (typeof names.kind === 'string') setDefault(names, 'singular', names.kind.toLowerCase());
      break;
    }
    default: break;
  }
}

/** The status an object starts with (what is sent in a create is dropped). */
export function initialStatus(kind: string, group: string, object: KubeObject): void {
  switch (`${group}/${kind}`) {
    case '/Pod': object.status = { phase: 'Pending', qosClass: qosClass(object) }; break;
    case '/Namespace': {
      object.status = { phase: 'Active' };
      if (!isJsonObject(object.spec) || !Array.isArray(object.spec.finalizers)) object.spec = { ...(isJsonObject(object.spec) ? object.spec : {}), finalizers: ['kubernetes'] };
      break;
    }
    case '/PersistentVolumeClaim':
    case '/PersistentVolume': object.status = { phase: 'Pending' }; break;
    case '/Service': object.status = { loadBalancer: {} }; break;
    case 'apps/StatefulSet': object.status = { replicas: 0, availableReplicas: 0 }; break;
    case 'policy/PodDisruptionBudget': object.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }; break;
    case 'apiextensions.k8s.io/CustomResourceDefinition': {
      const spec = isJsonObject(object.spec) ? object.spec : {};
      const versions = Array.isArray(spec.versions) ? spec.versions.filter(isJsonObject) : [];
      const storage = versions.find((v) => v.storage === true)?.name;
      // the cleanup finalizer comes with the DELETE (lifecycle.ts), as in kube-apiserver (golden 32, 36)
      object.status = { conditions: null, acceptedNames: { plural: '', kind: '' }, storedVersions: storage ? [storage] : [] };
      break;
    }
    case '/Node': break;
    default: delete object.status;
  }
}
