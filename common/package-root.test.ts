import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetmonError } from './errors.js';
import { findPackageRoot, repoRoot } from './package-root.js';

const here = dirname(fileURLToPath(import.meta.url));

void test('findPackageRoot walks up to the netmon package', () => {
  const root = findPackageRoot(here);
  assert.ok(existsSync(join(root, 'dashboard', 'public', 'index.html')));
  assert.equal(findPackageRoot(join(root, 'dashboard', 'public')), root);
  assert.equal(repoRoot(), root);
  assert.throws(() => findPackageRoot('/', 'netmon'), NetmonError);
});
