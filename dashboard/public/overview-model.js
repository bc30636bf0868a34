// netmon dashboard, the overview's pure model: what the device table shows at thousands of devices.
// The table state (search, tag, status, sort column and direction, page, page size) and its URL hash
// form (#/?q=..&tag=..&status=..&sort=..&dir=..&page=..&size=..), the status groups (up, down,
// unknown), the search, the sort and the page slice. Rules: no DOM and no clock (plain ES module,
// imported as it is by Node's tests, dashboard/overview-model.test.ts); a hash that does not parse
// falls back to the defaults field by field, never throws (it comes from a URL anyone can edit);
// sorting is stable and total: ties go by device id, and an unknown value (null) sorts last in both
// directions, so an operator sorting by bit/s sees devices with data first either way.

/** The sortable columns: key -> how a record's value is read and compared. */
export const COLUMNS = {
  id: { label: 'device', kind: 'text', get: (r) => r.id },
  host: { label: 'host', kind: 'text', get: (r) => r.host },
  tags: { label: 'tags', kind: 'text', get: (r) => (r.tags.length ? r.tags.join(' ') : null) },
  state: { label: 'status', kind: 'status', get: (r) => r.state },
  lastPollAt: { label: 'last poll', kind: 'number', get: (r) => r.lastPollAt },
  inBps: { label: 'in', kind: 'number', get: (r) => r.inBps },
  outBps: { label: 'out', kind: 'number', get: (r) => r.outBps },
  utilization: { label: 'utilization', kind: 'number', get: (r) => r.utilization },
};

export const PAGE_SIZES = [25, 50, 100, 200];
export const STATUS_GROUPS = ['up', 'down', 'unknown'];

/** The table as first shown: every device, by id, 50 a page. */
export const DEFAULT_STATE = Object.freeze({ q: '', tag: '', status: '', sort: 'id', dir: 'asc', page: 1, size: 50 });

/** Device states that mean the poller cannot reach or read the device. */
const DOWN_STATES = new Set(['unreachable', 'auth-failure', 'error']);

/** A device state's group: up, down (unreachable, auth failure, error) or unknown (pending, disabled, no status yet). */
export function statusGroup(state) {
  if (state === 'up') return 'up';
  return DOWN_STATES.has(state) ? 'down' : 'unknown';
}

/** Status sort: problems first when ascending (down, unknown, up), then by the state's name. */
const STATUS_RANK = { down: 0, unknown: 1, up: 2 };

/** Natural order for names (sw-2 before sw-10), the same in Node and every browser. */
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** A clicked column's first direction: text A to Z, numbers highest first, status problems first. */
export function defaultDir(column) {
  return COLUMNS[column] && COLUMNS[column].kind === 'number' ? 'desc' : 'asc';
}

/** The table state of a location hash; each field that is missing or not valid takes its default. */
export function parseOverviewHash(hash) {
  const s = { ...DEFAULT_STATE };
  const i = typeof hash === 'string' ? hash.indexOf('?') : -1;
  if (i < 0) return s;
  const p = new URLSearchParams(hash.slice(i + 1));
  const q = p.get('q');
  if (q !== null) s.q = q.slice(0, 200);
  const tag = p.get('tag');
  if (tag !== null) s.tag = tag.slice(0, 200);
  const status = p.get('status');
  if (STATUS_GROUPS.includes(status)) s.status = status;
  const sort = p.get('sort');
  if (sort !== null && Object.hasOwn(COLUMNS, sort)) s.sort = sort;
  const dir = p.get('dir');
  s.dir = dir === 'asc' || dir === 'desc' ? dir : defaultDir(s.sort);
  const page = Number(p.get('page'));
  if (Number.isInteger(page) && page >= 1) s.page = page;
  const size = Number(p.get('size'));
  if (PAGE_SIZES.includes(size)) s.size = size;
  return s;
}

/** The hash of a table state: `#/` plus only the fields that differ from the defaults. */
export function formatOverviewHash(state) {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  if (state.tag) p.set('tag', state.tag);
  if (state.status) p.set('status', state.status);
  if (state.sort !== DEFAULT_STATE.sort || state.dir !== DEFAULT_STATE.dir) {
    p.set('sort', state.sort);
    p.set('dir', state.dir);
  }
  if (state.page !== 1) p.set('page', String(state.page));
  if (state.size !== DEFAULT_STATE.size) p.set('size', String(state.size));
  const text = p.toString();
  return text ? `#/?${text}` : '#/';
}

/**
 * Whether a record matches the search: every word of `q` (case-insensitive) is part of the id,
 * the host or one of the tags.
 */
export function matchesSearch(record, q) {
  const words = q.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = [record.id, record.host || '', ...record.tags].map((x) => x.toLowerCase());
  return words.every((word) => hay.some((h) => h.includes(word)));
}

/** A comparator for `sort` and `dir`: nulls last either way, ties by id (natural order). */
export function comparator(sort, dir) {
  const col = COLUMNS[sort] || COLUMNS.id;
  const sign = dir === 'desc' ? -1 : 1;
  const byId = (a, b) => collator.compare(a.id, b.id) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  let compareValues;
  if (col.kind === 'number') compareValues = (x, y) => x - y;
  else if (col.kind === 'status') compareValues = (x, y) => STATUS_RANK[statusGroup(x)] - STATUS_RANK[statusGroup(y)] || collator.compare(x, y);
  else compareValues = (x, y) => collator.compare(x, y);
  return (a, b) => {
    const x = col.get(a);
    const y = col.get(b);
    const xNull = x === null || x === undefined || (typeof x === 'number' && !Number.isFinite(x));
    const yNull = y === null || y === undefined || (typeof y === 'number' && !Number.isFinite(y));
    if (xNull || yNull) return xNull && yNull ? byId(a, b) : xNull ? 1 : -1;
    return sign * compareValues(x, y) || byId(a, b);
  };
}

/**
 * The table for a state: the records that match the search, tag and status, sorted, and the page's
 * slice. The page is clamped to the last page (a bookmarked page 9 of a list that shrank shows its
 * last page). Returns {rows, matched, total, page, pages, first} (first: the index of rows[0] in the
 * matching list).
 */
export function overviewPage(records, state) {
  const matching = records.filter((r) => (!state.tag || r.tags.includes(state.tag)) && (!state.status || statusGroup(r.state) === state.status) && matchesSearch(r, state.q));
  matching.sort(comparator(state.sort, state.dir));
  const pages = Math.max(1, Math.ceil(matching.length / state.size));
  const page = Math.min(Math.max(1, state.page), pages);
  const first = (page - 1) * state.size;
  return { rows: matching.slice(first, first + state.size), matched: matching.length, total: records.length, page, pages, first };
}

/** Every tag of the records, in natural order (the tag filter's choices). */
export function allTags(records) {
  const tags = new Set();
  for (const r of records) for (const t of r.tags) tags.add(t);
  return [...tags].sort((a, b) => collator.compare(a, b));
}

/** How many records are in each status group: {up, down, unknown}. */
export function statusCounts(records) {
  const out = { up: 0, down: 0, unknown: 0 };
  for (const r of records) out[statusGroup(r.state)]++;
  return out;
}
