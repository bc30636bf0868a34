// What build of netmon is running: the package version (package.json, so a checkout, an npm install
// and the Debian package all answer from the same file) and the Node.js runtime under it. Shown by
// `netmon --version` and exported as the netmon_build_info metric.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './package-root.js';

export interface BuildInfo {
  version: string;
  node: string;
  platform: string;
}

let cached: BuildInfo | null = null;

export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const manifest = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  cached = {
    version: typeof manifest.version === 'string' ? manifest.version : 'unknown',
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  return cached;
}

/** The line `netmon --version` prints. */
export function versionLine(): string {
  const b = buildInfo();
  return `netmon ${b.version} (node ${b.node}, ${b.platform})`;
}
