// Tests of the overview's pure model (dashboard/public/overview-model.js, plain browser JS imported
// here as it is): the URL hash round trip and its defaults, status groups, search, the stable sort
// with unknown values last, filters and the page slice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importPublic } from './public.fixture.js';

interface Rec { id: string; host: string; tags: string[]; state: string; lastPollAt: number | null; inBps: number | null; outBps: number | null; utilization: number | null }
interface State { q: string; tag: string; status: string; sort: string; dir: 'asc' | 'desc'; page: number; size: number }
interface Model {
  DEFAULT_STATE: State;
  parseOverviewHash(hash: string): State;
  formatOverviewHash(state: State): string;
  statusGroup(state: string): string;
  matchesSearch(r: Rec, q: string): boolean;
  comparator(sort: string, dir: string): (a: Rec, b: Rec) => number;
  overviewPage(records: Rec[], state: State): { rows: Rec[]; matched: number; total: number; page: number; pages: number; first: number };
  allTags(records: Rec[]): string[];
  statusCounts(records: Rec[]): Record<string, number>;
  defaultDir(column: string): string;
}

const m = await importPublic<Model>('overview-model.js');
const rec = (id: string, over: Partial<Rec> = {}): Rec => ({ id, host: `10.0.0.${id.length}`, tags: [], state: 'up', lastPollAt: 1, inBps: 0, outBps: 0, utilization: 0, ...over });
const st = (over: Partial<State> = {}): State => ({ ...m.DEFAULT_STATE, ...over });
const ids = (rs: Rec[]) => rs.map((r) => r.id);

void test('hash: defaults, round trip, bad fields fall back one by one', async (t) => {
  const cases: Array<{ name: string; hash: string; want: Partial<State> }> = [
    { name: 'no query', hash: '#/', want: {} },
    { name: 'empty', hash: '', want: {} },
    { name: 'everything', hash: '#/?q=core%20ams&tag=lab&status=down&sort=inBps&dir=asc&page=3&size=100', want: { q: 'core ams', tag: 'lab', status: 'down', sort: 'inBps', dir: 'asc', page: 3, size: 100 } },
    { name: 'number column without dir: highest first', hash: '#/?sort=utilization', want: { sort: 'utilization', dir: 'desc' } },
    { name: 'unknown column, status, size and page', hash: '#/?sort=__proto__&status=sideways&size=7&page=-2&dir=up', want: {} },
    { name: 'page not a number', hash: '#/?page=abc', want: {} },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const s = m.parseOverviewHash(c.hash);
      assert.deepEqual(s, st(c.want));
      assert.deepEqual(m.parseOverviewHash(m.formatOverviewHash(s)), s, 'formats back to the same state');
    });
  }
  assert.equal(m.formatOverviewHash(st()), '#/', 'defaults leave the hash bare');
  assert.equal(m.formatOverviewHash(st({ q: 'a&b=c', page: 2 })), '#/?q=a%26b%3Dc&page=2');
});

void test('status groups: up, down, unknown', () => {
  const cases: Array<[string, string]> = [['up', 'up'], ['unreachable', 'down'], ['auth-failure', 'down'], ['error', 'down'], ['pending', 'unknown'], ['disabled', 'unknown'], ['unknown', 'unknown'], ['new-state', 'unknown']];
  for (const [state, group] of cases) assert.equal(m.statusGroup(state), group, state);
});

void test('search: every word in id, host or a tag, case-insensitive', async (t) => {
  const r = rec('Core-AMS-1', { host: 'core1.example.net', tags: ['backbone', 'eu'] });
  const cases: Array<[string, boolean]> = [['', true], ['  ', true], ['core', true], ['ams', true], ['EXAMPLE', true], ['backb', true], ['core eu', true], ['core us', false], ['zzz', false]];
  for (const [q, want] of cases) await t.test(JSON.stringify(q), () => assert.equal(m.matchesSearch(r, q), want));
});

void test('sort: natural names, numbers, status severity; ties by id; unknown last both ways', async (t) => {
  const rs = [
    rec('sw-10', { inBps: 5, state: 'up', host: 'b' }),
    rec('sw-2', { inBps: null, state: 'unreachable', host: 'a' }),
    rec('sw-1', { inBps: 5, state: 'pending', host: 'c' }),
    rec('r-3', { inBps: 9, state: 'error', host: 'a' }),
    rec('r-1', { inBps: null, state: 'up', host: 'B' }),
  ];
  const cases: Array<{ sort: string; dir: string; want: string[] }> = [
    { sort: 'id', dir: 'asc', want: ['r-1', 'r-3', 'sw-1', 'sw-2', 'sw-10'] },
    { sort: 'id', dir: 'desc', want: ['sw-10', 'sw-2', 'sw-1', 'r-3', 'r-1'] },
    { sort: 'inBps', dir: 'desc', want: ['r-3', 'sw-1', 'sw-10', 'r-1', 'sw-2'] },
    { sort: 'inBps', dir: 'asc', want: ['sw-1', 'sw-10', 'r-3', 'r-1', 'sw-2'] },
    { sort: 'state', dir: 'asc', want: ['r-3', 'sw-2', 'sw-1', 'r-1', 'sw-10'] },
    { sort: 'state', dir: 'desc', want: ['r-1', 'sw-10', 'sw-1', 'sw-2', 'r-3'] },
    // Host compare is case-insensitive: "b" and "B" tie and go by id.
    { sort: 'host', dir: 'asc', want: ['r-3', 'sw-2', 'r-1', 'sw-10', 'sw-1'] },
  ];
  for (const c of cases) {
    await t.test(`${c.sort} ${c.dir}`, () => {
      const sorted = [...rs].sort(m.comparator(c.sort, c.dir));
      assert.deepEqual(ids(sorted), c.want);
      assert.deepEqual(ids([...rs].reverse().sort(m.comparator(c.sort, c.dir))), c.want, 'the input order does not matter');
    });
  }
  assert.equal(m.defaultDir('inBps'), 'desc');
  assert.equal(m.defaultDir('id'), 'asc');
});

void test('overviewPage: filters, search, sort and the page slice', async (t) => {
  const rs: Rec[] = [];
  for (let i = 1; i <= 95; i++) rs.push(rec(`dev-${i}`, { tags: i % 3 === 0 ? ['edge'] : ['core'], state: i % 10 === 0 ? 'unreachable' : i % 7 === 0 ? 'pending' : 'up', inBps: i * 100 }));
  await t.test('everything, page 1', () => {
    const p = m.overviewPage(rs, st({ size: 25 }));
    assert.deepEqual([p.matched, p.total, p.page, p.pages, p.first], [95, 95, 1, 4, 0]);
    assert.deepEqual(ids(p.rows).slice(0, 3), ['dev-1', 'dev-2', 'dev-3']);
    assert.equal(p.rows.length, 25);
  });
  await t.test('last page is partial', () => {
    const p = m.overviewPage(rs, st({ size: 25, page: 4 }));
    assert.deepEqual(ids(p.rows), Array.from({ length: 20 }, (_, k) => `dev-${76 + k}`));
    assert.equal(p.first, 75);
  });
  await t.test('a page past the end shows the last', () => assert.equal(m.overviewPage(rs, st({ size: 25, page: 99 })).page, 4));
  await t.test('tag', () => {
    const p = m.overviewPage(rs, st({ tag: 'edge', size: 100 }));
    assert.equal(p.matched, 31);
    assert.ok(p.rows.every((r) => r.tags.includes('edge')));
  });
  await t.test('status down', () => assert.deepEqual(ids(m.overviewPage(rs, st({ status: 'down' })).rows), ['dev-10', 'dev-20', 'dev-30', 'dev-40', 'dev-50', 'dev-60', 'dev-70', 'dev-80', 'dev-90']));
  await t.test('status unknown', () => assert.deepEqual(ids(m.overviewPage(rs, st({ status: 'unknown' })).rows), ['dev-7', 'dev-14', 'dev-21', 'dev-28', 'dev-35', 'dev-42', 'dev-49', 'dev-56', 'dev-63', 'dev-77', 'dev-84', 'dev-91']));
  await t.test('search + tag + sort by in desc', () => {
    const p = m.overviewPage(rs, st({ q: 'dev-9', tag: 'edge', sort: 'inBps', dir: 'desc' }));
    assert.deepEqual(ids(p.rows), ['dev-93', 'dev-90', 'dev-9']);
  });
  await t.test('nothing matches: one empty page', () => {
    const p = m.overviewPage(rs, st({ q: 'nope' }));
    assert.deepEqual([p.rows.length, p.matched, p.page, p.pages], [0, 0, 1, 1]);
  });
  await t.test('does not reorder its input', () => {
    const copy = [...rs];
    m.overviewPage(rs, st({ sort: 'inBps', dir: 'desc' }));
    assert.deepEqual(rs, copy);
  });
});

void test('allTags and statusCounts', () => {
  const rs = [rec('a', { tags: ['x-10', 'lab'] }), rec('b', { tags: ['x-2'], state: 'unreachable' }), rec('c', { state: 'disabled' })];
  assert.deepEqual(m.allTags(rs), ['lab', 'x-2', 'x-10']);
  assert.deepEqual(m.statusCounts(rs), { up: 1, down: 1, unknown: 1 });
});
