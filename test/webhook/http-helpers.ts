/** Posting AdmissionReviews to the webhook app over HTTP (supertest), and the envelope every answer must have. */
import assert from 'node:assert/strict';
import request from 'supertest';
import type { createWebhookApp } from '../../webhook/app.js';
import type { Json } from './helpers.js';

export type AdmissionResponse = Json & { allowed: boolean; status?: Json & { code: number; message: string }; warnings?: string[] };

export function post(app: ReturnType<typeof createWebhookApp>, path: string, body: unknown) {
  return request(app).post(path).set('content-type', 'application/json').send(JSON.stringify(body));
}

/** Asserts the envelope every answer must have, and returns the response. */
export function envelope(body: Json, uid: string): AdmissionResponse {
  assert.equal(body.apiVersion, 'admission.k8s.io/v1');
  assert.equal(body.kind, 'AdmissionReview');
  const response = body.response as AdmissionResponse;
  assert.equal(response.uid, uid);
  assert.equal(typeof response.allowed, 'boolean');
  return response;
}
