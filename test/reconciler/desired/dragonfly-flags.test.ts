// The Dragonfly flags Redwing renders, against what a real Dragonfly v1.34.1 was run with and answered
// (../shared/research/dragonfly: scenario-notes.json and transcripts.json).
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseEngineConfig, renderEngineConfig } from '../../../reconciler/desired/index.js';
import { DRAGONFLY_SNAPSHOT_NAME } from '../../../reconciler/desired/engine-settings.js';
import { isLiveSettable } from '../../../reconciler/desired/live-settings.js';
import { DRAGONFLY_RESEARCH_DIR, dragonflyRecordingsSkip, readRecordings } from '../../helpers/resp-replay-server.js';
import { maximalStore, minimalStore } from './stores.js';

interface ScenarioNote { scenario: string; observation: string; data: unknown }

const notesPath = `${DRAGONFLY_RESEARCH_DIR}/scenario-notes.json`;
const notes: ScenarioNote[] = existsSync(notesPath) ? JSON.parse(readFileSync(notesPath, 'utf8')) as ScenarioNote[] : [];
const note = (scenario: string, observation: RegExp) => notes.find((entry) => entry.scenario === scenario && observation.test(entry.observation))?.data;

/** Flags in a recorded flag list (an array of arguments, or one string of them): name, and whether it took a value. */
function recordedFlags(flags: unknown): Array<{ name: string; valued: boolean }> {
  const words = Array.isArray(flags) ? flags.map(String) : String(flags).split(/\s+/);
  return words.filter((word) => word.startsWith('--')).map((word) => ({ name: word.slice(2).split('=')[0]!, valued: word.includes('=') }));
}

describe('rendered Dragonfly flags against the recordings', { skip: dragonflyRecordingsSkip }, () => {
  it('TLS with client certificates renders every flag the working TLS replication used', () => {
    const rendered = parseEngineConfig('dragonfly', renderEngineConfig(maximalStore('dragonfly')));
    for (const scenario of ['tls-replication-replica-with-tls_replication-and-tls', 'tls-replication-master-requires-client-cert']) {
      const flags = recordedFlags(note(scenario, /replica flags/));
      assert.ok(flags.length >= 3, scenario);
      for (const { name, valued } of flags) {
        assert.ok(rendered.has(name), `--${name} rendered (${scenario})`);
        if (!valued) assert.equal(rendered.get(name), 'true', `--${name} switched on (${scenario})`);
      }
    }
    assert.equal(rendered.has('admin_port'), false, 'no second listener: with --tls it would speak TLS, without it it would bypass spec.tls');
  });

  it('snapshots under the name the recorded default format wrote, loaded at start from the same --dir', () => {
    const rendered = parseEngineConfig('dragonfly', renderEngineConfig(minimalStore('dragonfly')));
    assert.equal(rendered.get('dbfilename'), DRAGONFLY_SNAPSHOT_NAME);
    const files = note('master-default-format', /after BGSAVE/) as string[];
    assert.deepEqual(files.filter((file) => file.startsWith(`${DRAGONFLY_SNAPSHOT_NAME}-`)).sort(), files.sort(), 'dbfilename is the prefix of every file');
    assert.equal(rendered.get('break_replication_on_master_restart'), 'true', 'without it an empty restarted master wiped its replica (recorded)');
  });

  it('treats as live exactly the flags the recorded Dragonfly has in its config registry', () => {
    const all = readRecordings('transcripts.json').find((entry) => entry.command.join(' ') === 'CONFIG GET *')?.reply as string[];
    const registry = new Set(all.filter((_, index) => index % 2 === 0));
    for (const accepted of ['maxmemory', 'requirepass', 'masterauth', 'tcp_keepalive', 'timeout']) {
      assert.equal(isLiveSettable('dragonfly', accepted), true, `${accepted} was set live`);
    }
    for (const refused of ['maxmemory-policy', 'save', 'appendonly', 'min-replicas-to-write', 'hz', 'loglevel', 'dir', 'lua_resp2_legacy_float']) {
      assert.equal(isLiveSettable('dragonfly', refused), false, `${refused}: refused by CONFIG SET or not in the registry`);
    }
    for (const live of ['maxmemory', 'masterauth', 'requirepass', 'snapshot_cron', 'tcp_keepalive', 'timeout', 'replication_timeout']) {
      assert.ok(registry.has(live), `${live} is in the registry`);
    }
  });
});
