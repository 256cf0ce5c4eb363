// The controller-revision-hash of a StatefulSet's pod template.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../shared/json-value.js';

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** A 10-character hash in Kubernetes' "safe" alphabet (no vowels), as in controller-revision-hash labels. */
export function safeHash(value: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(value)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += SAFE[digest[i]! % SAFE.length];
  return out;
}
