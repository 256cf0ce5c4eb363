import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { microTime, rfc3339 } from '../../shared/rfc3339.js';

describe('shared/rfc3339', () => {
  it('writes metav1.Time to the second, in UTC, as kube-apiserver does', () => {
    assert.equal(rfc3339(new Date('2026-01-01T10:20:30.999+02:00')), '2026-01-01T08:20:30Z');
    assert.match(rfc3339(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('writes metav1.MicroTime with six fractional digits', () => {
    assert.equal(microTime(new Date('2026-01-01T00:00:00.120Z')), '2026-01-01T00:00:00.120000Z');
  });
});
