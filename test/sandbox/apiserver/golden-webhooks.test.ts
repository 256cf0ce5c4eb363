// Replays the golden admission-webhook recordings (27–30): what the sandbox sends a real HTTPS webhook, and what
// the client then sees, must match kube-apiserver v1.32 (see golden-webhooks-replay.ts for what is compared).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { waitFor } from '../../../harness/wait-for.js';
import type { TestServer } from './helpers.js';
import { startTestServer } from './helpers.js';
import type { GoldenItem } from './golden-webhooks-replay.js';
import { readGoldenItems, recordedAnswers, replayWebhookFile } from './golden-webhooks-replay.js';
import type { RecordingWebhook, WebhookAnswer } from './golden-webhooks-server.js';
import { startRecordingWebhook, unusedLoopbackPort } from './golden-webhooks-server.js';
import { goldenSkip } from '../../helpers/golden.js';

const CRD = JSON.parse(readFileSync(new URL('../../fixtures/sandbox-apiserver/golden-kvstore-crd.json', import.meta.url), 'utf8'));
const CONFIGMAPS = '/api/v1/namespaces/golden/configmaps';
const ADMIN_TOKEN = 'golden-admin-token';
const GC_TOKEN = 'golden-gc-token';
/** The identities of the recording: the admin client certificate, and the garbage collector's service account. */
const TOKENS = [
  { token: ADMIN_TOKEN, user: 'kubernetes-admin', groups: ['system:masters'] },
  { token: GC_TOKEN, user: 'system:serviceaccount:kube-system:generic-garbage-collector', uid: '4f76e31d-09ca-41a2-b06f-40082d3f13d3', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system'] },
];

function allowed(extra: Record<string, unknown> = {}): WebhookAnswer {
  return { status: 200, contentType: 'application/json', body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { allowed: true, ...extra } } };
}

/**
 * What the recording's webhook answered on paths whose calls the file did not keep; the client side of those
 * exchanges (the denial's code, reason, message and causes; the warnings) shows what it was.
 */
const UNRECORDED_ANSWERS: Record<string, Record<string, WebhookAnswer>> = {
  '28-webhook-validating': {
    '/deny422': allowed({ allowed: false, status: { code: 422, reason: 'Invalid', message: 'replicas must be odd for quorum' } }),
    '/deny-default': allowed({ allowed: false, status: { message: 'denied without a code' } }),
    '/deny-causes': allowed({ allowed: false, status: { code: 422, reason: 'Invalid', message: 'spec is invalid', details: { causes: [{ reason: 'FieldValueInvalid', message: 'must be odd', field: 'spec.replicas' }] } } }),
    '/warn': allowed({ warnings: ['engine dragonfly is experimental', 'second warning, with a comma and "quotes"'] }),
  },
  '30-webhook-failures': {
    '/http500': { status: 500, contentType: 'text/plain', body: 'internal webhook error' },
    // its webhook has timeoutSeconds 1: answering after 2 s is a timeout, and keeps the test short
    '/slow': { ...allowed(), delayMs: 2000 },
    '/record': allowed(),
  },
};

/** Echoes the request uid into a fixed answer, as the recording's webhook did. */
function withUid(answer: WebhookAnswer, review: unknown): WebhookAnswer {
  const body = answer.body as { response?: Record<string, unknown> };
  const uid = (review as { request?: { uid?: unknown } }).request?.uid;
  return body.response ? { ...answer, body: { ...body, response: { uid, ...body.response } } } : answer;
}

async function withReplay(file: string, run: (t: TestServer, items: GoldenItem[], webhook: RecordingWebhook) => Promise<void>): Promise<void> {
  let answer: (path: string, review: unknown) => WebhookAnswer = () => allowed();
  const webhook = await startRecordingWebhook((path, review) => answer(path, review));
  const t = await startTestServer({ tokens: TOKENS });
  try {
    const items = readGoldenItems(file, {
      webhookHost: webhook.origin.replace('https://', ''),
      deadHost: `127.0.0.1:${await unusedLoopbackPort()}`,
      caBundle: webhook.caBundle,
      foreignCaBundle: webhook.foreignCaBundle,
      foreignCaWebhooks: new Set(['badca.golden.redwing.dev']),
    });
    const recorded = recordedAnswers(items, {});
    const unrecorded = UNRECORDED_ANSWERS[file] ?? {};
    answer = (path, review) => (unrecorded[path] ? withUid(unrecorded[path], review) : recorded(path, review));
    await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'golden' } } });
    await t.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: CRD });
    await waitFor('the redwing.dev API to be served', async () => (await t.request('GET', '/apis/redwing.dev/v1alpha1')).status === 200);
    await run(t, items, webhook);
  } finally {
    await t.close();
    await webhook.close();
  }
}

describe('golden webhook replay (27–30)', { skip: goldenSkip }, () => {
  it('27-webhook-mutating: the JSONPatch mutation on create, dryRun, update and a custom resource', async () => {
    await withReplay('27-webhook-mutating', async (t, items, webhook) => {
      const result = await replayWebhookFile(items, { server: t, webhook, token: ADMIN_TOKEN });
      assert.equal(result.calls, 4);
      assert.deepEqual(result.differences, []);
    });
  });

  it('28-webhook-validating: denials (with and without a code, with causes), warnings, objectSelector on update', async () => {
    await withReplay('28-webhook-validating', async (t, items, webhook) => {
      const result = await replayWebhookFile(items, {
        server: t, webhook, token: ADMIN_TOKEN,
        // the recording made `vdel` beforehand, matched by none of the webhooks
        before: { 8: async () => void (await t.request('POST', CONFIGMAPS, { token: ADMIN_TOKEN, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'vdel' }, data: { k: 'v' } } })) },
      });
      assert.equal(result.exchanges, 10);
      assert.deepEqual(result.differences, []);
    });
  });

  it('29-webhook-admissionreview: the AdmissionReview of every operation, subresource and options kind', async () => {
    await withReplay('29-webhook-admissionreview', async (t, items, webhook) => {
      // the garbage collector may patch anything, as its bootstrap ClusterRole allows
      const rbac = '/apis/rbac.authorization.k8s.io/v1';
      await t.request('POST', `${rbac}/clusterroles`, { token: ADMIN_TOKEN, body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'golden-gc' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] } });
      await t.request('POST', `${rbac}/clusterrolebindings`, { token: ADMIN_TOKEN, body: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'golden-gc' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'golden-gc' }, subjects: [{ kind: 'ServiceAccount', name: 'generic-garbage-collector', namespace: 'kube-system' }] } });
      const result = await replayWebhookFile(items, {
        server: t, webhook, token: ADMIN_TOKEN,
        // the garbage collector (a separate controller) then drops foregroundDeletion, as in the recording
        after: {
          11: async () => {
            const current = await t.request('GET', `${CONFIGMAPS}/rec1`, { token: GC_TOKEN });
            const patch = { metadata: { finalizers: null, resourceVersion: current.body?.metadata?.resourceVersion } };
            const res = await t.request('PATCH', `${CONFIGMAPS}/rec1`, { token: GC_TOKEN, body: patch, contentType: 'application/merge-patch+json' });
            assert.equal(res.status, 200, res.text);
          },
        },
      });
      assert.equal(result.calls, 12);
      assert.deepEqual(result.differences, []);
    });
  });

  it('30-webhook-failures: every way a call fails, failurePolicy Ignore, invalid configurations', async () => {
    await withReplay('30-webhook-failures', async (t, items, webhook) => {
      const result = await replayWebhookFile(items, { server: t, webhook, token: ADMIN_TOKEN });
      assert.equal(result.exchanges, 15);
      assert.deepEqual(result.differences, []);
    });
  });
});
