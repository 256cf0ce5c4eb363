/**
 * The page's script. The build (tsc, `npm run build` and the image) compiles console/web/*.ts to ES modules next to
 * this file, which browsers load as they are: their imports are relative and end in `.js`. Run from source (tsx),
 * there is no compiled copy, so the sources are bundled once with esbuild, which tsx brings. Nothing is fetched from
 * the network in either case.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');

export interface WebAssets {
  /** the JavaScript of `/assets/<file>`, or undefined when there is no such asset */
  script(file: string): Promise<string | undefined>;
}

async function bundleFromSource(): Promise<string> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(WEB_DIR, 'main.ts')], bundle: true, write: false, format: 'esm', target: 'es2022', minify: false, logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export function loadWebAssets(): WebAssets {
  const compiled = existsSync(join(WEB_DIR, 'main.js'));
  let bundle: Promise<string> | undefined;
  return {
    async script(file) {
      if (!/^[\w-]+\.js$/.test(file)) return undefined;
      if (!compiled) {
        if (file !== 'main.js') return undefined;
        bundle ??= bundleFromSource();
        return bundle;
      }
      const path = normalize(join(WEB_DIR, file));
      return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
    },
  };
}
