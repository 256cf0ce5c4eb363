// Golden files 34 (exact bytes of each output form) and 36 (every map sorted, request bodies sent byte for byte).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useGoldenServer } from './harness.js';
import { blankVaryingFields, GOLDEN_SKIP, GoldenReplayer, loadGolden } from './replay.js';

describe('golden serialization bytes', { skip: GOLDEN_SKIP }, () => {
  const golden = useGoldenServer();

  it('34: built-ins in Go order, custom resources sorted, Status, pretty, YAML and a watch chunk, byte for byte', async () => {
    const { t } = golden;
    // the objects file 34 reads; created with keys out of order, as the recorder did
    await t.request('POST', '/api/v1/namespaces/golden/configmaps', {
      body: '{"data":{"zeta":"1","quote":"say \\"hi\\" <&> é","alpha":"2"},"metadata":{"name":"ser1","labels":{"z":"1","a":"2"}},"apiVersion":"v1","kind":"ConfigMap"}',
      headers: { 'user-agent': 'golden-recorder/1.0' },
    });
    await t.request('POST', '/apis/redwing.dev/v1alpha1/namespaces/golden/kvstores', {
      body: '{"spec":{"replicas":2,"engine":"redis"},"metadata":{"name":"ser-kv","labels":{"z":"1","a":"2"}},"apiVersion":"redwing.dev/v1alpha1","kind":"KVStore"}',
      headers: { 'user-agent': 'golden-recorder/1.0' },
    });
    const replayer = new GoldenReplayer(t);
    const result = await replayer.replayFile('34-serialization-bytes', { bytes: true });
    const watch = loadGolden('34-serialization-bytes').find((item) => item.request?.path.includes('watch=true'));
    assert.ok(watch?.request && watch.response?.chunks);
    const answer = await replayer.send(watch.request);
    const expected = watch.response.chunks.map((chunk) => chunk.text ?? '').join('');
    if (blankVaryingFields(answer.text) !== blankVaryingFields(expected)) result.mismatches.push(`watch bytes differ:\n  expected ${expected}\n  got      ${answer.text}`);
    assert.ok(result.compared >= 9);
    assert.deepEqual(result.mismatches, []);
  });

  it('36: every map key sorted on create, GET, LIST, merge patch and server-side apply', async () => {
    const result = await new GoldenReplayer(golden.t).replayFile('36-map-key-order', { bytes: true });
    assert.equal(result.compared, 19);
    assert.deepEqual(result.mismatches, []);
  });
});
