import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { createCertificateAuthority } from '../../certs/authority.js';
import { CaBundleInjector } from '../../certs/ca-bundle-injector.js';
import { applyWebhookConfigurations, injectedBundles, resetCaBundles, startKube, type KubeHarness } from './kube-harness.js';
import { waitFor } from '../../harness/wait-for.js';

const logger = pino({ level: 'silent' });

describe('certs/ca-bundle-injector', () => {
  let kube: KubeHarness;
  const injectors: CaBundleInjector[] = [];
  before(async () => {
    kube = await startKube();
  });
  after(async () => {
    await Promise.all(injectors.map((i) => i.stop()));
    await kube.stop();
  });

  function startInjector(name: string, bundle: () => string): CaBundleInjector {
    const injector = new CaBundleInjector({
      client: kube.client,
      mutatingWebhookConfigurations: [name],
      validatingWebhookConfigurations: [name],
      desiredBundle: async () => bundle(),
      logger,
      // Long resync: re-injection below must come from the watch, not from the periodic pass.
      resyncIntervalMs: 600_000,
      reconnectDelayMs: 50,
    });
    injectors.push(injector);
    return injector;
  }

  it('injects into every webhook of both configurations and re-injects after a reset (watch)', async () => {
    await applyWebhookConfigurations(kube, 'hooks-a');
    const ca = createCertificateAuthority({ commonName: 'a' });
    const injector = startInjector('hooks-a', () => ca.certPem);
    await injector.start();
    assert.ok(injector.isInjected());
    assert.ok(injector.injectedSince(ca.certPem));
    assert.equal(injector.injectedSince(createCertificateAuthority({ commonName: 'other' }).certPem), undefined);
    const bundles = await injectedBundles(kube, 'hooks-a');
    assert.equal(bundles.length, 4);
    for (const bundle of bundles) assert.equal(bundle, ca.certPem);

    await resetCaBundles(kube, 'hooks-a');
    await waitFor('re-injection after reset', async () => (await injectedBundles(kube, 'hooks-a')).every((b) => b === ca.certPem));
    await waitFor('isInjected again', () => injector.isInjected());
  });

  it('reconnects a dropped watch and still re-injects (in-test fake API, which can cut watch streams)', async () => {
    const fakeKube = await startKube({ fake: true });
    const fake = fakeKube.fake!;
    after(() => fakeKube.stop());
    await applyWebhookConfigurations(fakeKube, 'hooks-b');
    const ca = createCertificateAuthority({ commonName: 'b' });
    const injector = new CaBundleInjector({
      client: fakeKube.client,
      mutatingWebhookConfigurations: ['hooks-b'],
      validatingWebhookConfigurations: ['hooks-b'],
      desiredBundle: async () => ca.certPem,
      logger,
      resyncIntervalMs: 600_000,
      reconnectDelayMs: 50,
    });
    injectors.push(injector);
    await injector.start();
    const watchesBefore = fake.counts.get('GET MutatingWebhookConfiguration') ?? 0;
    fake.dropWatches();
    await waitFor('watch reconnected', () => (fake.counts.get('GET MutatingWebhookConfiguration') ?? 0) > watchesBefore);
    await resetCaBundles(fakeKube, 'hooks-b');
    await waitFor('re-injection after reconnect', async () => (await injectedBundles(fakeKube, 'hooks-b')).every((b) => b === ca.certPem));
  });

  it('is not injected while a configuration is missing; injects once it is applied', async () => {
    const ca = createCertificateAuthority({ commonName: 'c' });
    const injector = startInjector('hooks-c', () => ca.certPem);
    await injector.start();
    assert.equal(injector.isInjected(), false);
    await applyWebhookConfigurations(kube, 'hooks-c');
    await waitFor('injected after apply', () => injector.isInjected());
    for (const bundle of await injectedBundles(kube, 'hooks-c')) assert.equal(bundle, ca.certPem);
  });

  it('follows a changed desired bundle (old + new CA) on reconcile', async () => {
    await applyWebhookConfigurations(kube, 'hooks-d');
    const oldCa = createCertificateAuthority({ commonName: 'd' });
    const newCa = createCertificateAuthority({ commonName: 'd' });
    let desired = oldCa.certPem;
    const injector = startInjector('hooks-d', () => desired);
    await injector.start();
    const firstSince = injector.injectedSince();
    assert.ok(firstSince);
    assert.ok(injector.trusts(oldCa.certPem));
    assert.equal(injector.trusts(newCa.certPem), false);
    desired = oldCa.certPem + newCa.certPem;
    await injector.reconcile();
    assert.ok(injector.isInjected());
    assert.ok(injector.trusts(oldCa.certPem) && injector.trusts(newCa.certPem));
    assert.ok(injector.injectedSince(desired));
    assert.equal(injector.injectedSince(oldCa.certPem), undefined, 'the old bundle is no longer what is injected');
    for (const bundle of await injectedBundles(kube, 'hooks-d')) assert.equal(bundle, desired);
  });
});
