// Tests of the static-asset registry: the browser files are found from wherever the compiled module
// runs; a missing file fails loading (start-up) with the path named; every file of
// dashboard/public/ is registered and every module a served module imports is served, so no page
// asks for a file that 404s; pages carry the one CSP, which is also helmet's; the alerts page is
// served only with the alerts API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { ASSET_URLS, CONTENT_SECURITY_POLICY, CSP_DIRECTIVES, STATIC_ASSETS, assetPaths, loadAssets, publicDir, registerStaticAssets } from './static-assets.js';

const here = dirname(fileURLToPath(import.meta.url));

async function app(options: { alerts: boolean }) {
  const a = Fastify();
  registerStaticAssets(a, options);
  await a.ready();
  return a;
}

void test('every asset URL has a file, chart.js included', async () => {
  const paths = assetPaths();
  assert.deepEqual([...paths.keys()], [...ASSET_URLS]);
  const assets = await loadAssets(paths);
  assert.ok(assets.get('/vendor/chart.umd.js')!.body.length > 100_000, 'the full UMD build, not a stub');
});

void test('a missing file fails loading and names the URL', async () => {
  const paths = new Map([['/app.js' as const, { file: join(here, 'no-such-file.js'), contentType: 'text/javascript' }]]);
  await assert.rejects(loadAssets(paths), /dashboard file for \/app\.js is missing/);
});

void test('every page, script and style of dashboard/public is registered, and every import of a module is served', () => {
  const dir = publicDir();
  const files = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(d, e.name)) : [relative(dir, join(d, e.name))]));
  const browserFiles = files(dir).filter((f) => /\.(html|js|css)$/.test(f)).sort();
  const registered = STATIC_ASSETS.filter((a) => !('fromPackage' in a)).map((a) => a.file as string);
  assert.deepEqual([...registered].sort(), browserFiles, 'a file on disk is served, and a served file exists');

  const urls = new Set<string>(ASSET_URLS);
  for (const a of STATIC_ASSETS.filter((x) => x.file.endsWith('.js') && !('fromPackage' in x))) {
    const source = readFileSync(join(dir, a.file), 'utf8');
    for (const [, spec] of source.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)) {
      assert.match(spec, /^\.\.?\//, `${a.url} imports ${spec}: relative imports only (no bare names without a build step)`);
      const url = posix.join(posix.dirname(a.url), spec);
      assert.ok(urls.has(url), `${a.url} imports ${spec}, served at ${url}`);
    }
  }
  for (const page of STATIC_ASSETS.filter((x) => x.file.endsWith('.html'))) {
    const html = readFileSync(join(dir, page.file), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
    assert.ok(scripts.length > 0, `${page.url} has a script`);
    for (const attrs of scripts) {
      assert.match(attrs, /^ type="module" src="([^"]+)"$/, `${page.url}: one script style, <script type="module" src=...>`);
      assert.ok(urls.has(/src="([^"]+)"/.exec(attrs)![1]), `${page.url} loads ${attrs}, which is served`);
    }
  }
});

void test('one CSP: on every page, and as the helmet directives', async (t) => {
  const a = await app({ alerts: true });
  t.after(() => a.close());
  for (const url of ['/', '/admin.html', '/login.html', '/alerts']) {
    const res = await a.inject({ url });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['content-security-policy'], CONTENT_SECURITY_POLICY, url);
    assert.equal(res.headers['cache-control'], 'no-cache', url);
  }
  const js = await a.inject({ url: '/utils/http.js' });
  assert.match(String(js.headers['content-type']), /^text\/javascript/);
  assert.equal(js.headers['content-security-policy'], undefined, 'scripts need no policy of their own');
  assert.equal(Object.entries(CSP_DIRECTIVES).map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; '), CONTENT_SECURITY_POLICY);
  assert.equal((await a.inject({ url: '/admin' })).headers.location, '/admin.html');
});

void test('alerts page and its files are served, the page under a self-only CSP', async (t) => {
  const a = await app({ alerts: true });
  t.after(() => a.close());
  const page = await a.inject({ url: '/alerts' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  assert.match(page.body, /src="\/alerts\.js"/);
  assert.doesNotMatch(page.body, /<script>|style=/, 'no inline script or style');
  assert.match((await a.inject({ url: '/alerts.js' })).body, /\/api\/alerts\/active/);
  assert.equal((await a.inject({ url: '/alerts.css' })).statusCode, 200);
});

void test('without the alerts API there is no alerts page', async (t) => {
  const a = await app({ alerts: false });
  t.after(() => a.close());
  for (const url of ['/alerts', '/alerts.js', '/alerts.css']) assert.equal((await a.inject({ url })).statusCode, 404, url);
  assert.equal((await a.inject({ url: '/' })).statusCode, 200);
});
