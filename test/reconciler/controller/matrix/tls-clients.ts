/** Clients of a TLS store from the host, with or without a client certificate, verifying the pod's DNS name. */
import { commandOnce } from '../../../../harness/sandbox-cluster.js';
import type { KubeClient } from '../../../../kube/client.js';
import { paths } from '../../../../kube/paths.js';
import type { PodInfo } from '../e2e-helpers.js';

export interface ClientCertificate {
  certPem: string;
  keyPem: string;
}

/** ca.crt of the store's TLS Secret: what a client verifies the engines with. */
export async function storeServingCa(client: KubeClient, store: string, namespace = 'default'): Promise<string> {
  const secret = await client.get<{ data: Record<string, string> }>(paths.coreObject('secrets', namespace, `${store}-tls`));
  return Buffer.from(secret.data['ca.crt']!, 'base64').toString('utf8');
}

/** Runs one command on `pod` over TLS with a fresh connection, presenting `certificate` when given. */
export async function tlsCommand(
  pod: PodInfo, store: string, caPem: string, password: string, certificate: ClientCertificate | undefined, command: string, ...args: string[]
): Promise<unknown> {
  return commandOnce({
    host: pod.ip, port: 6379, password, connectTimeout: 3000, commandTimeout: 3000,
    tls: { ca: caPem, servername: `${pod.name}.${store}-headless.default.svc`, cert: certificate?.certPem, key: certificate?.keyPem },
  }, command, ...args);
}
