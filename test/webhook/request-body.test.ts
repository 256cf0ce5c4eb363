/** Body reading at the admission boundary: content encodings and the size cap, over HTTP through the app. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, deflateSync } from 'node:zlib';
import { createWebhookApp } from '../../webhook/app.js';
import type { AdmissionReview } from '../../webhook/admission-review.js';
import { decodePatch, kvstoreCreate, type Json } from './helpers.js';

const MAX_BYTES = 64 * 1024;

/** Raw bytes over a real connection (supertest would JSON-encode a Buffer sent as application/json). */
function send(server: Server, options: { method?: string; path?: string; body?: Buffer; encoding?: string }): Promise<{ status: number; body: AdmissionReview & Json }> {
  const port = (server.address() as AddressInfo).port;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.encoding) headers['content-encoding'] = options.encoding;
    const req = httpRequest({ host: '127.0.0.1', port, method: options.method ?? 'POST', path: options.path ?? '/mutate/kvstore', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('request body', () => {
  const server = createServer(createWebhookApp({ maxBodyBytes: MAX_BYTES }));
  before(() => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)));
  after(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));
  const post = (body: Buffer, encoding: string) => send(server, { body, encoding });

  it('inflates gzip and deflate bodies', async () => {
    for (const [encoding, compress] of [['gzip', gzipSync], ['deflate', deflateSync]] as const) {
      const review = kvstoreCreate({});
      const res = await post(compress(Buffer.from(JSON.stringify(review))), encoding);
      assert.equal(res.status, 200, encoding);
      assert.equal(res.body.response.uid, review.request.uid);
      assert.ok(decodePatch(res.body), encoding);
    }
  });

  it('refuses another content encoding with 415 and an AdmissionReview', async () => {
    const res = await post(Buffer.from(JSON.stringify(kvstoreCreate({}))), 'br');
    assert.equal(res.status, 415);
    assert.equal(res.body.kind, 'AdmissionReview');
    assert.equal(res.body.response.allowed, false);
    assert.equal(res.body.response.status!.code, 415);
    assert.match(res.body.response.status!.message, /unsupported content encoding "br"/);
  });

  it('applies the cap to the inflated size (413), and a broken gzip body is a 400', async () => {
    const review = kvstoreCreate({});
    ((review.request.object as Json).metadata as Json).annotations = { big: 'x'.repeat(MAX_BYTES) };
    const bomb = gzipSync(Buffer.from(JSON.stringify(review)));
    assert.ok(bomb.length < MAX_BYTES, 'small on the wire');
    const res = await post(bomb, 'gzip');
    assert.equal(res.status, 413);
    assert.equal(res.body.response.status!.code, 413);
    const broken = await post(Buffer.from('not gzip at all'), 'gzip');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.response.status!.code, 400);
  });

  it('survives a client that aborts in the middle of its body, and answers the next request', async () => {
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/validate/kvstore', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
      req.on('error', () => resolve());
      req.write('{"kind":"Adm', () => setImmediate(() => req.destroy()));
      req.on('close', () => resolve());
    });
    const review = kvstoreCreate({});
    const next = await send(server, { body: Buffer.from(JSON.stringify(review)) });
    assert.equal(next.status, 200);
    assert.equal(next.body.response.uid, review.request.uid);
  });

  it('answers a declared length over the cap with 413 after reading the body, and other methods with 404', async () => {
    const big = Buffer.alloc(MAX_BYTES + 1, 0x20);
    const res = await send(server, { path: '/validate/kvstore', body: big });
    assert.equal(res.status, 413);
    assert.equal(res.body.response.status!.code, 413);
    const get = await send(server, { method: 'GET', path: '/validate/kvstore' });
    assert.equal(get.status, 404);
    assert.equal(get.body.kind, 'AdmissionReview');
  });
});
