/**
 * What a change to a store needs: settings to apply live with CONFIG SET (on every pod: the master and the replicas
 * must agree, and a replica may be promoted next), and reasons for a rolling restart (image, resources, args, pod
 * template, restart-only settings). The controller applies `live` first, then rolls the pods if `restart` is not
 * empty (replicas first, then a switchover).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Engine, KVStore } from '../../shared/schema/kvstore.js';
import { ANNOTATION_CONFIG_HASH } from '../../shared/labels.js';
import { parseEngineConfig, renderResolvedEngineConfig } from './build-engine-config.js';
import { buildPodTemplate } from './build-statefulset.js';
import { isLiveSettable } from './live-settings.js';
import { resolveStore, type DesiredContext } from './store-context.js';

export interface LiveSetting {
  key: string;
  /** The value for CONFIG SET (`save` as one string of pairs, "" to disable). */
  value: string;
}

export interface ConfigChange {
  /** CONFIG SET these on every pod. A setting the engine refuses still takes effect at the next restart. */
  live: LiveSetting[];
  /** Why the pods need a rolling restart; empty when they do not. */
  restart: string[];
  /** Settings dropped from the config: they keep their running value until the pod restarts with the engine default. */
  revertOnRestart: string[];
}

/** Compares two rendered engine configs (e.g. the live ConfigMap's and the desired one), setting by setting. */
export function classifyConfigChange(engine: Engine, previousConfig: string, nextConfig: string): ConfigChange {
  const before = parseEngineConfig(engine, previousConfig);
  const after = parseEngineConfig(engine, nextConfig);
  const change: ConfigChange = { live: [], restart: [], revertOnRestart: [] };
  for (const [key, value] of after) {
    if (before.get(key) === value) continue;
    if (isLiveSettable(engine, key)) change.live.push({ key, value });
    else change.restart.push(`setting ${key} changed and only takes effect after a restart`);
  }
  for (const key of before.keys()) {
    if (after.has(key)) continue;
    if (isLiveSettable(engine, key)) change.revertOnRestart.push(key);
    else change.restart.push(`setting ${key} was removed and only takes effect after a restart`);
  }
  return change;
}

type Template = ReturnType<typeof buildPodTemplate>;

function templateDifferences(before: Template, after: Template): string[] {
  const reasons: string[] = [];
  const beforeEngine = before.spec?.containers[0];
  const afterEngine = after.spec?.containers[0];
  const fields: Array<[string, unknown, unknown]> = [
    ['image', beforeEngine?.image, afterEngine?.image],
    ['resources', beforeEngine?.resources, afterEngine?.resources],
    ['args', beforeEngine?.args, afterEngine?.args],
    ['environment', beforeEngine?.env, afterEngine?.env],
    ['volumes', before.spec?.volumes, after.spec?.volumes],
    ['sidecars', before.spec?.containers.slice(1), after.spec?.containers.slice(1)],
    ['container security context', beforeEngine?.securityContext, afterEngine?.securityContext],
    ['pod security context', before.spec?.securityContext, after.spec?.securityContext],
  ];
  for (const [name, a, b] of fields) if (!isDeepStrictEqual(a, b)) reasons.push(`${name} changed`);
  const strip = (template: Template): Template => {
    const copy = structuredClone(template);
    delete copy.metadata?.annotations?.[ANNOTATION_CONFIG_HASH];
    return copy;
  };
  // Anything else in the template (scheduling, probes, grace period, pod metadata) is a new revision too.
  if (reasons.length === 0 && !isDeepStrictEqual(strip(before), strip(after))) reasons.push('pod template changed');
  return reasons;
}

/** Compares two versions of a store: the live/restart split of their configs plus pod template changes. */
export function classifySpecChange(previous: KVStore, next: KVStore, context: DesiredContext = {}): ConfigChange {
  const before = resolveStore(previous, context);
  const after = resolveStore(next, context);
  const change = classifyConfigChange(after.engine, renderResolvedEngineConfig(before), renderResolvedEngineConfig(after));
  change.restart.push(...templateDifferences(buildPodTemplate(before), buildPodTemplate(after)));
  return change;
}
