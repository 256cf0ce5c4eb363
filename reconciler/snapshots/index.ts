export { planSnapshot, findMaster, type SnapshotPlan, type SnapshotPlanInput, type SnapshotSource } from './plan-snapshot.js';
export { classifyBgsaveReply, judgeBgsave, parsePersistence, type BgsaveProgress, type BgsaveReply, type PersistenceSample } from './bgsave-progress.js';
export { runBgsave, DEFAULT_SNAPSHOT_TIMEOUT_MS, type BgsaveResult, type RunBgsaveOptions } from './run-bgsave.js';
export { snapshotOutcome, SNAPSHOT_SUCCEEDED, type SnapshotOutcome } from './snapshot-outcome.js';
export { recordSnapshot, snapshotStatusPatch, SNAPSHOT_FIELD_MANAGER } from './record-snapshot.js';
export { SnapshotScheduler, type SnapshotSchedulerOptions, type RunNowResult } from './snapshot-scheduler.js';
export { SnapshotMetrics } from './snapshot-metrics.js';
export { runStoreSnapshot, snapshotCredentials, type SnapshotRunDeps } from './run-store-snapshot.js';
export { startSnapshotLoop, type SnapshotLoop, type SnapshotLoopOptions, type SnapshotSettings } from './start-snapshots.js';
