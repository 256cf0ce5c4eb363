/** Fixtures and small helpers shared by the webhook tests. */
import { readFileSync } from 'node:fs';
import fastJsonPatch from 'fast-json-patch';
import type { AdmissionReview } from '../../webhook/admission-review.js';

const { applyPatch } = fastJsonPatch;

export type Json = Record<string, unknown>;
export interface ReviewBody { apiVersion: string; kind: string; request: Json & { uid: string; object: Json | null; oldObject: Json | null } }

export function loadJson<T = Json>(relativeToTest: string): T {
  return JSON.parse(readFileSync(new URL(`../${relativeToTest}`, import.meta.url), 'utf8')) as T;
}

/** A real AdmissionReview recorded from kube-apiserver (test/fixtures/admission/<name>.json), deep-copied. */
export function admissionFixture(name: string): ReviewBody {
  return loadJson<ReviewBody>(`fixtures/admission/${name}.json`);
}

let counter = 0;
export function freshUid(): string {
  counter += 1;
  return `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`;
}

/** The recorded CREATE review of a KVStore with its spec, name and user replaced. */
export function kvstoreCreate(spec: unknown, options: { name?: string; username?: string; dryRun?: boolean; namespace?: string } = {}): ReviewBody {
  const review = admissionFixture('kvstore-create');
  const object = review.request.object as Json & { metadata: Json };
  review.request.uid = freshUid();
  if (spec === undefined) delete object.spec; else object.spec = spec;
  if (options.name !== undefined) {
    object.metadata.name = options.name;
    review.request.name = options.name;
  }
  if (options.namespace !== undefined) {
    object.metadata.namespace = options.namespace;
    review.request.namespace = options.namespace;
  }
  if (options.username !== undefined) (review.request.userInfo as Json).username = options.username;
  if (options.dryRun !== undefined) review.request.dryRun = options.dryRun;
  return review;
}

/** The recorded UPDATE review of a KVStore with old and new specs replaced. */
export function kvstoreUpdate(oldSpec: unknown, spec: unknown, options: { username?: string } = {}): ReviewBody {
  const review = admissionFixture('kvstore-update-apply');
  review.request.uid = freshUid();
  (review.request.object as Json).spec = spec;
  (review.request.oldObject as Json).spec = oldSpec;
  if (options.username !== undefined) (review.request.userInfo as Json).username = options.username;
  return review;
}

export function kvpolicyCreate(spec: unknown, name = 'team-policy'): ReviewBody {
  const review = admissionFixture('kvstore-create');
  review.request.uid = freshUid();
  review.request.kind = { group: 'redwing.dev', version: 'v1alpha1', kind: 'KVPolicy' };
  review.request.resource = { group: 'redwing.dev', version: 'v1alpha1', resource: 'kvpolicies' };
  review.request.name = name;
  delete review.request.namespace;
  review.request.object = { apiVersion: 'redwing.dev/v1alpha1', kind: 'KVPolicy', metadata: { name }, spec };
  return review;
}

/** The JSON Patch operations of a review (undefined when it has none), checking patch and patchType go together. */
export function decodePatch(review: AdmissionReview): Array<{ op: string; path: string; value?: unknown }> | undefined {
  const { patch, patchType } = review.response;
  if (patch === undefined) {
    if (patchType !== undefined) throw new Error('patchType without patch');
    return undefined;
  }
  if (patchType !== 'JSONPatch') throw new Error('patch without patchType JSONPatch');
  return JSON.parse(Buffer.from(patch, 'base64').toString('utf8'));
}

/** Applies a patch the way the API server does: strictly (validate), to a copy. */
export function applyStrict(document: Json, operations: ReturnType<typeof decodePatch>): Json {
  return applyPatch(structuredClone(document), (operations ?? []) as never, true, false).newDocument as Json;
}
