import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldErrorsOf } from '../../console/field-errors.js';

describe('fieldErrorsOf', () => {
  it("reads the webhook's causes", () => {
    const status = {
      kind: 'Status', code: 422,
      message: 'admission webhook "validate.kvstores.redwing.dev" denied the request: spec.snapshot.cron: is not a valid five-field cron expression',
      details: { causes: [{ reason: 'FieldValueInvalid', field: 'spec.snapshot.cron', message: 'is not a valid five-field cron expression' }] },
    };
    assert.deepEqual(fieldErrorsOf(status), [{ field: 'spec.snapshot.cron', message: 'is not a valid five-field cron expression' }]);
  });

  it("reads fields from the API server's schema message when the causes name none", () => {
    const status = {
      kind: 'Status', code: 422,
      message: 'KVStore.redwing.dev "x" is invalid: [spec.replicas: Invalid value: 99: spec.replicas in body should be less than or equal to 15, spec.engine: Unsupported value: "memcached"]',
    };
    const errors = fieldErrorsOf(status);
    assert.deepEqual(errors.map((error) => error.field), ['spec.replicas', 'spec.engine']);
    assert.match(errors[0].message, /less than or equal to 15/);
  });

  it('keeps a message that names no field as one about the whole object', () => {
    assert.deepEqual(fieldErrorsOf({ message: 'kvstores.redwing.dev "x" already exists' }), [{ field: '', message: 'kvstores.redwing.dev "x" already exists' }]);
    assert.deepEqual(fieldErrorsOf(undefined), []);
  });
});
