/** Desired state: pure builders from a KVStore (defaults applied) to the Kubernetes objects the reconciler owns. */
export { buildDesiredObjects, buildResolvedDesiredObjects, type DesiredObjects } from './build-desired-objects.js';
export {
  renderEngineConfig, renderResolvedEngineConfig, parseEngineConfig, restartConfigHash,
} from './build-engine-config.js';
export { buildEngineSettings, findIgnoredConfigKeys, type EngineSetting, type IgnoredConfigKey } from './engine-settings.js';
export { isLiveSettable } from './live-settings.js';
export { classifyConfigChange, classifySpecChange, type ConfigChange, type LiveSetting } from './config-change.js';
export { buildConfigMap } from './build-config-map.js';
export { buildServices, type StoreServices } from './build-services.js';
export { buildStatefulSet, buildPodTemplate } from './build-statefulset.js';
export { buildEngineContainer, buildExporterContainer, engineArgs } from './build-containers.js';
export { renderProbeScript, probeScriptOptions, type ProbeScriptOptions } from './build-probe-script.js';
export { buildPodDisruptionBudget } from './build-pdb.js';
export { buildNetworkPolicy, NAMESPACE_NAME_LABEL } from './build-network-policy.js';
export { buildAuthSecret, generatePassword } from './build-auth-secret.js';
export {
  buildExporterSecret, exporterSecretName, usesExporterUser, EXPORTER_USER, EXPORTER_PASSWORD_ENV, EXPORTER_PASSWORD_KEY, EXPORTER_ACL_RULES,
} from './build-exporter-auth.js';
export { buildPasswordRecord, passwordRecordName, PASSWORD_RECORD_KEY, PREVIOUS_PASSWORD_RECORD_KEY } from './build-password-record.js';
export { resolveStore, ownerReference, type DesiredContext, type ResolvedStore } from './store-context.js';
export * from './constants.js';
