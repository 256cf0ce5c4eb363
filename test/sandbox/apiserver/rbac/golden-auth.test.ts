import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { TestServer } from '../helpers.js';
import { startTestServer } from '../helpers.js';
import { goldenSkip, readGolden } from '../../../helpers/golden.js';

interface GoldenItem {
  note: string;
  request: { method: string; path: string; headers: Record<string, string>; body?: unknown };
  response: { status: number; body: Record<string, unknown> };
}

const golden31 = readGolden<GoldenItem>('31-errors-misc');

/** Drops what varies per run (timestamps) so the rest compares exactly. */
function withoutTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'time' && k !== 'creationTimestamp').map(([k, v]) => [k, withoutTimes(v)]));
}

describe('golden 31: authentication, authorization, impersonation and the self reviews', { skip: goldenSkip }, () => {
  let t: TestServer;
  // the golden's bearer-token user (#3): a static token in system:masters, as its recording cluster had
  const adminToken = { token: 'admin-token', user: 'admin-token-user', uid: 'admin-token-uid', groups: ['system:masters'] };
  before(async () => {
    t = await startTestServer({ tokens: [adminToken] });
    await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'golden' } } });
  });
  after(async () => t.close());

  async function replay(index: number, token: string | null): Promise<void> {
    const item = golden31[index]!;
    const headers: Record<string, string> = { 'user-agent': 'golden-recorder/1.0' };
    if (item.request.headers['impersonate-user']) headers['impersonate-user'] = item.request.headers['impersonate-user'];
    const res = await t.request(item.request.method, item.request.path, { body: item.request.body, token, headers, accept: item.request.headers.accept });
    assert.equal(res.status, item.response.status, `#${index} ${item.note}`);
    assert.deepEqual(withoutTimes(res.body), withoutTimes(item.response.body), `#${index} ${item.note}`);
  }

  it('#0 a request without credentials is system:anonymous, and RBAC gives it nothing: 403', async () => replay(0, null));
  it('#1 an invalid bearer token is a 401 Status', async () => replay(1, 'not-a-token'));
  it('#3 kubectl auth whoami names the bearer-token user with its uid and groups', async () => replay(3, adminToken.token));
  it('#4 impersonating a user without roles: 403 for the list, worded for that user', async () => replay(4, adminToken.token));
  it('#5 403 on a GET of a named object carries details.name', async () => replay(5, adminToken.token));
  it('#6 403 for a custom resource names its API group (the check comes before the resource is looked up)', async () => replay(6, adminToken.token));
  it('#7 kubectl auth can-i as a system:masters user: allowed, with the request fields recorded', async () => replay(7, adminToken.token));

  it('#2 whoami for the admin user: its groups, as the client-certificate admin has', async () => {
    const item = golden31[2]!;
    const res = await t.request(item.request.method, item.request.path, { body: item.request.body });
    assert.equal(res.status, item.response.status);
    const expected = (item.response.body.status as { userInfo: { groups: string[] } }).userInfo;
    assert.deepEqual(res.body.status.userInfo, { username: 'sandbox-admin', groups: expected.groups });
  });
});
