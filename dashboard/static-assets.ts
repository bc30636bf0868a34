// The dashboard's browser files: index.html, app.js and app.css from dashboard/public/ in the
// source tree, and chart.js's UMD build from node_modules (no CDN: the appliance may be offline).
// Rules: the files are found from this module's location by walking up to the netmon package root,
// so it works from dashboard/*.ts and dist/dashboard/*.js alike; they are read once (at start) and
// served from memory, so a missing file fails start-up rather than a page load.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetmonError, ErrorCodes } from '../common/errors.js';

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** URL path -> asset. */
export type Assets = ReadonlyMap<AssetUrl, Asset>;

const HTML = 'text/html; charset=utf-8';
const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The nearest ancestor of `from` holding the package.json of the package named `name`. */
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

/** The URL paths the page needs, each served from memory. */
export const ASSET_URLS = ['/', '/app.js', '/app.css', '/vendor/chart.umd.js', '/live-model.js'] as const;
export type AssetUrl = (typeof ASSET_URLS)[number];

/** Where each URL path's file lives on disk. */
export function assetPaths(): ReadonlyMap<AssetUrl, { file: string; contentType: string }> {
  const here = dirname(fileURLToPath(import.meta.url));
  const publicDir = join(findPackageRoot(here), 'dashboard', 'public');
  // chart.js's "exports" map hides dist/chart.umd.js, so resolve the package entry and go next door.
  const chartDir = dirname(createRequire(import.meta.url).resolve('chart.js'));
  return new Map<AssetUrl, { file: string; contentType: string }>([
    ['/', { file: join(publicDir, 'index.html'), contentType: HTML }],
    ['/app.js', { file: join(publicDir, 'app.js'), contentType: JS }],
    ['/app.css', { file: join(publicDir, 'app.css'), contentType: CSS }],
    ['/vendor/chart.umd.js', { file: join(chartDir, 'chart.umd.js'), contentType: JS }],
    ['/live-model.js', { file: join(publicDir, 'live-model.js'), contentType: JS }],
  ]);
}

export async function loadAssets(paths = assetPaths()): Promise<Assets> {
  const out = new Map<AssetUrl, Asset>();
  for (const [url, { file, contentType }] of paths) {
    try {
      out.set(url, { body: await readFile(file), contentType });
    } catch (err) {
      throw new NetmonError(ErrorCodes.USAGE, `dashboard file for ${url} is missing: ${(err as Error).message}`, { cause: err });
    }
  }
  return out;
}
