import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorMessage } from '../../shared/error-message.js';

describe('shared/error-message', () => {
  it('gives an Error its message and any other thrown value as text', () => {
    assert.equal(errorMessage(new TypeError('bad input')), 'bad input');
    assert.equal(errorMessage('plain string'), 'plain string');
    assert.equal(errorMessage(42), '42');
    assert.equal(errorMessage(undefined), 'undefined');
  });
});
