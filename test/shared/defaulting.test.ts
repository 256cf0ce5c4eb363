import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  applyKVStoreDefaults, buildPodAntiAffinity, DEFAULT_CONTAINER_SECURITY_CONTEXT, DEFAULT_POD_SECURITY_CONTEXT,
  isMaterialisedAntiAffinity,
} from '../../shared/defaulting.js';
import { validateKVStoreSpecSchema } from '../../shared/validators.js';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';

const minimal = JSON.parse(readFileSync(new URL('../fixtures/kvstore/minimal.json', import.meta.url), 'utf8'));
const minimalDefaulted = JSON.parse(readFileSync(new URL('../fixtures/kvstore/minimal.defaulted.json', import.meta.url), 'utf8'));

describe('applyKVStoreDefaults', () => {
  it('turns the three-line KVStore into the committed defaulted fixture', () => {
    const spec = applyKVStoreDefaults(minimal.spec, minimal.metadata.name);
    assert.deepEqual({ ...minimal, spec }, minimalDefaulted);
  });

  it('fills every default of DESIGN.md for an empty spec', () => {
    const spec = applyKVStoreDefaults(undefined, 'cache');
    assert.equal(spec.engine, 'redis');
    assert.equal(spec.image, 'redis:7.4');
    assert.equal(spec.imagePullPolicy, 'IfNotPresent');
    assert.equal(spec.replicas, 3);
    assert.deepEqual(spec.resources, { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } });
    assert.deepEqual(spec.config, { maxmemory: '429496729' });
    assert.deepEqual(spec.persistence, { enabled: true, mode: 'rdb+aof', size: '1Gi', keepAfterDeletion: true });
    assert.deepEqual(spec.snapshot, { dir: '/data', source: 'replica', onShutdown: true });
    assert.deepEqual(spec.authentication, { enabled: true, passwordFromSecret: { name: 'cache-auth', key: 'password' } });
    assert.deepEqual(spec.tls, { enabled: false });
    assert.equal(spec.antiAffinity, 'preferred');
    assert.deepEqual(spec.affinity, {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{
          weight: 100,
          podAffinityTerm: {
            labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'kvstore', 'app.kubernetes.io/instance': 'cache' } },
            topologyKey: 'kubernetes.io/hostname',
          },
        }],
      },
    });
    assert.deepEqual(spec.failover, { enabled: true, downAfterMilliseconds: 1000 });
    assert.deepEqual(spec.replication, { minReplicasToWrite: 0 });
    assert.deepEqual(spec.service, { type: 'ClusterIP', readReplicas: true });
    assert.deepEqual(spec.pdb, { maxUnavailable: 1 });
    assert.deepEqual(spec.exporter, { enabled: false, image: 'oliver006/redis_exporter:v1.67.0' });
    assert.deepEqual(spec.networkPolicy, { enabled: false });
    assert.deepEqual(spec.podSecurityContext, DEFAULT_POD_SECURITY_CONTEXT);
    assert.deepEqual(spec.containerSecurityContext, DEFAULT_CONTAINER_SECURITY_CONTEXT);
    assert.equal(spec.terminationGracePeriodSeconds, 30);
    assert.deepEqual(validateKVStoreSpecSchema(spec), []);
  });

  it('is idempotent over a range of specs', () => {
    const specs: KVStoreSpec[] = [
      {}, { engine: 'dragonfly' }, { replicas: 1, antiAffinity: 'none' }, { antiAffinity: 'required' },
      { tls: { enabled: true }, authentication: { enabled: false } },
      { resources: { requests: { memory: '1Gi' } } }, { resources: { limits: { memory: '2Gi', cpu: '1' } } },
      { config: { MaxMemory: '100mb' } }, { pdb: { minAvailable: 2 } },
      { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } },
    ];
    for (const input of specs) {
      const once = applyKVStoreDefaults(input, 'store');
      assert.deepEqual(applyKVStoreDefaults(once, 'store'), once, JSON.stringify(input));
      assert.deepEqual(validateKVStoreSpecSchema(once), [], JSON.stringify(input));
    }
  });

  it('does not modify its input', () => {
    const input: KVStoreSpec = { tls: { enabled: true }, resources: { limits: { memory: '1Gi' } } };
    const copy = structuredClone(input);
    applyKVStoreDefaults(input, 's');
    assert.deepEqual(input, copy);
  });

  it('uses the dragonfly image and rdb persistence for dragonfly', () => {
    const spec = applyKVStoreDefaults({ engine: 'dragonfly' }, 'df');
    assert.equal(spec.image, 'docker.dragonflydb.io/dragonflydb/dragonfly:v1.34.1');
    assert.equal(spec.persistence?.mode, 'rdb');
    assert.equal(applyKVStoreDefaults({ engine: 'valkey' }, 'v').image, 'valkey/valkey:8.1');
  });

  it('computes maxmemory from the memory limit only when the user set none', () => {
    assert.equal(applyKVStoreDefaults({ resources: { limits: { memory: '1Gi' } } }, 's').config?.maxmemory, String(Math.floor(2 ** 30 * 0.8)));
    assert.deepEqual(applyKVStoreDefaults({ config: { maxmemory: '100mb' } }, 's').config, { maxmemory: '100mb' });
    assert.deepEqual(applyKVStoreDefaults({ config: { MAXMEMORY: '1mb' } }, 's').config, { MAXMEMORY: '1mb' });
    const noLimit = applyKVStoreDefaults({ resources: { requests: { memory: '1Gi' } } }, 's');
    assert.equal(noLimit.config, undefined);
    assert.deepEqual(noLimit.resources, { requests: { memory: '1Gi', cpu: '100m' } });
  });

  it('does not default a request above a user limit', () => {
    const spec = applyKVStoreDefaults({ resources: { limits: { memory: '128Mi' } } }, 's');
    assert.deepEqual(spec.resources, { limits: { memory: '128Mi' }, requests: { cpu: '100m' } });
  });

  it('materialises required anti-affinity and respects a user term', () => {
    const required = applyKVStoreDefaults({ antiAffinity: 'required' }, 's');
    assert.deepEqual(required.affinity?.podAntiAffinity, buildPodAntiAffinity('required', 's'));
    assert.equal(required.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0]?.topologyKey, 'kubernetes.io/hostname');
    const own = { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, podAffinityTerm: { topologyKey: 'zone' } }] };
    assert.deepEqual(applyKVStoreDefaults({ affinity: { podAntiAffinity: own } }, 's').affinity, { podAntiAffinity: own });
    assert.equal(applyKVStoreDefaults({ antiAffinity: 'none' }, 's').affinity, undefined);
  });

  it('re-materialises its own term when antiAffinity changes', () => {
    const preferred = applyKVStoreDefaults({}, 's');
    assert.ok(isMaterialisedAntiAffinity(preferred.affinity?.podAntiAffinity, 's'));
    const switched = applyKVStoreDefaults({ ...preferred, antiAffinity: 'required' }, 's');
    assert.deepEqual(switched.affinity?.podAntiAffinity, buildPodAntiAffinity('required', 's'));
    const none = applyKVStoreDefaults({ ...preferred, antiAffinity: 'none' }, 's');
    assert.deepEqual(none.affinity, {});
  });

  it('defaults the password Secret only with authentication on and the TLS secret only with TLS on', () => {
    assert.deepEqual(applyKVStoreDefaults({ authentication: { enabled: false } }, 's').authentication, { enabled: false });
    const own = applyKVStoreDefaults({ authentication: { passwordFromSecret: { name: 'x', key: 'y' } } }, 's');
    assert.deepEqual(own.authentication, { enabled: true, passwordFromSecret: { name: 'x', key: 'y' } });
    assert.deepEqual(applyKVStoreDefaults({ tls: { enabled: true } }, 's').tls, { enabled: true, secretName: 's-tls' });
    assert.deepEqual(applyKVStoreDefaults({ tls: { enabled: true, secretName: 'mine' } }, 's').tls, { enabled: true, secretName: 'mine' });
  });

  it('defaults the pdb only for several replicas and no pdb field', () => {
    assert.equal(applyKVStoreDefaults({ replicas: 1 }, 's').pdb, undefined);
    assert.deepEqual(applyKVStoreDefaults({ replicas: 2 }, 's').pdb, { maxUnavailable: 1 });
    assert.deepEqual(applyKVStoreDefaults({ pdb: { minAvailable: '50%' } }, 's').pdb, { minAvailable: '50%' });
  });

  // Issue 12: setting one field used to drop every other default of the context (the whole object was the user's).
  it('merges a user security context field by field: one field set keeps every other default', () => {
    const spec = applyKVStoreDefaults({ containerSecurityContext: { readOnlyRootFilesystem: false } }, 's');
    assert.deepEqual(spec.containerSecurityContext, { ...DEFAULT_CONTAINER_SECURITY_CONTEXT, readOnlyRootFilesystem: false });
    assert.deepEqual(spec.podSecurityContext, DEFAULT_POD_SECURITY_CONTEXT);
    const pod = applyKVStoreDefaults({ podSecurityContext: { runAsUser: 1000, fsGroup: 2000 } }, 's').podSecurityContext;
    assert.deepEqual(pod, { ...DEFAULT_POD_SECURITY_CONTEXT, runAsUser: 1000, fsGroup: 2000 });
  });

  it('merges capabilities by add and drop, and keeps a user seccomp profile whole', () => {
    const spec = applyKVStoreDefaults({
      containerSecurityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } },
      podSecurityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/redis.json' } },
    }, 's');
    assert.deepEqual(spec.containerSecurityContext?.capabilities, { add: ['NET_BIND_SERVICE'], drop: ['ALL'] });
    assert.deepEqual(spec.podSecurityContext?.seccompProfile, { type: 'Localhost', localhostProfile: 'profiles/redis.json' });
    const own = applyKVStoreDefaults({ containerSecurityContext: { capabilities: { drop: ['NET_RAW'] } } }, 's');
    assert.deepEqual(own.containerSecurityContext?.capabilities, { drop: ['NET_RAW'] });
  });

  it('treats null as unset, and leaves the input alone', () => {
    const input = { containerSecurityContext: { allowPrivilegeEscalation: null } } as unknown as KVStoreSpec;
    const copy = structuredClone(input);
    assert.equal(applyKVStoreDefaults(input, 's').containerSecurityContext?.allowPrivilegeEscalation, false);
    assert.deepEqual(input, copy);
  });

  it('does not add runAsNonRoot when the user asks for root at either level (the pod could not start)', () => {
    for (const asked of [
      { podSecurityContext: { runAsUser: 0 } }, { containerSecurityContext: { runAsUser: 0 } },
      { podSecurityContext: { runAsNonRoot: false } }, { containerSecurityContext: { runAsNonRoot: false } },
    ] as KVStoreSpec[]) {
      const spec = applyKVStoreDefaults(asked, 's');
      assert.notEqual(spec.podSecurityContext?.runAsNonRoot, true, JSON.stringify(asked));
      assert.notEqual(spec.containerSecurityContext?.runAsNonRoot, true, JSON.stringify(asked));
      assert.deepEqual(spec.containerSecurityContext?.capabilities, { drop: ['ALL'] }, 'the other defaults stay');
      assert.equal(spec.podSecurityContext?.seccompProfile?.type, 'RuntimeDefault');
    }
  });

  it('does not add allowPrivilegeEscalation: false next to privileged or CAP_SYS_ADMIN (the API server refuses those pairs)', () => {
    for (const container of [{ privileged: true }, { capabilities: { add: ['CAP_SYS_ADMIN'] } }]) {
      const spec = applyKVStoreDefaults({ containerSecurityContext: container }, 's');
      assert.equal(spec.containerSecurityContext?.allowPrivilegeEscalation, undefined, JSON.stringify(container));
      assert.equal(spec.containerSecurityContext?.readOnlyRootFilesystem, true);
    }
    const accepted = applyKVStoreDefaults({ containerSecurityContext: { capabilities: { add: ['SYS_ADMIN'] } } }, 's');
    assert.equal(accepted.containerSecurityContext?.allowPrivilegeEscalation, false, 'the API server accepts SYS_ADMIN with it');
  });

  it('merges idempotently', () => {
    for (const input of [
      { containerSecurityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } },
      { podSecurityContext: { runAsUser: 0 }, containerSecurityContext: { readOnlyRootFilesystem: false } },
      { containerSecurityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } },
    ] as KVStoreSpec[]) {
      const once = applyKVStoreDefaults(input, 's');
      assert.deepEqual(applyKVStoreDefaults(once, 's'), once, JSON.stringify(input));
    }
  });
});
