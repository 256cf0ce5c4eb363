// The server the golden replays run against: the state the recordings start from (namespace `golden`, the
// `kvstores.redwing.dev` CRD), and optionally the sandbox's controllers, as kube-controller-manager ran beside the
// recorded kube-apiserver.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { startControllers, type RunningControllers } from '../../../../sandbox/controllers/index.js';
import { sandboxTestLogger } from '../../../../harness/sandbox-logger.js';
import { waitFor } from '../../../../harness/wait-for.js';
import { startTestServer, type TestServer } from '../helpers.js';
import { GoldenReplayer, isWatchPath, loadGolden, type ReplayOptions } from './replay.js';

const KVSTORE_CRD: unknown = JSON.parse(readFileSync(new URL('../../../fixtures/sandbox-apiserver/golden-kvstore-crd.json', import.meta.url), 'utf8'));

export async function prepareGoldenState(t: TestServer): Promise<void> {
  await t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'golden' } } });
  await t.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { body: KVSTORE_CRD });
  await waitFor('the redwing.dev API to be served', async () => (await t.request('GET', '/apis/redwing.dev/v1alpha1')).status === 200);
}

export interface GoldenHarness {
  t: TestServer;
  replayer: GoldenReplayer;
  /** Replays a file (with its watches, if it has any) and asserts that every compared exchange agreed. */
  replay(file: string, options?: ReplayOptions): Promise<void>;
}

/** Registers before/after hooks in the calling describe(); the fields are set once its before() hook has run. */
export function useGoldenServer(options: { controllers?: boolean; crd?: boolean; namespace?: boolean } = {}): GoldenHarness {
  const harness = {
    async replay(file: string, replayOptions: ReplayOptions = {}): Promise<void> {
      const watches = loadGolden(file).some((item) => item.request !== undefined && isWatchPath(item.request.path));
      const result = watches ? await harness.replayer.replayWatches(file, replayOptions) : await harness.replayer.replayFile(file, replayOptions);
      assert.ok(result.compared > 0);
      assert.deepEqual(result.mismatches, []);
    },
  } as GoldenHarness;
  let controllers: RunningControllers | undefined;
  before(async () => {
    harness.t = await startTestServer();
    harness.replayer = new GoldenReplayer(harness.t);
    if (options.crd !== false) await prepareGoldenState(harness.t);
    else if (options.namespace !== false) await harness.t.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'golden' } } });
    if (options.controllers) controllers = await startControllers({ kc: harness.t.kc, dir: harness.t.dir, logger: sandboxTestLogger() });
  });
  after(async () => {
    await controllers?.stop();
    await harness.t?.close();
  });
  return harness;
}
