// The real kubectl v1.32 sends `kubectl create …` bodies as protobuf and asks for protobuf answers (golden 37).
// Each create must succeed through the protobuf path, and the object must read back right as JSON.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { TestServer } from '../helpers.js';
import { startTestServer } from '../helpers.js';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';
const NAMESPACE = 'pb-create';

describe('kubectl create over protobuf', { skip: existsSync(KUBECTL) ? false : 'kubectl is not installed at /usr/bin/kubectl' }, () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  /** Runs kubectl at -v=8 and checks, from its request log, that the POST and its answer were both protobuf. */
  const kubectlCreate = async (...args: string[]): Promise<string> => {
    const { stdout, stderr } = await run(KUBECTL, ['--kubeconfig', t.server.kubeconfigPath, '--cache-dir', join(t.dir, 'cache'), '-v=8', 'create', ...args], { timeout: 30_000 });
    const post = stderr.slice(stderr.search(/round_trippers\.go:\d+\] POST /));
    assert.match(post, /^[^\n]*POST [^\n]*\n(?:[^\n]*\n)*?[^\n]*Content-Type: application\/vnd\.kubernetes\.protobuf\n(?:[^\n]*\n)*?[^\n]*Response Status: 201 Created/, `kubectl create ${args.join(' ')} sent protobuf`);
    assert.match(post.slice(post.indexOf('Response Status')), /Content-Type: application\/vnd\.kubernetes\.protobuf/, `kubectl create ${args.join(' ')} got protobuf back`);
    return stdout;
  };
  const get = async (path: string): Promise<Record<string, any>> => {
    const answer = await t.request('GET', path);
    assert.equal(answer.status, 200, answer.text);
    return answer.body;
  };

  it('creates a namespace', async () => {
    assert.equal(await kubectlCreate('namespace', NAMESPACE), `namespace/${NAMESPACE} created\n`);
    const namespace = await get(`/api/v1/namespaces/${NAMESPACE}`);
    assert.deepEqual([namespace.metadata.labels, namespace.spec, namespace.status], [{ 'kubernetes.io/metadata.name': NAMESPACE }, { finalizers: ['kubernetes'] }, { phase: 'Active' }]);
  });

  it('creates a generic secret', async () => {
    assert.equal(await kubectlCreate('secret', 'generic', 's', '--from-literal=a=b', '-n', NAMESPACE), 'secret/s created\n');
    const secret = await get(`/api/v1/namespaces/${NAMESPACE}/secrets/s`);
    assert.deepEqual([secret.data, secret.type], [{ a: Buffer.from('b').toString('base64') }, 'Opaque']);
  });

  it('creates a configmap', async () => {
    assert.equal(await kubectlCreate('configmap', 'c', '--from-literal=x=y', '--from-literal=a=b', '-n', NAMESPACE), 'configmap/c created\n');
    assert.deepEqual((await get(`/api/v1/namespaces/${NAMESPACE}/configmaps/c`)).data, { a: 'b', x: 'y' });
  });

  it('creates a serviceaccount', async () => {
    assert.equal(await kubectlCreate('serviceaccount', 'sa', '-n', NAMESPACE), 'serviceaccount/sa created\n');
    const account = await get(`/api/v1/namespaces/${NAMESPACE}/serviceaccounts/sa`);
    assert.deepEqual([account.metadata.name, account.metadata.namespace, typeof account.metadata.uid], ['sa', NAMESPACE, 'string']);
  });

  it('creates a deployment', async () => {
    assert.equal(await kubectlCreate('deployment', 'd', '--image=redis:7.4', '--replicas=2', '-n', NAMESPACE), 'deployment.apps/d created\n');
    const deployment = await get(`/apis/apps/v1/namespaces/${NAMESPACE}/deployments/d`);
    assert.deepEqual(deployment.spec.selector, { matchLabels: { app: 'd' } });
    assert.equal(deployment.spec.replicas, 2);
    assert.deepEqual(deployment.spec.template.metadata.labels, { app: 'd' });
    const [container] = deployment.spec.template.spec.containers;
    assert.deepEqual([container.name, container.image, container.imagePullPolicy], ['redis', 'redis:7.4', 'IfNotPresent']);
    assert.deepEqual(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
  });

  it('creates services', async () => {
    assert.equal(await kubectlCreate('service', 'clusterip', 'svc', '--tcp=80:8080', '-n', NAMESPACE), 'service/svc created\n');
    const clusterIp = await get(`/api/v1/namespaces/${NAMESPACE}/services/svc`);
    assert.deepEqual([clusterIp.spec.type, clusterIp.spec.selector, clusterIp.spec.ports], ['ClusterIP', { app: 'svc' }, [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }]]);
    assert.equal(await kubectlCreate('service', 'nodeport', 'np', '--tcp=81:http', '-n', NAMESPACE), 'service/np created\n');
    const nodePort = await get(`/api/v1/namespaces/${NAMESPACE}/services/np`);
    assert.equal(nodePort.spec.type, 'NodePort');
    assert.equal(nodePort.spec.ports[0].targetPort, 'http');
  });

  it('creates roles, cluster roles and their bindings', async () => {
    assert.equal(await kubectlCreate('role', 'r', '--verb=get', '--verb=list', '--resource=pods,configmaps', '-n', NAMESPACE), 'role.rbac.authorization.k8s.io/r created\n');
    assert.deepEqual((await get(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/roles/r`)).rules, [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'configmaps'] }]);
    assert.equal(await kubectlCreate('clusterrole', 'pb-cr', '--verb=get', '--resource=nodes', '--resource-name=n1'), 'clusterrole.rbac.authorization.k8s.io/pb-cr created\n');
    assert.deepEqual((await get('/apis/rbac.authorization.k8s.io/v1/clusterroles/pb-cr')).rules, [{ verbs: ['get'], apiGroups: [''], resources: ['nodes'], resourceNames: ['n1'] }]);
    assert.equal(await kubectlCreate('rolebinding', 'rb', '--role=r', '--user=alice', `--serviceaccount=${NAMESPACE}:sa`, '-n', NAMESPACE), 'rolebinding.rbac.authorization.k8s.io/rb created\n');
    const binding = await get(`/apis/rbac.authorization.k8s.io/v1/namespaces/${NAMESPACE}/rolebindings/rb`);
    assert.deepEqual([binding.roleRef, binding.subjects], [
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }, { kind: 'ServiceAccount', name: 'sa', namespace: NAMESPACE }],
    ]);
    assert.equal(await kubectlCreate('clusterrolebinding', 'pb-crb', '--clusterrole=pb-cr', '--group=devs'), 'clusterrolebinding.rbac.authorization.k8s.io/pb-crb created\n');
    assert.deepEqual((await get('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/pb-crb')).subjects, [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }]);
  });

  it('creates a token for the serviceaccount, and the token names it', async () => {
    const token = (await kubectlCreate('token', 'sa', '-n', NAMESPACE)).trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    assert.equal(claims.sub, `system:serviceaccount:${NAMESPACE}:sa`);
    const review = await t.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { token, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
    assert.equal(review.body.status?.userInfo?.username, `system:serviceaccount:${NAMESPACE}:sa`, review.text);
  });
});
