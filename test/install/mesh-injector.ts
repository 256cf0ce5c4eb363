/**
 * A sidecar injector that does to a pod what Istio's does (istio/istio pkg/kube/inject): a mutating webhook on pod
 * CREATE in namespaces labelled `istio-injection=enabled` that adds an `istio-init` init container (the iptables
 * redirect, with the ports the traffic.sidecar.istio.io annotations exclude) and an `istio-proxy` container (health
 * on 15021 /healthz/ready, stats on 15090, pilot-agent's POST /quitquitquit on 15020, user 1337). With
 * holdApplicationUntilProxyStarts the proxy goes first in `containers` with a postStart hook that waits until it is
 * ready (`pilot-agent wait`), as Istio does, so the engine starts only after it. The sandbox has no iptables,
 * so nothing is intercepted here: what the tests prove is that stores run with a foreign init container and a foreign
 * container (first in the list, too) beside the engine, and that the annotations reach the pods through podMetadata.
 * Served on 127.0.0.1 (loopback only) with its own CA, which the webhook configuration carries as its caBundle.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueServingCertificate } from '../../certs/authority.js';

export const ISTIO_PROXY_IMAGE = 'docker.io/istio/proxyv2:1.24.2';
export const INJECTION_LABEL = 'istio-injection';
export const EXCLUDE_INBOUND_PORTS = 'traffic.sidecar.istio.io/excludeInboundPorts';
export const EXCLUDE_OUTBOUND_PORTS = 'traffic.sidecar.istio.io/excludeOutboundPorts';
export const PROXY_CONFIG = 'proxy.istio.io/config';
export const INJECT_ANNOTATION = 'sidecar.istio.io/inject';
/** The ports Istio's istio-init always leaves out of the inbound redirect (Envoy's own). */
const PROXY_PORTS = ['15090', '15021', '15020'];

interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  [field: string]: unknown;
}

export interface InjectablePod {
  metadata?: { annotations?: Record<string, string> };
  spec?: { containers?: Container[]; initContainers?: Container[] };
}

/** How long the stand-in proxy takes to become ready (what holdApplicationUntilProxyStarts waits for). */
export const PROXY_READY_AFTER_MS = 2000;

/**
 * `pilot-agent wait`, the proxy's postStart hook under holdApplicationUntilProxyStarts: polls the proxy's readiness
 * (at INSTANCE_IP, the pod's address: in the sandbox each pod has its own loopback address) until it answers 200.
 */
const WAIT_PROGRAM = `
const http = require('node:http');
const deadline = Date.now() + 60000;
const poll = () => http.get({ host: process.env.INSTANCE_IP, port: 15021, path: '/healthz/ready', timeout: 1000 }, (res) => {
  res.resume();
  if (res.statusCode === 200) process.exit(0);
  retry();
}).on('error', retry);
const retry = () => { if (Date.now() > deadline) process.exit(1); setTimeout(poll, 100); };
poll();
`;

/**
 * The proxy: a node program (the sandbox runs images it has no equivalent for with their command, from the host)
 * that serves what Envoy and pilot-agent serve to the kubelet and to a mesh's tooling.
 */
const PROXY_PROGRAM = `
const http = require('node:http');
const started = Date.now();
// Envoy is ready once it has its configuration from istiod: a moment after its start.
const ready = http.createServer((req, res) => { res.statusCode = req.url === '/healthz/ready' && Date.now() - started >= ${PROXY_READY_AFTER_MS} ? 200 : 503; res.end(); });
ready.listen(15021);
http.createServer((req, res) => { res.end('istio_build{component="proxy"} 1\\n'); }).listen(15090);
http.createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/quitquitquit') { res.end('ok'); setTimeout(() => process.exit(0), 50); return; }
  res.statusCode = 404; res.end();
}).listen(15020);
process.on('SIGTERM', () => process.exit(0));
console.log('istio-proxy (sandbox stand-in) started', started);
`;

function portList(value: string | undefined): string[] {
  return (value ?? '').split(',').map((port) => port.trim()).filter(Boolean);
}

/** holdApplicationUntilProxyStarts from the pod's proxy.istio.io/config annotation (YAML or JSON; a flat key is enough). */
export function holdsApplication(annotations: Record<string, string>): boolean {
  return /holdApplicationUntilProxyStarts["']?\s*:\s*true/.test(annotations[PROXY_CONFIG] ?? '');
}

/** The JSON patch Istio's injector would return for `pod`, or [] when the pod opts out. Pure. */
export function sidecarPatch(pod: InjectablePod): Array<{ op: 'add'; path: string; value: unknown }> {
  const annotations = pod.metadata?.annotations ?? {};
  if (annotations[INJECT_ANNOTATION] === 'false') return [];
  const excludeInbound = [...PROXY_PORTS, ...portList(annotations[EXCLUDE_INBOUND_PORTS])];
  const excludeOutbound = portList(annotations[EXCLUDE_OUTBOUND_PORTS]);
  const init: Container = {
    name: 'istio-init',
    image: ISTIO_PROXY_IMAGE,
    // istio-iptables' flags; the sandbox runs the stand-in below, which only reports them.
    command: ['node', '-e', 'console.log("istio-iptables", process.argv.slice(1).join(" "))', '--'],
    args: ['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*',
      '-d', excludeInbound.join(','), ...(excludeOutbound.length > 0 ? ['-o', excludeOutbound.join(',')] : [])],
    securityContext: { runAsUser: 0, runAsNonRoot: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'], drop: ['ALL'] } },
  };
  const proxy: Container = {
    name: 'istio-proxy',
    image: ISTIO_PROXY_IMAGE,
    command: ['node', '-e', PROXY_PROGRAM],
    ports: [{ name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' }],
    env: [{ name: 'INSTANCE_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
    readinessProbe: { httpGet: { path: '/healthz/ready', port: 15021 }, periodSeconds: 1, failureThreshold: 3 },
    securityContext: { runAsUser: 1337, runAsGroup: 1337, runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  };
  const hold = holdsApplication(annotations);
  if (hold) proxy.lifecycle = { postStart: { exec: { command: ['node', '-e', WAIT_PROGRAM] } } };
  const patch: Array<{ op: 'add'; path: string; value: unknown }> = [];
  patch.push(pod.spec?.initContainers ? { op: 'add', path: '/spec/initContainers/-', value: init } : { op: 'add', path: '/spec/initContainers', value: [init] });
  patch.push({ op: 'add', path: hold ? '/spec/containers/0' : '/spec/containers/-', value: proxy });
  patch.push({ op: 'add', path: '/metadata/annotations', value: { ...annotations, 'sidecar.istio.io/status': JSON.stringify({ initContainers: ['istio-init'], containers: ['istio-proxy'] }) } });
  return patch;
}

export interface MeshInjector {
  url: string;
  caBundle: string;
  /** How many pod creations it injected (a create retried after admission counts again). */
  injected(): number;
  stop(): Promise<void>;
}

interface AdmissionReview {
  request: { uid: string; object: InjectablePod };
}

export async function startMeshInjector(): Promise<MeshInjector> {
  const ca = createCertificateAuthority({ commonName: 'istio-sidecar-injector test CA' });
  const serving = issueServingCertificate(ca, { commonName: '127.0.0.1', dnsNames: [], ipAddresses: ['127.0.0.1'] });
  let injected = 0;
  const server: Server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AdmissionReview;
      const patch = sidecarPatch(review.request.object);
      if (patch.length > 0) injected += 1;
      const response = patch.length > 0
        ? { uid: review.request.uid, allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(patch)).toString('base64') }
        : { uid: review.request.uid, allowed: true };
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}/inject`,
    caBundle: Buffer.from(ca.certPem).toString('base64'),
    injected: () => injected,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** The MutatingWebhookConfiguration Istio installs (istio-sidecar-injector), pointed at `injector`. */
export function injectorWebhookConfiguration(injector: MeshInjector): object {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: 'istio-sidecar-injector' },
    webhooks: [{
      name: 'namespace.sidecar-injector.istio.io',
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      reinvocationPolicy: 'Never',
      clientConfig: { url: injector.url, caBundle: injector.caBundle },
      namespaceSelector: { matchLabels: { [INJECTION_LABEL]: 'enabled' } },
      rules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['pods'], scope: '*' }],
    }],
  };
}
