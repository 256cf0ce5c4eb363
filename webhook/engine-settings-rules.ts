/**
 * spec.config and spec.args may not set what the operator owns (shared/owned-settings.ts), in any spelling the
 * engine accepts, and spec.args may not hold arguments the engine would misread. Pure.
 */
import { ENGINES, type Engine, type KVStoreSpec } from '../shared/schema/kvstore.js';
import { userEngineSettings } from '../shared/user-engine-settings.js';
import type { FieldError } from '../shared/validators.js';

/**
 * Errors of the user's engine settings under `prefix`. `engine` undefined (a KVPolicy's partial `defaults`, which
 * can land on a store of any engine) judges the settings as every engine would read them.
 */
export function checkUserEngineSettings(spec: Pick<KVStoreSpec, 'config' | 'args'>, prefix: string, engine: Engine | undefined): FieldError[] {
  const errors = new Map<string, FieldError>();
  const add = (error: FieldError): void => {
    errors.set(`${error.field}\n${error.message}`, error);
  };
  for (const each of engine === undefined ? ENGINES : [engine]) {
    const { settings, problems } = userEngineSettings(each, spec, prefix);
    problems.forEach(add);
    for (const { field, key, owned } of settings) {
      if (!owned) continue;
      if (owned.unsupportedMode) {
        add({ field, message: `${owned.instead}; remove it` });
        continue;
      }
      add(field.startsWith(`${prefix}.config.`)
        ? { field, message: `is set by the operator and may not be set here (${owned.instead})` }
        : { field, message: `sets ${JSON.stringify(key)}, which the operator owns (${owned.instead}); remove it` });
    }
  }
  return [...errors.values()];
}
