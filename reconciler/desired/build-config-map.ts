/** ConfigMap `S-config`: the engine config file and the probe script, mounted read-only at /etc/redis. */
import type { V1ConfigMap } from '@kubernetes/client-node';
import { storeObjectNames } from '../../shared/names.js';
import type { KVStore } from '../../shared/schema/kvstore.js';
import { renderResolvedEngineConfig } from './build-engine-config.js';
import { probeScriptOptions, renderProbeScript } from './build-probe-script.js';
import { engineConfigKey, PROBE_SCRIPT_KEY } from './constants.js';
import { ownedObjectMeta, resolveStore, type DesiredContext, type ResolvedStore } from './store-context.js';

export function buildResolvedConfigMap(store: ResolvedStore): V1ConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: ownedObjectMeta(store, storeObjectNames(store.name).configMap),
    data: {
      [engineConfigKey(store.engine)]: renderResolvedEngineConfig(store),
      [PROBE_SCRIPT_KEY]: renderProbeScript(probeScriptOptions(store.spec)),
    },
  };
}

export function buildConfigMap(store: KVStore, context: DesiredContext = {}): V1ConfigMap {
  return buildResolvedConfigMap(resolveStore(store, context));
}
