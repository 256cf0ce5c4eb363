import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { describeCertificate, isIssuedBy, splitPemBundle } from '../../certs/authority.js';
import {
  applyRotationAction,
  createInitialState,
  defaultRotationPolicy,
  planRotation,
  startRotationDriver,
  type RotationAction,
} from '../../certs/rotation.js';
import { bundleCovers, decodeTlsSecret, encodeTlsSecret, type WebhookTlsState } from '../../certs/tls-state.js';

const SECOND_MS = 1000;
const t0 = new Date('2026-03-01T00:00:00Z');
const at = (seconds: number): Date => new Date(t0.getTime() + seconds * SECOND_MS);

const policy = defaultRotationPolicy({
  dnsNames: ['svc', 'svc.ns', 'svc.ns.svc', 'svc.ns.svc.cluster.local'],
  caValidityMs: 300 * SECOND_MS,
  servingValidityMs: 90 * SECOND_MS,
  backdateMs: 0,
  injectionSettleMs: 5 * SECOND_MS,
  previousCaOverlapMs: 20 * SECOND_MS,
});

function step(state: WebhookTlsState, action: RotationAction, now: Date): WebhookTlsState {
  const next = applyRotationAction(state, action, policy, now);
  assert.ok(next, `${action.kind} must change the state`);
  return next;
}

describe('certs/rotation planning', () => {
  const initial = createInitialState(policy, t0);

  it('starts with a CA, a serving cert from it, and a bundle of just that CA', () => {
    assert.ok(isIssuedBy(initial.serving.certPem, initial.ca.certPem));
    assert.equal(splitPemBundle(initial.caBundlePem).length, 1);
    assert.deepEqual(describeCertificate(initial.serving.certPem).dnsNames, policy.dnsNames);
    const action = planRotation(initial, policy, { now: at(1) });
    assert.equal(action.kind, 'none');
    // next check: serving renewal at 2/3 of 90s
    assert.equal(action.kind === 'none' && action.nextCheckAt.getTime(), at(60).getTime());
  });

  it('renews the serving cert after 2/3 of its life, from the same CA', () => {
    assert.equal(planRotation(initial, policy, { now: at(59) }).kind, 'none');
    const action = planRotation(initial, policy, { now: at(60) });
    assert.equal(action.kind, 'issue-serving');
    const renewed = step(initial, action, at(60));
    assert.equal(renewed.ca.certPem, initial.ca.certPem);
    assert.notEqual(renewed.serving.certPem, initial.serving.certPem);
    assert.ok(isIssuedBy(renewed.serving.certPem, initial.ca.certPem));
    assert.equal(describeCertificate(renewed.serving.certPem).notBefore.getTime(), at(60).getTime());
    assert.equal(planRotation(renewed, policy, { now: at(61) }).kind, 'none');
  });

  it('re-issues a serving cert that lacks a required name', () => {
    const wider = { ...policy, dnsNames: [...policy.dnsNames, 'localhost'] };
    const action = planRotation(initial, wider, { now: at(1) });
    assert.equal(action.kind, 'issue-serving');
    assert.match(action.kind === 'issue-serving' ? action.reason : '', /localhost/);
  });

  it('rotates the CA with overlap: add -> await injection + settle -> promote -> drop after overlap', () => {
    const due = at(200); // 2/3 of the CA's 300s
    // The overdue serving cert is renewed first, then the CA rotation starts.
    const first = planRotation(initial, policy, { now: due });
    assert.equal(first.kind, 'issue-serving');
    const fresh = step(initial, first, due);
    const add = planRotation(fresh, policy, { now: due });
    assert.equal(add.kind, 'add-next-ca');
    const overlapping = step(fresh, add, due);
    assert.ok(overlapping.nextCa);
    assert.equal(overlapping.ca.certPem, initial.ca.certPem, 'old CA still signs');
    assert.equal(overlapping.serving.certPem, fresh.serving.certPem, 'serving cert untouched until the bundle is out');
    assert.equal(splitPemBundle(overlapping.caBundlePem).length, 2);
    assert.ok(bundleCovers(overlapping.caBundlePem, initial.ca.certPem + overlapping.nextCa.certPem));

    // While the new bundle waits for injection, the serving cert is still renewed from the old CA when due.
    assert.equal(planRotation(overlapping, policy, { now: at(201) }).kind, 'await-injection');
    const renew = planRotation(overlapping, policy, { now: at(260) });
    assert.equal(renew.kind, 'issue-serving');
    const renewed = step(overlapping, renew, at(201));
    assert.ok(isIssuedBy(renewed.serving.certPem, initial.ca.certPem));
    assert.equal(renewed.nextCa, overlapping.nextCa);
    assert.equal(planRotation(renewed, policy, { now: at(201) }).kind, 'await-injection');
    assert.equal(planRotation(renewed, policy, { now: at(203), bundleInjectedSince: at(201) }).kind, 'await-injection');
    const promote = planRotation(renewed, policy, { now: at(206), bundleInjectedSince: at(201) });
    assert.equal(promote.kind, 'promote-next-ca');
    const promoted = step(renewed, promote, at(206));
    assert.equal(promoted.nextCa, undefined);
    assert.equal(promoted.ca.certPem, overlapping.nextCa.certPem);
    assert.ok(isIssuedBy(promoted.serving.certPem, promoted.ca.certPem));
    assert.equal(promoted.caBundlePem, overlapping.caBundlePem, 'both CAs stay trusted after the switch');
    assert.equal(promoted.dropPreviousCaAfter?.getTime(), at(226).getTime());

    assert.equal(planRotation(promoted, policy, { now: at(225) }).kind, 'none');
    const drop = planRotation(promoted, policy, { now: at(226) });
    assert.equal(drop.kind, 'drop-previous-ca');
    const dropped = step(promoted, drop, at(226));
    assert.equal(splitPemBundle(dropped.caBundlePem).length, 1);
    assert.ok(bundleCovers(dropped.caBundlePem, promoted.ca.certPem));
    assert.ok(!bundleCovers(dropped.caBundlePem, initial.ca.certPem));
    assert.equal(dropped.dropPreviousCaAfter, undefined);
    assert.equal(planRotation(dropped, policy, { now: at(227) }).kind, 'none');
  });

  it('recovers from an expired CA by rotating it, without trying to issue from it', () => {
    const expiredAt = at(300);
    const add = planRotation(initial, policy, { now: expiredAt });
    assert.deepEqual(add, { kind: 'add-next-ca', reason: 'CA expired' });
    const overlapping = step(initial, add, expiredAt);
    assert.equal(planRotation(overlapping, policy, { now: at(301) }).kind, 'await-injection');
    assert.equal(planRotation(overlapping, policy, { now: at(310), bundleInjectedSince: at(302) }).kind, 'promote-next-ca');
  });

  it('survives a Secret round trip at every stage of the rotation', () => {
    const overlapping = step(initial, { kind: 'add-next-ca', reason: 'test' }, at(200));
    const promoted = step(overlapping, { kind: 'promote-next-ca' }, at(210));
    for (const state of [initial, overlapping, promoted]) {
      const { data, annotations } = encodeTlsSecret(state);
      const decoded = decodeTlsSecret(data, annotations);
      assert.ok(decoded.ok);
      assert.deepEqual(encodeTlsSecret(decoded.state), encodeTlsSecret(state));
    }
    assert.equal(decodeTlsSecret({ 'tls.crt': 'eA==' }, {}).ok, false);
    const swapped = encodeTlsSecret(initial).data;
    swapped['tls.key'] = swapped['ca.key']!;
    const bad = decodeTlsSecret(swapped, {});
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.reason : '', /does not match/);
  });
});

describe('certs/rotation driver', () => {
  it('applies due steps against the store and sleeps when nothing is due', async () => {
    const shortPolicy = { ...policy, servingValidityMs: 3 * SECOND_MS, caValidityMs: 3600 * SECOND_MS };
    let stored = createInitialState(shortPolicy, new Date(Date.now() - 2500));
    const published: WebhookTlsState[] = [];
    const actions: string[] = [];
    const driver = startRotationDriver({
      policy: shortPolicy,
      refreshIntervalMs: 60_000,
      ports: {
        load: async () => stored,
        update: async (mutate) => {
          stored = mutate(stored) ?? stored;
          return stored;
        },
        bundleInjectedSince: () => undefined,
        publish: (state) => published.push(state),
      },
      onAction: (action) => actions.push(action.kind),
    });
    try {
      await driver.tick();
      assert.deepEqual(actions, ['issue-serving']);
      assert.equal(planRotation(stored, shortPolicy, { now: new Date() }).kind, 'none');
      assert.equal(published.at(-1), stored);
    } finally {
      await driver.stop();
    }
  });
});
