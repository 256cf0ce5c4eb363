/** A sandbox API server with Redwing's CRDs applied, for the policy source and audit tests. */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import YAML from 'yaml';
import type { RunningApiServer } from '../../../sandbox/apiserver/server.js';
import { startTestApiServer } from '../../helpers/api-server.js';
import { waitFor } from '../../../harness/wait-for.js';

export interface PolicySandbox {
  server: RunningApiServer;
  kubeConfig: KubeConfig;
  close(): Promise<void>;
}

const CRD_FILES = ['redwing.dev_kvstores.yaml', 'redwing.dev_kvpolicies.yaml'];

export async function startPolicySandbox(): Promise<PolicySandbox> {
  const { server, kubeConfig, stop } = await startTestApiServer({ dirPrefix: 'redwing-policy-' });
  try {
    for (const file of CRD_FILES) {
      const crd: unknown = YAML.parse(readFileSync(new URL(`../../../manifests/crds/${file}`, import.meta.url), 'utf8'));
      // Raw JSON: client-node's typed serializer would drop `x-kubernetes-*` keys given in their YAML spelling.
      await postJson(server, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    }
    const objects = kubeConfig.makeApiClient(CustomObjectsApi);
    await waitFor('CRDs served', async () => {
      try {
        await objects.listClusterCustomObject({ group: 'redwing.dev', version: 'v1alpha1', plural: 'kvpolicies' });
        await objects.listClusterCustomObject({ group: 'redwing.dev', version: 'v1alpha1', plural: 'kvstores' });
        return true;
      } catch {
        return false;
      }
    }, 10_000);
    return { server, kubeConfig, close: stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** POSTs raw JSON with the admin token (no client-side serializer in the way); rejects on a non-2xx answer. */
export async function postJson(server: RunningApiServer, path: string, body: unknown): Promise<void> {
  const text = JSON.stringify(body);
  await new Promise<void>((resolve, reject) => {
    const request = httpsRequest(`${server.url}${path}`, {
      method: 'POST', ca: server.caCertPem,
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) },
    }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => ((response.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`POST ${path}: ${response.statusCode} ${Buffer.concat(chunks).toString()}`))));
    });
    request.on('error', reject);
    request.end(text);
  });
}
