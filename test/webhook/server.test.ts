/** The webhook over real HTTPS: certificates from certs/authority.ts, Node's own TLS client verifying the chain. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { createCertificateAuthority, issueServingCertificate, type KeyPairPem } from '../../certs/authority.js';
import type { CertificateSource, ServingMaterial } from '../../certs/certificate-source.js';
import { createWebhookApp } from '../../webhook/app.js';
import { runWebhook } from '../../webhook/main.js';
import { HEADERS_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, startWebhookServer } from '../../webhook/server.js';
import { admissionFixture, decodePatch, kvstoreCreate } from './helpers.js';

class FakeCertificateSource implements CertificateSource {
  private listeners = new Set<(m: ServingMaterial) => void>();
  ready = true;
  stopped = false;
  constructor(private material: ServingMaterial) {}
  current(): ServingMaterial { return this.material; }
  onChange(listener: (m: ServingMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  isReady(): boolean { return this.ready; }
  async stop(): Promise<void> { this.stopped = true; }
  replace(material: ServingMaterial): void {
    this.material = material;
    for (const listener of this.listeners) listener(material);
  }
  listenerCount(): number { return this.listeners.size; }
}

function material(ca: KeyPairPem): ServingMaterial {
  const serving = issueServingCertificate(ca, {
    commonName: 'redwing-webhook.redwing-system.svc',
    dnsNames: ['redwing-webhook.redwing-system.svc', 'localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  return { certPem: serving.certPem, keyPem: serving.keyPem, caBundlePem: ca.certPem };
}

interface HttpsAnswer { status: number; body: string; peerFingerprint: string }

function postHttps(port: number, path: string, body: string, caPem: string, servername = 'localhost'): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({
      host: '127.0.0.1', port, path, method: 'POST', ca: caPem, servername, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res: IncomingMessage) => {
      const socket = res.socket as TLSSocket;
      const peerFingerprint = socket.getPeerX509Certificate?.()?.fingerprint256 ?? '';
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), peerFingerprint }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function getHttp(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject).end();
  });
}

describe('webhook HTTPS server', () => {
  let ca: KeyPairPem;
  before(() => {
    ca = createCertificateAuthority({ commonName: 'redwing-test-ca' });
  });

  it('serves admission over TLS with a chain that verifies against the CA bundle', async (t) => {
    const source = new FakeCertificateSource(material(ca));
    const server = await startWebhookServer({ app: createWebhookApp(), certificateSource: source, port: 0, host: '127.0.0.1' });
    t.after(() => server.close());
    const review = admissionFixture('kvstore-create-mutating');
    const answer = await postHttps(server.port, '/mutate/kvstore', JSON.stringify(review), source.current().caBundlePem);
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.body);
    assert.equal(body.response.uid, review.request.uid);
    assert.ok(decodePatch(body));
    // the service DNS name verifies too, and a client trusting another CA refuses the server
    await postHttps(server.port, '/validate/kvstore', JSON.stringify(kvstoreCreate({})), ca.certPem, 'redwing-webhook.redwing-system.svc');
    const stranger = createCertificateAuthority({ commonName: 'stranger' });
    await assert.rejects(postHttps(server.port, '/validate/kvstore', '{}', stranger.certPem), /certificate/);
  });

  it('keeps idle connections open longer than the API server does', async (t) => {
    const server = await startWebhookServer({ app: createWebhookApp(), certificateSource: new FakeCertificateSource(material(ca)), port: 0, host: '127.0.0.1' });
    t.after(() => server.close());
    assert.ok(KEEP_ALIVE_TIMEOUT_MS > 90_000);
    assert.equal(server.server.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS);
    assert.equal(server.server.headersTimeout, HEADERS_TIMEOUT_MS);
  });

  it('closes connections that never send a request, TLS or not, and keeps those that did', async (t) => {
    const source = new FakeCertificateSource(material(ca));
    const server = await startWebhookServer({ app: createWebhookApp(), certificateSource: source, port: 0, host: '127.0.0.1', firstRequestTimeoutMs: 300 });
    t.after(() => server.close());
    const started = performance.now();
    const closedAfter = (socket: { once(event: 'close', listener: () => void): unknown }) =>
      new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now() - started)));
    // Handshake done, then silence (Node kept these open forever); and a TCP connection that never says hello.
    const idleTls = tlsConnect({ host: '127.0.0.1', port: server.port, ca: ca.certPem, servername: 'localhost' });
    idleTls.on('error', () => undefined);
    const silentTcp = netConnect({ host: '127.0.0.1', port: server.port });
    silentTcp.on('error', () => undefined);
    // A connection that sends a request right away stays open past the timeout (keep-alive is the API server's).
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: ca.certPem, servername: 'localhost' });
    t.after(() => agent.destroy());
    const ask = () => new Promise<{ status: number; socket: TLSSocket }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: server.port, path: '/validate/kvstore', method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: res.socket as TLSSocket }));
      });
      req.on('error', reject);
      req.end(JSON.stringify(kvstoreCreate({})));
    });
    const first = await ask();
    const [tlsClosed, tcpClosed] = await Promise.all([closedAfter(idleTls), closedAfter(silentTcp)]);
    assert.ok(tlsClosed < 5_000 && tcpClosed < 5_000, `closed after ${Math.round(tlsClosed)} / ${Math.round(tcpClosed)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await ask();
    assert.equal(second.status, 200);
    assert.equal(second.socket, first.socket, 'the same kept-alive connection');
  });

  it('reloads a new certificate without a restart (setSecureContext)', async (t) => {
    const source = new FakeCertificateSource(material(ca));
    const server = await startWebhookServer({ app: createWebhookApp(), certificateSource: source, port: 0, host: '127.0.0.1' });
    t.after(() => server.close());
    const body = JSON.stringify(kvstoreCreate({}));
    const first = await postHttps(server.port, '/validate/kvstore', body, ca.certPem);
    assert.equal(first.peerFingerprint, new X509Certificate(source.current().certPem).fingerprint256);

    const newCa = createCertificateAuthority({ commonName: 'redwing-test-ca-2' });
    source.replace(material(newCa));
    const second = await postHttps(server.port, '/validate/kvstore', body, newCa.certPem);
    assert.equal(second.status, 200);
    assert.equal(second.peerFingerprint, new X509Certificate(source.current().certPem).fingerprint256);
    await assert.rejects(postHttps(server.port, '/validate/kvstore', body, ca.certPem), /certificate/);
  });

  it('drains a request in flight on close, then refuses new connections', async () => {
    const source = new FakeCertificateSource(material(ca));
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    let arrived!: () => void;
    const inFlight = new Promise<void>((resolve) => { arrived = resolve; });
    const slowApp = (_req: unknown, res: { end(text: string): void }) => {
      arrived();
      void held.then(() => res.end('done'));
    };
    const server = await startWebhookServer({ app: slowApp as never, certificateSource: source, port: 0, host: '127.0.0.1' });
    const pending = postHttps(server.port, '/', '{}', ca.certPem);
    await inFlight;
    const closed = server.close();
    release();
    const answer = await pending;
    assert.equal(answer.body, 'done');
    await closed;
    assert.equal(source.listenerCount(), 0, 'no longer listens for certificate changes');
    await assert.rejects(postHttps(server.port, '/', '{}', ca.certPem), /ECONNREFUSED/);
  });
});

describe('runWebhook', () => {
  it('serves admission and /healthz, /readyz, /metrics; ready follows the certificate source; stop() closes all', async () => {
    const source = new FakeCertificateSource(material(createCertificateAuthority({ commonName: 'run-ca' })));
    const running = await runWebhook({ port: 0, metricsPort: 0, namespace: 'redwing-system', service: 'redwing-webhook', host: '127.0.0.1', certificateSource: source });
    let stopped = false;
    after(async () => { if (!stopped) await running.stop(); });
    assert.equal((await getHttp(running.metricsPort, '/healthz')).status, 200);
    assert.equal((await getHttp(running.metricsPort, '/readyz')).status, 200);
    source.ready = false;
    assert.equal((await getHttp(running.metricsPort, '/readyz')).status, 503);
    source.ready = true;
    const review = kvstoreCreate({ replicas: 40 });
    const answer = await postHttps(running.port, '/validate/kvstore', JSON.stringify(review), source.current().caBundlePem);
    assert.equal(JSON.parse(answer.body).response.status.code, 422);
    const metrics = await getHttp(running.metricsPort, '/metrics');
    assert.match(metrics.body, /redwing_webhook_admission_requests_total\{webhook="validate-kvstore",operation="CREATE",result="denied"\} 1/);
    assert.match(metrics.body, /redwing_webhook_admission_duration_seconds_bucket/);
    assert.match(metrics.body, /redwing_webhook_process_resident_memory_bytes/);
    await running.stop();
    stopped = true;
    assert.ok(source.stopped);
    await assert.rejects(getHttp(running.metricsPort, '/healthz'), /ECONNREFUSED/);
    await assert.rejects(postHttps(running.port, '/validate/kvstore', '{}', source.current().caBundlePem), /ECONNREFUSED/);
  });

  it('fails to start with a clear error when the port is taken, and stops the certificate source', async (t) => {
    const ca = createCertificateAuthority({ commonName: 'busy-ca' });
    const first = await runWebhook({ port: 0, metricsPort: 0, namespace: 'n', service: 's', host: '127.0.0.1', certificateSource: new FakeCertificateSource(material(ca)) });
    t.after(() => first.stop());
    const source = new FakeCertificateSource(material(ca));
    await assert.rejects(
      runWebhook({ port: first.port, metricsPort: 0, namespace: 'n', service: 's', host: '127.0.0.1', certificateSource: source }),
      (error: Error) => /could not start/.test(error.message) && /EADDRINUSE/.test(String((error.cause as Error)?.cause ?? error.cause)),
    );
    assert.ok(source.stopped);
  });

  it('runs standalone with --cert-dir: creates the certificates and serves localhost', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'redwing-webhook-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const running = await runWebhook({ port: 0, metricsPort: 0, namespace: 'redwing-system', service: 'redwing-webhook', host: '127.0.0.1', certDir: dir });
    t.after(() => running.stop());
    const caPem = await readFile(join(dir, 'ca.crt'), 'utf8');
    const review = kvstoreCreate({});
    const answer = await postHttps(running.port, '/mutate/kvstore', JSON.stringify(review), caPem);
    assert.equal(JSON.parse(answer.body).response.uid, review.request.uid);
    assert.equal((await getHttp(running.metricsPort, '/readyz')).status, 200);
  });
});
