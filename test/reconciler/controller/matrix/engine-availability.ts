/**
 * Which engines the end-to-end matrix can run here: redis always, valkey when valkey-server is installed, dragonfly
 * when REDWING_DRAGONFLY_BIN names a binary. A missing engine skips its file with one line saying how to get it.
 */
import { existsSync } from 'node:fs';
import { findOnPath } from '../../../../sandbox/kubelet/images.js';
import type { Engine } from '../../../../shared/schema/kvstore.js';

/** false when the engine runs here, else the reason to skip (node:test prints it). */
export function engineMissing(engine: Engine): false | string {
  if (engine === 'valkey') {
    return !findOnPath('valkey-server', process.env.PATH ?? '') && 'valkey-server is not installed (scripts/ensure-deps.mjs as root)';
  }
  if (engine === 'dragonfly') {
    const binary = process.env.REDWING_DRAGONFLY_BIN;
    if (!binary) return 'REDWING_DRAGONFLY_BIN is not set (no Dragonfly binary here)';
    return !existsSync(binary) && `REDWING_DRAGONFLY_BIN=${binary} does not exist`;
  }
  return false;
}
