/** The Pod Security "restricted" profile as a KVStore's security contexts can break it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyKVStoreDefaults } from '../../shared/defaulting.js';
import { restrictedProfileFindings } from '../../shared/pod-security.js';
import type { KVStoreSpec } from '../../shared/schema/kvstore.js';

const fieldsOf = (spec: KVStoreSpec): string[] => restrictedProfileFindings(applyKVStoreDefaults(spec, 's')).map((f) => f.field);

describe('restrictedProfileFindings', () => {
  it('finds nothing in the defaulted store', () => {
    assert.deepEqual(fieldsOf({}), []);
    assert.deepEqual(fieldsOf({ engine: 'dragonfly' }), []);
  });

  it('finds nothing before defaulting only where the profile is met: an empty context misses the required fields', () => {
    assert.deepEqual(restrictedProfileFindings({}).map((f) => f.field), [
      'spec.containerSecurityContext.allowPrivilegeEscalation', 'spec.containerSecurityContext.capabilities.drop',
      'spec.podSecurityContext.runAsNonRoot', 'spec.podSecurityContext.seccompProfile.type',
    ]);
  });

  it('names each field, at the level it is set', () => {
    const cases: Array<[KVStoreSpec, string[]]> = [
      [{ containerSecurityContext: { runAsNonRoot: false } }, ['spec.containerSecurityContext.runAsNonRoot']],
      [{ containerSecurityContext: { runAsUser: 0 } }, ['spec.containerSecurityContext.runAsUser', 'spec.podSecurityContext.runAsNonRoot']],
      [{ containerSecurityContext: { seccompProfile: { type: 'Unconfined' } } }, ['spec.containerSecurityContext.seccompProfile.type']],
      [{ containerSecurityContext: { procMount: 'Unmasked' } }, ['spec.containerSecurityContext.procMount']],
      [{ containerSecurityContext: { allowPrivilegeEscalation: true } }, ['spec.containerSecurityContext.allowPrivilegeEscalation']],
      [{ containerSecurityContext: { capabilities: { drop: ['NET_RAW'] } } }, ['spec.containerSecurityContext.capabilities.drop']],
      [{ containerSecurityContext: { capabilities: { add: ['NET_BIND_SERVICE', 'NET_ADMIN'] } } }, ['spec.containerSecurityContext.capabilities.add']],
      [{ podSecurityContext: { seLinuxOptions: { type: 'spc_t', user: 'root' } } }, ['spec.podSecurityContext.seLinuxOptions.type', 'spec.podSecurityContext.seLinuxOptions.user']],
      [{ podSecurityContext: { seLinuxOptions: { type: 'container_t', level: 's0:c1,c2' } } }, []],
      [{ podSecurityContext: { appArmorProfile: { type: 'Unconfined' } } }, ['spec.podSecurityContext.appArmorProfile.type']],
      [{ podSecurityContext: { windowsOptions: { hostProcess: true } } }, ['spec.podSecurityContext.windowsOptions.hostProcess']],
      [{ podSecurityContext: { sysctls: [{ name: 'net.core.somaxconn', value: '1024' }, { name: 'net.ipv4.tcp_syncookies', value: '1' }] } },
        ['spec.podSecurityContext.sysctls']],
      [{ podSecurityContext: { seccompProfile: { type: 'Localhost', localhostProfile: 'redis.json' } } }, []],
    ];
    for (const [spec, expected] of cases) assert.deepEqual(fieldsOf(spec), expected, JSON.stringify(spec));
  });

  it('says what the profile needs', () => {
    const [finding] = restrictedProfileFindings(applyKVStoreDefaults({ containerSecurityContext: { capabilities: { add: ['SYS_PTRACE'] } } }, 's'));
    assert.deepEqual(finding, { field: 'spec.containerSecurityContext.capabilities.add', message: 'adds "SYS_PTRACE"; only NET_BIND_SERVICE is allowed' });
  });
});
