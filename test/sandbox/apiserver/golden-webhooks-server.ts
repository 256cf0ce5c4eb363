// A real HTTPS admission webhook on 127.0.0.1 for the golden webhook replays: it records every request the sandbox
// sends it (path with query, the headers the recording kept, the body) and answers what `answer` says.
import { createServer } from 'node:https';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueServingCertificate } from '../../../certs/authority.js';

export interface WebhookCall {
  /** path with query string, as the request line had it */
  path: string;
  /** only the headers the golden recording kept */
  headers: Record<string, string>;
  body: unknown;
}

export interface WebhookAnswer {
  status: number;
  contentType: string;
  /** a string is sent as is (to answer bytes that are not JSON); anything else is serialized */
  body: unknown;
  /** answer this late (to outlast the webhook's timeoutSeconds) */
  delayMs?: number;
}

export type WebhookAnswerer = (path: string, body: unknown) => WebhookAnswer;

export interface RecordingWebhook {
  /** `https://127.0.0.1:<port>` */
  origin: string;
  /** base64 PEM of the CA that signed the serving certificate */
  caBundle: string;
  /** base64 PEM of another CA, which did not sign it */
  foreignCaBundle: string;
  calls: WebhookCall[];
  close(): Promise<void>;
}

const KEPT_HEADERS = ['content-type', 'accept', 'user-agent'];

function base64Pem(pem: string): string {
  return Buffer.from(pem).toString('base64');
}

export async function startRecordingWebhook(answer: WebhookAnswerer): Promise<RecordingWebhook> {
  const ca = createCertificateAuthority({ commonName: 'golden-webhook-ca' });
  const foreignCa = createCertificateAuthority({ commonName: 'golden-webhook-foreign-ca' });
  const serving = issueServingCertificate(ca, { commonName: 'golden-webhook', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  const calls: WebhookCall[] = [];
  const pendingAnswers = new Set<NodeJS.Timeout>();
  const server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // recorded as text: the comparison then reports it
      }
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = req.headers[name];
        if (typeof value === 'string') headers[name] = value;
      }
      const path = req.url ?? '';
      calls.push({ path, headers, body });
      const reply = answer(path.split('?')[0] ?? '', body);
      const send = (): void => {
        pendingAnswers.delete(timer);
        if (res.destroyed) return;
        res.writeHead(reply.status, { 'Content-Type': reply.contentType });
        res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
      };
      const timer = setTimeout(send, reply.delayMs ?? 0);
      pendingAnswers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `https://127.0.0.1:${port}`,
    caBundle: base64Pem(ca.certPem),
    foreignCaBundle: base64Pem(foreignCa.certPem),
    calls,
    async close() {
      for (const timer of pendingAnswers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (bound for a moment, then released), for "connection refused". */
export async function unusedLoopbackPort(): Promise<number> {
  const probe = createTcpServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
