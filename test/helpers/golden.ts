/**
 * The recordings of a real kube-apiserver v1.32 (`shared/research/apiserver-golden/`, beside the repository as CI
 * lays it out). Tests that replay them skip with one line where the folder is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const GOLDEN_DIR = resolve(fileURLToPath(new URL('../..', import.meta.url)), '../shared/research/apiserver-golden');

/** `false` when the recordings are here, else the reason to skip (for `{ skip: goldenSkip }`). */
export const goldenSkip: string | false = existsSync(GOLDEN_DIR) ? false : `${GOLDEN_DIR} is not available (the golden recordings live beside the repository)`;

/** One recording file, parsed; `[]` when the folder is absent (the test using it is skipped). */
export function readGolden<T = unknown>(file: string): T[] {
  const path = `${GOLDEN_DIR}/${file.endsWith('.json') ? file : `${file}.json`}`;
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as T[] : [];
}
