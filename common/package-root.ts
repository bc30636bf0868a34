// Where netmon's own files are: the folder of its package.json, found by walking up from a file of
// the running code (dist/... in a checkout, node_modules/netmon/... in an install). The dashboard's
// browser files, the shipped config and the CLI shim are read relative to it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, NetmonError } from './errors.js';

/** The nearest folder at or above `from` whose package.json is named `name`. */
export function findPackageRoot(from: string, name = 'netmon'): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === name) return dir;
      } catch {
        // Not a readable manifest: keep walking up.
      }
    }
    if (dirname(dir) === dir) throw new NetmonError(ErrorCodes.USAGE, `cannot find the ${name} package root above ${from}`);
  }
}

/** The root of this netmon package (the repository in a checkout). */
export function repoRoot(): string {
  return findPackageRoot(dirname(fileURLToPath(import.meta.url)));
}
