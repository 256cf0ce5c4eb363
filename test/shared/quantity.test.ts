import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareQuantities, formatBytesHuman, formatBytesQuantity, isQuantity, parseEngineMemoryBytes, parseMemoryBytes,
  parseQuantity,
} from '../../shared/quantity.js';

describe('parseQuantity', () => {
  it('reads binary, decimal, milli and exponent forms', () => {
    assert.equal(parseQuantity('512Mi'), 512 * 1024 * 1024);
    assert.equal(parseQuantity('1Gi'), 2 ** 30);
    assert.equal(parseQuantity('1.5Gi'), 1.5 * 2 ** 30);
    assert.equal(parseQuantity('100m'), 0.1);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity(3), 3);
    assert.equal(parseQuantity('1k'), 1000);
    assert.equal(parseQuantity('1G'), 1e9);
    assert.equal(parseQuantity('2e3'), 2000);
    assert.equal(parseQuantity('.5'), 0.5);
  });
  it('refuses what is not a quantity', () => {
    for (const bad of ['', 'abc', '1mb', '1 Gi', 'Gi', '1gi', '1.2.3']) {
      assert.throws(() => parseQuantity(bad), /invalid quantity/, bad);
      assert.equal(isQuantity(bad), false, bad);
    }
  });
  it('rounds memory up to whole bytes and compares by value', () => {
    assert.equal(parseMemoryBytes('100m'), 1);
    assert.ok(compareQuantities('1Gi', '1024Mi') === 0);
    assert.ok(compareQuantities('1G', '1Gi') < 0);
    assert.ok(compareQuantities('2Gi', '1Gi') > 0);
  });
});

describe('formatting', () => {
  it('formats bytes as the shortest exact quantity', () => {
    assert.equal(formatBytesQuantity(536870912), '512Mi');
    assert.equal(formatBytesQuantity(1500000000), '1500M');
    assert.equal(formatBytesQuantity(429496729), '429496729');
    assert.equal(formatBytesQuantity(0), '0');
    assert.equal(parseQuantity(formatBytesQuantity(3 * 2 ** 30)), 3 * 2 ** 30);
    assert.throws(() => formatBytesQuantity(1.5));
  });
  it('formats bytes for humans', () => {
    assert.equal(formatBytesHuman(429496729), '409.6Mi');
    assert.equal(formatBytesHuman(12), '12B');
  });
});

describe('parseEngineMemoryBytes', () => {
  it('follows redis.conf units', () => {
    assert.equal(parseEngineMemoryBytes('100'), 100);
    assert.equal(parseEngineMemoryBytes('1k'), 1000);
    assert.equal(parseEngineMemoryBytes('1kb'), 1024);
    assert.equal(parseEngineMemoryBytes('100mb'), 100 * 2 ** 20);
    assert.equal(parseEngineMemoryBytes('1GB'), 2 ** 30);
    assert.equal(parseEngineMemoryBytes('2g'), 2e9);
    assert.equal(parseEngineMemoryBytes('256Mi'), 256 * 2 ** 20);
    assert.equal(parseEngineMemoryBytes('lots'), undefined);
    assert.equal(parseEngineMemoryBytes('-1'), undefined);
  });
});
