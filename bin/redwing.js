#!/usr/bin/env node
// The `redwing` executable. It runs the compiled JavaScript in dist/ when `npm run build` made it and no source
// changed since (plain Node: tsx costs about 100 MB of RSS in a long-running process and slows every start);
// otherwise it registers tsx and runs the TypeScript sources as they are, so `npx redwing …` works right after
// `npm ci` with no build step. REDWING_RUN_FROM=source forces the sources, REDWING_RUN_FROM=dist forces dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDistFresh } from '../scripts/dist-freshness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'cli', 'main.js');
const from = process.env.REDWING_RUN_FROM;
if (from === 'dist' || (from !== 'source' && existsSync(compiled) && isDistFresh(root))) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
