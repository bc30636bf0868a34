// Tests that the browser files are found from wherever the compiled module runs, and that a
// missing file fails loading (start-up) with the path named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetmonError } from '../common/errors.js';
import { ASSET_URLS, assetPaths, findPackageRoot, loadAssets } from './static-assets.js';

const here = dirname(fileURLToPath(import.meta.url));

void test('findPackageRoot walks up to the netmon package', () => {
  const root = findPackageRoot(here);
  assert.ok(existsSync(join(root, 'dashboard', 'public', 'index.html')));
  assert.equal(findPackageRoot(join(root, 'dashboard', 'public')), root);
  assert.throws(() => findPackageRoot('/', 'netmon'), NetmonError);
});

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
