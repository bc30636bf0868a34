// The dashboard's static-asset registry: every page and browser file it serves, at which URL, and
// the one content security policy of every page (and, through @fastify/helmet, of every other
// response but Swagger UI's /docs). The files are dashboard/public/ as it is on disk (pages, their
// ES modules, utils/ shared by every page) plus chart.js's UMD build from node_modules (no CDN: the
// appliance may be offline). Rules: a URL mirrors the file's path under dashboard/public/ (but the
// pages / and /alerts, and chart.js under /vendor/), so the modules' relative imports resolve in the
// browser as on disk; the files are found from this module's location by walking up to the netmon
// package root, so it works from dashboard/*.ts and dist/dashboard/*.js alike; they are read once
// (when the app gets ready) and served from memory, so a missing file fails start-up rather than a
// page load; every response asks the browser to revalidate (after an upgrade a page must not mix old
// and new files).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { NetmonError, ErrorCodes } from '../common/errors.js';
import { repoRoot } from '../common/package-root.js';

/**
 * The policy of every page: only this origin, no inline script or style, no framing. connect-src
 * allows the live WebSocket (ws:/wss:).
 */
export const CONTENT_SECURITY_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; script-src 'self'; style-src 'self'; form-action 'self'";

/** The same policy as @fastify/helmet's directives (name -> sources). */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
  CONTENT_SECURITY_POLICY.split(';').map((directive) => {
    const [name, ...sources] = directive.trim().split(/\s+/);
    return [name, sources];
  }),
);

interface StaticAsset {
  readonly url: string;
  /** The file's path under dashboard/public/, or in `fromPackage`'s folder. */
  readonly file: string;
  /** Served from this npm package's folder instead of dashboard/public/. */
  readonly fromPackage?: string;
  /** Served only when the dashboard has this part (the alerts page needs the alerts API). */
  readonly part?: 'alerts';
}

/** Every page and file, grouped by the page that needs it. */
export const STATIC_ASSETS = [
  // The dashboard page (index.html): the overview and device views, routed by app.js.
  { url: '/', file: 'index.html' },
  { url: '/app.js', file: 'app.js' },
  { url: '/app.css', file: 'app.css' },
  { url: '/vendor/chart.umd.js', file: 'chart.umd.js', fromPackage: 'chart.js' },
  { url: '/live-model.js', file: 'live-model.js' },
  { url: '/overview.js', file: 'overview.js' },
  { url: '/device.js', file: 'device.js' },
  // Shared by the pages: DOM helpers, the HTTP helper, the live socket, the charts.
  { url: '/utils/dom.js', file: 'utils/dom.js' },
  { url: '/utils/http.js', file: 'utils/http.js' },
  { url: '/utils/live-socket.js', file: 'utils/live-socket.js' },
  { url: '/utils/charts.js', file: 'utils/charts.js' },
  // The devices admin page and the login form.
  { url: '/admin.html', file: 'admin.html' },
  { url: '/admin.js', file: 'admin.js' },
  { url: '/admin.css', file: 'admin.css' },
  { url: '/login.html', file: 'login.html' },
  { url: '/login.js', file: 'login.js' },
  // The alerts page.
  { url: '/alerts', file: 'alerts.html', part: 'alerts' },
  { url: '/alerts.js', file: 'alerts.js', part: 'alerts' },
  { url: '/alerts.css', file: 'alerts.css', part: 'alerts' },
] as const satisfies readonly StaticAsset[];

export type AssetUrl = (typeof STATIC_ASSETS)[number]['url'];
export const ASSET_URLS: readonly AssetUrl[] = STATIC_ASSETS.map((a) => a.url);

/** Old addresses kept working. */
const REDIRECTS = [['/admin', '/admin.html']] as const;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** URL path -> asset. */
export type Assets = ReadonlyMap<AssetUrl, Asset>;

/** dashboard/public/ of this netmon. */
export function publicDir(): string {
  return join(repoRoot(), 'dashboard', 'public');
}

/** Where each URL path's file lives on disk, and its content type. */
export function assetPaths(assets: readonly StaticAsset[] = STATIC_ASSETS): ReadonlyMap<AssetUrl, { file: string; contentType: string }> {
  const dir = publicDir();
  const require = createRequire(import.meta.url);
  // chart.js's "exports" map hides dist/chart.umd.js, so resolve the package entry and go next door.
  const packageDir = (name: string) => dirname(require.resolve(name));
  return new Map(
    assets.map((a) => [a.url as AssetUrl, { file: join(a.fromPackage ? packageDir(a.fromPackage) : dir, a.file), contentType: CONTENT_TYPES[extname(a.file)] ?? 'application/octet-stream' }]),
  );
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

/**
 * Serves every page and file of the registry (register it once). `alerts`: the dashboard has the
 * alerts API, so the alerts page is served too.
 */
export function registerStaticAssets(app: FastifyInstance, options: { alerts: boolean }): void {
  const served = STATIC_ASSETS.filter((a) => !('part' in a) || options[a.part]);
  let assets: Assets | null = null;
  // Read when the app gets ready (listen() or the first inject()), so a missing file fails early.
  app.addHook('onReady', async () => {
    assets = await loadAssets(assetPaths(served));
  });
  for (const { url } of served) {
    // Pages and scripts hold no data (that comes from the API, which checks roles): anyone may load them, the login page first.
    app.get(url, { config: { role: 'anonymous' } }, (_req, reply) => {
      const asset = assets?.get(url);
      if (!asset) return reply.callNotFound();
      if (asset.contentType === CONTENT_TYPES['.html']) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      return reply.header('cache-control', 'no-cache').type(asset.contentType).send(asset.body);
    });
  }
  for (const [from, to] of REDIRECTS) app.get(from, { config: { role: 'anonymous' } }, (_req, reply) => reply.redirect(to));
}
