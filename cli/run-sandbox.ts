/** `redwing sandbox`: the embedded local cluster alone, or only its node side attached to another control plane. */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { startKubeletOnly, startSandbox } from '../sandbox/cluster.js';
import { createLogger } from '../shared/logger.js';
import type { FlagValues } from './flags.js';
import { waitForShutdownSignal } from './shutdown.js';

export async function runSandboxCommand(flags: FlagValues): Promise<void> {
  const logger = createLogger('sandbox');
  const dir = resolve(String(flags.dir));
  if (flags['kubelet-only']) {
    if (typeof flags.kubeconfig !== 'string') throw new Error('--kubelet-only needs --kubeconfig PATH: the API server to attach the kubelet to');
    const kubelet = await startKubeletOnly({ kubeconfigPath: resolve(flags.kubeconfig), dir, logger });
    console.log(`node side (kubelet, service proxy, storage provisioner) attached to ${flags.kubeconfig}; the control plane schedules, pods run as local processes under ${dir}`);
    await waitForShutdownSignal(logger);
    await kubelet.stop();
    return;
  }
  // The cluster resumes what an earlier run left in the directory (objects and volumes) unless asked for a fresh one.
  if (flags.fresh === true) rmSync(dir, { recursive: true, force: true });
  const sandbox = await startSandbox({ dir, logger, persist: true });
  console.log(sandbox.kubeconfigPath);
  console.error(`sandbox API server at ${sandbox.apiServerUrl}; try: kubectl --kubeconfig ${sandbox.kubeconfigPath} get namespaces`);
  await waitForShutdownSignal(logger);
  await sandbox.stop();
}
