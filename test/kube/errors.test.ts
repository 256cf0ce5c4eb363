import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { ApiStatusError, apiErrorMessage, isAlreadyExists, isConflict, isNotFound, statusCodeOf } from '../../kube/errors.js';

const notFoundStatus = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'secrets "x" not found', reason: 'NotFound', code: 404 };

describe('kube errors', () => {
  it('reads the status of KubeClient errors', () => {
    const error = new ApiStatusError(409, 'AlreadyExists', 'POST /x: 409', { ...notFoundStatus, code: 409, reason: 'AlreadyExists', message: 'exists' });
    assert.equal(statusCodeOf(error), 409);
    assert.equal(isConflict(error), true);
    assert.equal(isAlreadyExists(error), true);
    assert.equal(apiErrorMessage(error), 'exists');
  });

  it("reads client-node's ApiException, whose body is a JSON string", () => {
    const error = new ApiException(404, 'HTTP-Code: 404', JSON.stringify(notFoundStatus), {});
    assert.equal(statusCodeOf(error), 404);
    assert.equal(isNotFound(error), true);
    assert.equal(apiErrorMessage(error), 'secrets "x" not found');
  });

  it("reads a watch's ERROR Status object and a parsed Status body", () => {
    assert.equal(statusCodeOf({ kind: 'Status', code: 410, reason: 'Expired' }), 410);
    assert.equal(statusCodeOf({ body: { code: 403 } }), 403);
  });

  it('has no status for errors that are not API answers', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    assert.equal(statusCodeOf(refused), undefined);
    assert.equal(isNotFound(refused), false);
    assert.equal(apiErrorMessage(refused), 'connect ECONNREFUSED');
    assert.equal(isAlreadyExists(new ApiStatusError(409, 'Conflict', 'PUT /x: 409', { code: 409, reason: 'Conflict' })), false);
  });
});
