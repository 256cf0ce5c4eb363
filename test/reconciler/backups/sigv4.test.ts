import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorizationHeader, EMPTY_PAYLOAD_HASH, parseAuthorization, uriEncode } from '../../../reconciler/backups/s3/sigv4.js';

// The examples AWS publishes: the signature is fixed by the algorithm, so a match proves the canonical request.
describe('SigV4', () => {
  it('signs the SigV4 test suite\'s get-vanilla request as AWS does', () => {
    const header = authorizationHeader(
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      { region: 'us-east-1', service: 'service', amzDate: '20150830T123600Z' },
      { method: 'GET', path: '/', query: [], headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' }, payloadHash: EMPTY_PAYLOAD_HASH },
    );
    assert.equal(header, 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
  });

  it('signs the S3 documentation\'s GetObject example', () => {
    const header = authorizationHeader(
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      { region: 'us-east-1', service: 's3', amzDate: '20130524T000000Z' },
      {
        method: 'GET', path: '/test.txt', query: [],
        headers: { host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY_PAYLOAD_HASH, 'x-amz-date': '20130524T000000Z' },
        payloadHash: EMPTY_PAYLOAD_HASH,
      },
    );
    assert.match(header, /Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41$/);
    assert.deepEqual(parseAuthorization(header)?.signedHeaders, ['host', 'range', 'x-amz-content-sha256', 'x-amz-date']);
  });

  it('encodes keys per RFC 3986, keeping slashes in paths only', () => {
    assert.equal(uriEncode('a b/c+d~e', true), 'a%20b/c%2Bd~e');
    assert.equal(uriEncode('a/b'), 'a%2Fb');
    assert.equal(uriEncode('é'), '%C3%A9');
  });
});
