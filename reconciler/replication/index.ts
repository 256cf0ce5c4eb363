/** Public API of the replication layer: everything the controller needs to talk to the engines. */
export {
  buildClientOptions, closeEngineConnection, endpointAddress, openEngineConnection, sendCommand, withEngineConnection,
  DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS,
  type ConnectOptions, type EngineClient, type EngineEndpoint, type EngineTls,
} from './engine-connection.js';
export {
  DEFAULT_FENCE, FENCE_MASTER_HOST, FENCE_MASTER_PORT, engineStateFromInfo, parseInfo, parseInfoRecord,
  type ConnectedReplica, type EngineKind, type EngineRole, type EngineState, type FencePlaceholder,
} from './info.js';
export { probeEngine, probeEngines, readEngineState, type ProbeOptions, type ProbeResult } from './probe.js';
export { pauseWrites } from './pause-writes.js';
export { compareSinceSplit, resolveSplitBrain, type PodCandidate, type SplitBrainDecision, type SplitComparison } from './split-brain.js';
export {
  demoteMaster, promoteToMaster, replicateFrom,
  type MasterAddress, type PodEndpoint, type PromotionOptions, type StepAction, type StepResult,
} from './promotion.js';
export {
  findReplicaEntry, pickSwitchoverTarget, switchover,
  type PickTargetOptions, type SwitchoverOptions, type SwitchoverResult, type TargetChoice,
} from './switchover.js';
export {
  HealthMonitor,
  type CheckOutcome, type HealthMonitorOptions, type MasterDownEvent, type MasterRoleEvent, type MasterUnreachableEvent, type MonitoredStore, type ReplicaDisconnectedEvent,
  type MonitorTarget, type TimerApi, type TriggerOptions,
} from './health-monitor.js';
export { checkReplicaView, openPingChannel, replicaStaleAfterSeconds, type PingChannel, type ReplicaView } from './monitor-channels.js';
export {
  applyConfigLive, configValue, isRestartOnlyError, minReplicasConfig, replicationTuningConfig, rotatePassword,
  type LiveConfigResult, type RotationPod, type RotationResult, type RotationStep,
} from './live-config.js';
export { mayHoldNewerData, observeMasterRole, type DataBounds, type DataView, type MasterRoleObservation } from './data-bounds.js';
