/**
 * The engine settings a user makes, from spec.config and spec.args together: what the webhook checks against the
 * owned settings and what the policy rules judge as the effective configuration. Pure.
 */
import { parseEngineArgs } from './engine-args.js';
import { ownedSetting, type OwnedSetting } from './owned-settings.js';
import type { Engine, KVStoreSpec } from './schema/kvstore.js';

export interface UserEngineSetting {
  /** Where it is set: `spec.config.<key>` or `spec.args[i]`. */
  field: string;
  /** The setting's name as written (config) or as the engine reads it (args). */
  key: string;
  values: string[];
  /** Set when the operator owns this setting. */
  owned?: OwnedSetting;
}

export interface UserEngineSettings {
  settings: UserEngineSetting[];
  /** Arguments the engine would misread or refuse, as `{field, message}`. */
  problems: Array<{ field: string; message: string }>;
}

/** Every setting spec.config and spec.args make on `engine`, each with its field under `prefix`. */
export function userEngineSettings(engine: Engine, spec: Pick<KVStoreSpec, 'config' | 'args'>, prefix = 'spec'): UserEngineSettings {
  const settings: UserEngineSetting[] = Object.entries(spec.config ?? {}).map(([key, value]) => ({
    field: `${prefix}.config.${key}`, key, values: [value], owned: ownedSetting(engine, key),
  }));
  const parsed = parseEngineArgs(engine, spec.args);
  for (const { key, values, index } of parsed.settings) {
    settings.push({ field: `${prefix}.args[${index}]`, key, values, owned: ownedSetting(engine, key) });
  }
  const problems = parsed.problems.map(({ index, message }) => ({ field: `${prefix}.args[${index}]`, message }));
  return { settings, problems };
}
