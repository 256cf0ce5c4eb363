// A pod's ServiceAccount as a cluster gives it: a TokenRequest-issued token bound to the pod, ca.crt and namespace
// at /var/run/secrets/kubernetes.io/serviceaccount, and KUBERNETES_SERVICE_HOST/PORT, so in-cluster config works.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import {
  PodTokenCache, SERVICE_ACCOUNT_MOUNT_PATH, kubernetesServiceEnv, withServiceAccountVolume,
} from '../../../sandbox/kubelet/service-account.js';
import { startTestSandbox, waitFor, type TestSandbox } from '../helpers.js';

const plainPod: V1Pod = {
  metadata: { name: 'p', namespace: 'team', uid: 'uid-1' },
  spec: { serviceAccountName: 'app', containers: [{ name: 'a', image: 'x' }], initContainers: [{ name: 'i', image: 'x' }] },
};

describe('the ServiceAccount volume the admission plugin would add', () => {
  it('mounts a projected token, ca.crt and namespace read-only in every container', () => {
    const pod = withServiceAccountVolume(plainPod);
    const volume = pod.spec?.volumes?.find((v) => v.name.startsWith('kube-api-access-'));
    const sources = volume?.projected?.sources ?? [];
    assert.equal(sources.find((s) => s.serviceAccountToken)?.serviceAccountToken?.path, 'token');
    assert.equal(sources.find((s) => s.configMap)?.configMap?.name, 'kube-root-ca.crt');
    assert.equal(sources.find((s) => s.downwardAPI)?.downwardAPI?.items?.[0]?.fieldRef?.fieldPath, 'metadata.namespace');
    for (const container of [...pod.spec!.containers, ...pod.spec!.initContainers!]) {
      assert.deepEqual(container.volumeMounts, [{ name: volume!.name, mountPath: SERVICE_ACCOUNT_MOUNT_PATH, readOnly: true }]);
    }
    assert.equal(plainPod.spec?.volumes, undefined, 'the input is not changed');
  });

  it('adds nothing when the pod opts out or already mounts something there', () => {
    const optedOut = { ...plainPod, spec: { ...plainPod.spec!, automountServiceAccountToken: false } };
    assert.equal(withServiceAccountVolume(optedOut), optedOut);
    assert.equal(withServiceAccountVolume(plainPod, false), plainPod, "the ServiceAccount's automountServiceAccountToken: false");
    const own = withServiceAccountVolume({ ...plainPod, spec: { containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'mine', mountPath: `${SERVICE_ACCOUNT_MOUNT_PATH}/` }] }] } });
    assert.deepEqual(own.spec?.containers[0]?.volumeMounts?.map((m) => m.name), ['mine']);
  });

  it('names the API server as the kubernetes Service variables do', () => {
    const env = kubernetesServiceEnv('https://127.0.0.1:40123');
    assert.equal(env.KUBERNETES_SERVICE_HOST, '127.0.0.1');
    assert.equal(env.KUBERNETES_SERVICE_PORT, '40123');
    assert.equal(env.KUBERNETES_PORT, 'tcp://127.0.0.1:40123');
  });

  it('asks TokenRequest for a token bound to the pod and asks again at 80% of its lifetime', async () => {
    let now = 1_000_000;
    const calls: Array<{ namespace: string; account: string; body: unknown }> = [];
    const cache = new PodTokenCache(async (namespace, account, body) => {
      calls.push({ namespace, account, body });
      return { status: { token: `t${calls.length}`, expirationTimestamp: new Date(now + 1000_000).toISOString() } };
    }, () => now);
    assert.equal(await cache.tokenFor(plainPod, undefined, 1000), 't1');
    assert.deepEqual(calls[0], {
      namespace: 'team', account: 'app',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 1000, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'uid-1' } } },
    });
    now += 799_000;
    assert.equal(await cache.tokenFor(plainPod, undefined, 1000), 't1');
    now += 2_000;
    assert.equal(await cache.tokenFor(plainPod, undefined, 1000), 't2');
  });
});

describe('a pod in the sandbox', () => {
  let t: TestSandbox;
  before(async () => { t = await startTestSandbox(); });
  after(async () => { await t?.stop(); });

  it('reaches the API server with in-cluster config as its own ServiceAccount, with a token bound to it', async () => {
    await t.core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'app' } } });
    // client-go's InClusterConfig, by hand: the env for the address, the mounted files for CA and token.
    const script = `
      const fs = require('node:fs'), https = require('node:https');
      const dir = '${SERVICE_ACCOUNT_MOUNT_PATH}';
      const req = https.request({ host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT,
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', method: 'POST', ca: fs.readFileSync(dir + '/ca.crt'),
        headers: { authorization: 'Bearer ' + fs.readFileSync(dir + '/token', 'utf8'), 'content-type': 'application/json' } }, (res) => {
        let body = ''; res.on('data', (c) => { body += c; });
        res.on('end', () => { console.log('WHOAMI ' + JSON.parse(body).status.userInfo.username + ' NS ' + fs.readFileSync(dir + '/namespace', 'utf8')); setInterval(() => {}, 60000); });
      });
      req.end(JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));`;
    await t.core.createNamespacedPod({ namespace: 'default', body: {
      metadata: { name: 'whoami' },
      spec: { serviceAccountName: 'app', containers: [{ name: 'main', image: 'node:20', command: ['node', '-e', script] }] },
    } });
    const log = await waitFor('the pod reports who it is', async () => {
      const text = await t.core.readNamespacedPodLog({ name: 'whoami', namespace: 'default' }).catch(() => '');
      return text.includes('WHOAMI') ? text : undefined;
    }, 30_000);
    assert.match(log, /WHOAMI system:serviceaccount:default:app NS default/);
    const pod = await t.core.readNamespacedPod({ name: 'whoami', namespace: 'default' });
    const podDir = readdirSync(join(t.sandbox.dir, 'pods')).find((entry) => entry.startsWith('default_whoami_'));
    const token = readFileSync(join(t.sandbox.dir, 'pods', podDir!, 'volumes', 'kube-api-access-sandbox', 'token'), 'utf8');
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; 'kubernetes.io': { pod?: { name: string; uid: string } } };
    assert.equal(claims.sub, 'system:serviceaccount:default:app');
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'whoami', uid: pod.metadata?.uid });
  });
});
