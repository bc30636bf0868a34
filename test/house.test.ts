// The house rules of the source tree, checked on the sources themselves: floors run one way
// (common -> collector | processor | dashboard -> cli -> bench), the three services never import
// each other (what two of them need lives in common/), production code imports no fixture or test,
// and no production module is part of an import cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { repoRoot } from '../common/package-root.js';

const root = repoRoot();
const TOP = ['common', 'collector', 'processor', 'dashboard', 'cli', 'bench', 'test'] as const;
type Top = (typeof TOP)[number];

/** What each top-level folder may import besides itself. */
const MAY_IMPORT: Record<Top, readonly Top[]> = {
  common: [],
  collector: ['common'],
  processor: ['common'],
  dashboard: ['common'],
  cli: ['common', 'collector', 'processor', 'dashboard'],
  bench: ['common', 'collector', 'processor', 'dashboard', 'cli'],
  test: ['common', 'collector', 'processor', 'dashboard', 'cli'],
};

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'public') continue;
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(root, p));
  }
  return out;
}

const isTestOnly = (file: string) => /\.(test|fixture)\.ts$/.test(file) || file.startsWith(`test${sep}`) || file.startsWith(`bench${sep}`);
const topOf = (file: string) => file.split(sep)[0] as Top;

/** Relative imports of a file, as repository paths of .ts sources. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'|(?:^|\n)\s*import\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g)) {
    const spec = m[1] ?? m[2] ?? m[3];
    out.push(relative(root, resolve(dirname(join(root, file)), spec)).replace(/\.js$/, '.ts'));
  }
  return out;
}

const files = TOP.flatMap((t) => sources(join(root, t)));
const graph = new Map(files.map((f) => [f, importsOf(f)]));

test('house: every relative import resolves to a source file of the tree', () => {
  const known = new Set(files);
  const missing = [...graph].flatMap(([f, deps]) => deps.filter((d) => !known.has(d) && !d.endsWith('.d.ts')).map((d) => `${f} -> ${d}`));
  assert.deepEqual(missing, []);
});

test('house: floors run one way and the services never import each other', () => {
  const wrong = [...graph].flatMap(([f, deps]) =>
    deps.filter((d) => topOf(d) !== topOf(f) && !MAY_IMPORT[topOf(f)].includes(topOf(d))).map((d) => `${f} -> ${d}`),
  );
  assert.deepEqual(wrong, []);
});

test('house: production code imports no test, fixture, benchmark or test/ file', () => {
  const wrong = [...graph].filter(([f]) => !isTestOnly(f)).flatMap(([f, deps]) => deps.filter(isTestOnly).map((d) => `${f} -> ${d}`));
  assert.deepEqual(wrong, []);
});

test('house: no production module is part of an import cycle', () => {
  const production = files.filter((f) => !isTestOnly(f));
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string) => {
    state.set(f, 'open');
    path.push(f);
    for (const d of graph.get(f) ?? []) {
      if (isTestOnly(d)) continue;
      if (state.get(d) === 'open') cycles.push([...path.slice(path.indexOf(d)), d].join(' -> '));
      else if (!state.has(d)) visit(d);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of production) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});

test('house: the checks see the tree (a sanity bound, so an empty scan cannot pass)', () => {
  assert.ok(files.length > 150, `only ${files.length} sources found under ${root}`);
  assert.ok(files.includes(join('processor', 'core', 'index.ts')));
});
