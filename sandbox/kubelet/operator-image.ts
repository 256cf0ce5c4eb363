// The operator's own image, as the sandbox runs it: this checkout (or an image folder `npm run image:assemble` made)
// mounted read-only at the Dockerfile's WORKDIR /app, with the image's ENTRYPOINT, CMD and ENV, run by the host's
// node through the kubelet's `node` shim (which keeps its servers on the pod's own address). The image names mapped
// here are the repository the manifests use plus any listed in REDWING_OPERATOR_IMAGE, whatever the tag: an
// upgrade to another tag runs the same build, as a registry serving a rebuilt image would.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository manifests/ and the chart name (`ghcr.io/redwing-dev/redwing:<tag>`). */
export const DEFAULT_OPERATOR_REPOSITORY = 'ghcr.io/redwing-dev/redwing';
/** Comma-separated further repositories (or `repo:tag` names; the tag is ignored) that run the operator's build. */
export const OPERATOR_IMAGE_ENV = 'REDWING_OPERATOR_IMAGE';
/** An image folder (`npm run image:assemble -- <dir>`) to run instead of this checkout. */
export const OPERATOR_IMAGE_DIR_ENV = 'REDWING_OPERATOR_IMAGE_DIR';
/** The Dockerfile's WORKDIR, where the image's files are. */
export const OPERATOR_IMAGE_WORKDIR = '/app';

/** The repository part of an image reference: no digest, no tag (a port in the registry host is kept). */
export function imageRepository(image: string): string {
  return image.split('@')[0]!.replace(/:[^/]*$/, '').toLowerCase();
}

export function operatorRepositories(env: NodeJS.ProcessEnv = process.env): string[] {
  const extra = (env[OPERATOR_IMAGE_ENV] ?? '').split(',').map((name) => name.trim()).filter(Boolean).map(imageRepository);
  return [DEFAULT_OPERATOR_REPOSITORY, ...extra];
}

export function isOperatorImage(image: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return operatorRepositories(env).includes(imageRepository(image));
}

/** The checkout this sandbox runs from: the nearest folder up from this file that holds bin/redwing.js. */
function checkoutRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'bin', 'redwing.js')) && existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  throw new Error(`no checkout with bin/redwing.js above ${fileURLToPath(import.meta.url)}`);
}

export interface OperatorFilesystem {
  /** The host folder mounted at `mountPath`. */
  hostRoot: string;
  mountPath: string;
  workingDir: string;
  /** The image's ENV (the container's env wins over it, as in a runtime). */
  env: Record<string, string>;
}

/**
 * Where the image's files come from. An assembled folder is the final stage exactly (REDWING_RUN_FROM=dist, as its
 * Dockerfile sets); the checkout lets bin/redwing.js choose dist/ when fresh, else the TypeScript sources with tsx.
 */
export function operatorFilesystem(env: NodeJS.ProcessEnv = process.env): OperatorFilesystem {
  const assembled = env[OPERATOR_IMAGE_DIR_ENV];
  const imageEnv: Record<string, string> = assembled ? { NODE_ENV: 'production', REDWING_RUN_FROM: 'dist' } : { NODE_ENV: 'production' };
  return {
    hostRoot: assembled ? resolve(assembled) : checkoutRoot(),
    mountPath: OPERATOR_IMAGE_WORKDIR,
    workingDir: OPERATOR_IMAGE_WORKDIR,
    env: imageEnv,
  };
}

/** The image's ENTRYPOINT ["node", "/app/bin/redwing.js"] and CMD ["--help"], as a runtime combines them. */
export function operatorArgv(command: string[] | undefined, args: string[] | undefined): string[] {
  if (command && command.length > 0) return [...command, ...(args ?? [])];
  return ['node', `${OPERATOR_IMAGE_WORKDIR}/bin/redwing.js`, ...(args && args.length > 0 ? args : ['--help'])];
}
