import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { V1Container, V1StatefulSet } from '@kubernetes/client-node';
import { ANNOTATION_CONFIG_HASH, LABEL_ROLE, storeLabels, storeSelectorLabels } from '../../../shared/labels.js';
import {
  buildAuthSecret, buildDesiredObjects, buildExporterSecret, ENGINE_CONTAINER_NAME, EXPORTER_CONTAINER_NAME, FENCE_MASTER_HOST,
  FENCE_MASTER_PORT, generatePassword,
} from '../../../reconciler/desired/index.js';
import { ENGINES, maximalStore, minimalStore } from './stores.js';
import { validateKubernetesObject } from './schema-validation.js';

function engineContainer(sts: V1StatefulSet): V1Container {
  const container = sts.spec?.template.spec?.containers.find((c) => c.name === ENGINE_CONTAINER_NAME);
  assert.ok(container, 'engine container');
  return container;
}

describe('buildDesiredObjects: valid Kubernetes objects', () => {
  for (const engine of ENGINES) {
    for (const [label, store] of [['minimal', minimalStore(engine)], ['maximal', maximalStore(engine)]] as const) {
      it(`${engine}, ${label} spec: every object passes the Kubernetes schema and the client serializer`, () => {
        const objects = buildDesiredObjects(store);
        const all = Object.values(objects);
        assert.ok(all.length >= 4);
        for (const object of all) validateKubernetesObject(object);
        const secret = buildAuthSecret(minimalStore(engine));
        assert.ok(secret);
        validateKubernetesObject(secret);
        const exporterSecret = buildExporterSecret(store);
        if (label === 'maximal' && engine !== 'dragonfly') {
          assert.ok(exporterSecret, 'the exporter user\'s Secret');
          validateKubernetesObject(exporterSecret);
        } else {
          assert.equal(exporterSecret, undefined, 'no exporter user: exporter off or no --user on dragonfly');
        }
      });
    }
  }

  it('the validation itself catches a misspelt field and a wrongly typed one', () => {
    const { statefulSet, networkPolicy } = buildDesiredObjects(maximalStore('redis'));
    const misspelt = structuredClone(statefulSet) as unknown as { spec: Record<string, unknown> };
    misspelt.spec.podManagmentPolicy = 'Parallel';
    assert.throws(() => validateKubernetesObject(misspelt as never), /unknown to the client serializer/);
    const wrongType = structuredClone(statefulSet);
    (wrongType.spec!.template.spec!.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'six';
    assert.throws(() => validateKubernetesObject(wrongType), /containerPort must be integer/);
    const wire = structuredClone(networkPolicy!) as unknown as { spec: { ingress: Array<Record<string, unknown>> } };
    wire.spec.ingress[0] = { from: wire.spec.ingress[0]!._from, ports: wire.spec.ingress[0]!.ports };
    validateKubernetesObject(wire as never); // the wire spelling is accepted too: the apply layer converts it
  });

  it('rejects a store without identity (the owner reference needs a uid)', () => {
    const store = minimalStore('redis');
    delete store.metadata.uid;
    assert.throws(() => buildDesiredObjects(store), /uid/);
  });
});

describe('buildDesiredObjects: ownership and labels', () => {
  it('labels every object and points it at the store as controller owner', () => {
    const store = maximalStore('redis');
    for (const object of Object.values(buildDesiredObjects(store))) {
      assert.deepEqual(object.metadata?.labels, storeLabels('sessions'), `${object.kind} labels`);
      assert.equal(object.metadata?.namespace, 'shop');
      assert.deepEqual(object.metadata?.ownerReferences, [{
        apiVersion: 'redwing.dev/v1alpha1', kind: 'KVStore', name: 'sessions', uid: store.metadata.uid,
        controller: true, blockOwnerDeletion: true,
      }]);
    }
  });

  it('names the objects as DESIGN.md says and omits the optional ones when off', () => {
    const minimal = buildDesiredObjects(minimalStore('redis'));
    assert.equal(minimal.configMap.metadata?.name, 'cache-config');
    assert.equal(minimal.statefulSet.metadata?.name, 'cache');
    assert.equal(minimal.headlessService.metadata?.name, 'cache-headless');
    assert.equal(minimal.masterService.metadata?.name, 'cache');
    assert.equal(minimal.readService?.metadata?.name, 'cache-replicas');
    assert.equal(minimal.podDisruptionBudget?.metadata?.name, 'cache');
    assert.equal(minimal.networkPolicy, undefined);

    const single = minimalStore('redis');
    single.spec = { ...single.spec, replicas: 1, service: { readReplicas: false } };
    const objects = buildDesiredObjects(single);
    assert.equal(objects.readService, undefined);
    assert.equal(objects.podDisruptionBudget, undefined, 'no PDB for one pod with no budget set');
  });
});

describe('Services', () => {
  it('headless publishes not-ready pods; master and read Services select by role', () => {
    const { headlessService, masterService, readService } = buildDesiredObjects(maximalStore('valkey'));
    assert.equal(headlessService.spec?.clusterIP, 'None');
    assert.equal(headlessService.spec?.publishNotReadyAddresses, true);
    assert.deepEqual(headlessService.spec?.selector, storeSelectorLabels('sessions'));
    assert.deepEqual(headlessService.spec?.ports?.map((p) => p.port), [6379, 9121]);
    assert.deepEqual(masterService.spec?.selector, { ...storeSelectorLabels('sessions'), [LABEL_ROLE]: 'master' });
    assert.deepEqual(readService?.spec?.selector, { ...storeSelectorLabels('sessions'), [LABEL_ROLE]: 'replica' });
    assert.equal(masterService.spec?.type, 'LoadBalancer');
    assert.equal(masterService.metadata?.annotations?.['service.beta.kubernetes.io/aws-load-balancer-internal'], 'true');
    assert.equal(headlessService.metadata?.annotations, undefined, 'LB annotations stay off the headless Service');
  });
});

describe('StatefulSet', () => {
  it('is OnDelete, Parallel, selects stable labels and claims storage when persistent', () => {
    const sts = buildDesiredObjects(maximalStore('redis')).statefulSet;
    assert.equal(sts.spec?.serviceName, 'sessions-headless');
    assert.equal(sts.spec?.podManagementPolicy, 'Parallel');
    assert.deepEqual(sts.spec?.updateStrategy, { type: 'OnDelete' });
    assert.deepEqual(sts.spec?.selector, { matchLabels: storeSelectorLabels('sessions') });
    assert.equal(sts.spec?.replicas, 5);
    const [claim] = sts.spec?.volumeClaimTemplates ?? [];
    assert.equal(claim?.metadata?.name, 'data');
    assert.equal(claim?.spec?.storageClassName, 'fast-ssd');
    assert.equal(claim?.spec?.resources?.requests?.storage, '20Gi');
    assert.equal(sts.spec?.template.spec?.volumes?.some((v) => v.name === 'data'), false, 'the claim provides the data volume');
  });

  it('uses an emptyDir and no claim when persistence is off', () => {
    const store = minimalStore('redis');
    store.spec = { ...store.spec, persistence: { enabled: false } };
    const sts = buildDesiredObjects(store).statefulSet;
    assert.equal(sts.spec?.volumeClaimTemplates, undefined);
    assert.deepEqual(sts.spec?.template.spec?.volumes?.find((v) => v.name === 'data'), { name: 'data', emptyDir: {} });
    assert.equal(engineContainer(sts).lifecycle, undefined, 'nothing durable to save to');
  });

  it('passes scheduling, security and pod metadata through, and keeps operator labels authoritative', () => {
    const store = maximalStore('redis');
    store.spec!.podMetadata!.labels = { team: 'payments', 'app.kubernetes.io/instance': 'hijack' };
    const sts = buildDesiredObjects(store).statefulSet;
    const pod = sts.spec?.template.spec;
    assert.deepEqual(pod?.nodeSelector, { 'node.kubernetes.io/pool': 'databases' });
    assert.equal(pod?.tolerations?.[0]?.key, 'dedicated');
    assert.equal(pod?.topologySpreadConstraints?.[0]?.topologyKey, 'topology.kubernetes.io/zone');
    assert.equal(pod?.priorityClassName, 'high-priority');
    assert.ok(pod?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution, 'required anti-affinity materialised');
    assert.equal(pod?.securityContext?.runAsUser, 1001);
    assert.equal(pod?.terminationGracePeriodSeconds, 60);
    assert.deepEqual(pod?.imagePullSecrets, [{ name: 'registry-credentials' }]);
    assert.equal(pod?.automountServiceAccountToken, false);
    assert.equal(pod?.enableServiceLinks, false);
    const labels = sts.spec?.template.metadata?.labels;
    assert.equal(labels?.team, 'payments');
    assert.equal(labels?.['app.kubernetes.io/instance'], 'sessions');
    assert.equal(labels?.[LABEL_ROLE], undefined, 'the role label is the reconciler\'s, per pod, not the template\'s');
    assert.equal(sts.spec?.template.metadata?.annotations?.['prometheus.io/scrape'], 'true');
    assert.match(sts.spec?.template.metadata?.annotations?.[ANNOTATION_CONFIG_HASH] ?? '', /^[0-9a-f]{16}$/);
  });

  it('defaults the secure contexts when the spec leaves them out', () => {
    const sts = buildDesiredObjects(minimalStore('redis')).statefulSet;
    assert.equal(sts.spec?.template.spec?.securityContext?.runAsNonRoot, true);
    const container = engineContainer(sts);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
    assert.ok(container.volumeMounts?.some((m) => m.mountPath === '/tmp'), 'a writable /tmp under a read-only root');
  });

  it('engine container: password from the Secret by env and $(VAR) args, downward API, probes, preStop', () => {
    const sts = buildDesiredObjects(maximalStore('redis')).statefulSet;
    const container = engineContainer(sts);
    assert.deepEqual(container.command, ['redis-server']);
    assert.deepEqual(container.args, [
      '/etc/redis/redis.conf', '--replica-announce-ip', '$(POD_IP)', '--requirepass', '$(REDIS_PASSWORD)', '--masterauth', '$(REDIS_PASSWORD)',
      // The exporter's own user (exporter-auth.test.ts), then spec.args.
      '--user', 'redwing-exporter', 'reset', 'on', '>$(REDWING_EXPORTER_PASSWORD)', 'resetchannels',
      '-@all', '+ping', '+info', '+client|setname', '+slowlog|get', '+slowlog|len', '+latency|latest', '+latency|histogram',
      '--loglevel', 'verbose',
    ]);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
    assert.deepEqual(env.REDIS_PASSWORD?.valueFrom?.secretKeyRef, { name: 'sessions-password', key: 'secret' });
    assert.equal(env.POD_IP?.valueFrom?.fieldRef?.fieldPath, 'status.podIP');
    assert.equal(env.POD_NAME?.valueFrom?.fieldRef?.fieldPath, 'metadata.name');
    assert.deepEqual(container.readinessProbe?.exec?.command, ['sh', '/etc/redis/probe.sh', 'readiness']);
    assert.deepEqual(container.livenessProbe?.exec?.command, ['sh', '/etc/redis/probe.sh', 'liveness']);
    assert.deepEqual(container.lifecycle?.preStop?.exec?.command, ['sh', '/etc/redis/probe.sh', 'pre-stop']);
    const volumes = sts.spec?.template.spec?.volumes ?? [];
    assert.deepEqual(volumes.find((v) => v.name === 'auth')?.secret?.items, [{ key: 'secret', path: 'password' }]);
    assert.equal(volumes.find((v) => v.name === 'tls')?.secret?.secretName, 'sessions-cert');
    // The reconciler's bundle (the user's client CA, the serving CA, the operator CA), never the user's Secret itself.
    assert.equal(volumes.find((v) => v.name === 'client-ca')?.secret?.secretName, 'sessions-client-ca-bundle');
    assert.equal(volumes.find((v) => v.name === 'config')?.configMap?.name, 'sessions-config');
  });

  it('no password anywhere when authentication is off; a preStop that stops without saving when onShutdown is off', () => {
    const store = minimalStore('valkey');
    store.spec = { ...store.spec, authentication: { enabled: false }, snapshot: { onShutdown: false } };
    const sts = buildDesiredObjects(store).statefulSet;
    const container = engineContainer(sts);
    assert.deepEqual(container.command, ['valkey-server']);
    assert.deepEqual(container.args, ['/etc/redis/redis.conf', '--replica-announce-ip', '$(POD_IP)']);
    assert.equal(container.env?.some((e) => e.name === 'REDIS_PASSWORD'), false);
    assert.equal(sts.spec?.template.spec?.volumes?.some((v) => v.name === 'auth'), false);
    assert.deepEqual(container.lifecycle?.preStop?.exec?.command, ['sh', '/etc/redis/probe.sh', 'pre-stop']);
    assert.match(buildDesiredObjects(store).configMap.data!['probe.sh']!, /run SHUTDOWN NOSAVE/);
    assert.match(buildDesiredObjects(minimalStore('valkey')).configMap.data!['probe.sh']!, /run SHUTDOWN SAVE/);
    assert.equal(buildAuthSecret(store), undefined);
  });

  it('dragonfly runs with its flag file and flag-style password arguments', () => {
    const container = engineContainer(buildDesiredObjects(minimalStore('dragonfly')).statefulSet);
    assert.deepEqual(container.command, ['dragonfly']);
    assert.deepEqual(container.args, [
      '--flagfile=/etc/redis/dragonfly.flags', '--requirepass=$(REDIS_PASSWORD)', '--masterauth=$(REDIS_PASSWORD)',
    ]);
  });

  it('adds the exporter sidecar only when enabled, with TLS settings when TLS is on', () => {
    assert.equal(buildDesiredObjects(minimalStore('redis')).statefulSet.spec?.template.spec?.containers.length, 1);
    const containers = buildDesiredObjects(maximalStore('redis')).statefulSet.spec?.template.spec?.containers ?? [];
    const exporter = containers.find((c) => c.name === EXPORTER_CONTAINER_NAME);
    assert.ok(exporter);
    assert.equal(exporter.ports?.[0]?.containerPort, 9121);
    const env = Object.fromEntries((exporter.env ?? []).map((e) => [e.name, e]));
    assert.equal(env.REDIS_ADDR?.value, 'rediss://localhost:6379');
    assert.ok(env.REDIS_EXPORTER_TLS_CLIENT_CERT_FILE);
    // Its own ACL user, whose password does not rotate with the store's (exporter-auth.test.ts).
    assert.equal(env.REDIS_USER?.value, 'redwing-exporter');
    assert.deepEqual(env.REDIS_PASSWORD?.valueFrom?.secretKeyRef, { name: 'sessions-exporter-auth', key: 'password' });
  });
});

describe('PodDisruptionBudget and NetworkPolicy', () => {
  it('PDB: maxUnavailable 1 by default, the user budget when set', () => {
    assert.equal(buildDesiredObjects(minimalStore('redis')).podDisruptionBudget?.spec?.maxUnavailable, 1);
    const pdb = buildDesiredObjects(maximalStore('redis')).podDisruptionBudget;
    assert.equal(pdb?.spec?.minAvailable, 3);
    assert.equal(pdb?.spec?.maxUnavailable, undefined);
    assert.deepEqual(pdb?.spec?.selector, { matchLabels: storeSelectorLabels('sessions') });
  });

  it('NetworkPolicy admits the namespace, the allowed namespaces and the operator, on the engine and exporter ports', () => {
    const policy = buildDesiredObjects(maximalStore('redis'), { operatorNamespace: 'ops' }).networkPolicy;
    assert.ok(policy);
    const rule = policy.spec?.ingress?.[0];
    assert.deepEqual(rule?._from, [
      { podSelector: {} },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'frontend' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ops' } } },
    ]);
    assert.deepEqual(rule?.ports?.map((p) => p.port), [6379, 9121]);
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress']);
  });
});

describe('auth Secret', () => {
  it('creates the defaulted Secret with a random password, never a user-named one', () => {
    const secret = buildAuthSecret(minimalStore('redis'), {}, 'fixed-password');
    assert.equal(secret?.metadata?.name, 'cache-auth');
    assert.equal(Buffer.from(secret?.data?.password ?? '', 'base64').toString(), 'fixed-password');
    assert.equal(buildAuthSecret(maximalStore('redis')), undefined, 'sessions-password is the user\'s');
    const a = generatePassword();
    const b = generatePassword();
    assert.notEqual(a, b);
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  });
});
