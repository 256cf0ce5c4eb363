/** The webhook configurations `redwing start` installs into the sandbox, built from manifests/webhook/. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildLocalWebhookConfigurations } from '../../cli/local-install.js';

type Rule = { operations: string[]; resources: string[] };
type Webhook = { name: string; clientConfig: { url?: string; caBundle?: string; service?: unknown }; rules: Rule[] };

describe('buildLocalWebhookConfigurations', () => {
  const configurations = buildLocalWebhookConfigurations('https://127.0.0.1:9443', 'CA PEM') as unknown as Array<{ kind: string; webhooks: Webhook[] }>;
  const webhook = (kind: string, name: string): Webhook => configurations.find((c) => c.kind === kind)!.webhooks.find((w) => w.name === name)!;

  it('calls every webhook at the local URL with its path, trusting the given CA', () => {
    const all = configurations.flatMap((c) => c.webhooks);
    assert.deepEqual(all.map((w) => w.clientConfig.url).sort(), [
      'https://127.0.0.1:9443/mutate/kvstore', 'https://127.0.0.1:9443/validate/kvpolicy', 'https://127.0.0.1:9443/validate/kvstore',
    ]);
    for (const w of all) {
      assert.equal(w.clientConfig.service, undefined);
      assert.equal(Buffer.from(w.clientConfig.caBundle!, 'base64').toString(), 'CA PEM');
    }
  });

  it('sends kvstores/scale updates to the validating webhook only, and never the status subresource', () => {
    const validating = webhook('ValidatingWebhookConfiguration', 'validate.kvstore.redwing.dev').rules;
    assert.ok(validating.some((rule) => rule.resources.includes('kvstores/scale') && rule.operations.join() === 'UPDATE'));
    const mutating = webhook('MutatingWebhookConfiguration', 'mutate.kvstore.redwing.dev').rules;
    const everything = [...validating, ...mutating].flatMap((rule) => rule.resources);
    assert.ok(!mutating.some((rule) => rule.resources.includes('kvstores/scale')), 'a Scale has nothing to default');
    assert.ok(!everything.some((resource) => resource.includes('status') || resource.includes('*')));
  });
});
