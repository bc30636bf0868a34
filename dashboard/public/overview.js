// The overview view of the dashboard page (#/): the device table (id, host, tags, status, last poll,
// current in/out bit/s, utilization, a sparkline of its last windows) with search, tag and status
// filters, sorting by any column and paging; the top interfaces by utilization and by bit/s; the
// recent alerts. Built for thousands of devices. Rules: it draws from the page's live state
// (live-model.js) and fetches nothing itself; the table logic is the pure overview-model.js; the
// DOM holds only the rows of the shown page (a pool of row elements, reassigned, never rebuilt);
// however many messages arrive, it draws at most once per animation frame, and a row's sparkline
// is redrawn only when that device's windows changed; the table state lives in the URL hash
// (history.replaceState, which neither adds history entries nor fires hashchange, so the page's
// router and its /live connection stay as they are), so it survives a reload.
import { ago, deviceIds, formatBps, formatPercent, formatTime, seriesKey, timeline, topN, utilization } from './live-model.js';
import { COLUMNS, PAGE_SIZES, STATUS_GROUPS, allTags, defaultDir, formatOverviewHash, overviewPage, parseOverviewHash, statusCounts } from './overview-model.js';
import { createSparkline, drawSparkline } from './utils/charts.js';
import { el, setField } from './utils/dom.js';

const SPARK_SLOTS = 30;
/** Main-thread time per frame for sparkline redraws (chart.js, about 1.5 ms each): the rest waits for the next frame. */
const SPARK_BUDGET_MS = 8;
const TOP_N = 10;
/** The performance mark set when the table first shows rows (the browser test's first paint). */
export const FIRST_ROWS_MARK = 'netmon-overview-first-rows';

/** The table's record of one device: what the columns sort and filter on. */
function deviceRecord(live, id) {
  const s = live.statuses.get(id);
  const info = live.devices.get(id);
  // The device total: its rollup series when the processor sends one, else nothing.
  const total = live.store.latest(id);
  return {
    id,
    host: info ? info.host : '',
    tags: info && Array.isArray(info.tags) ? info.tags : [],
    state: s ? s.state : info && !info.enabled ? 'disabled' : 'unknown',
    lastError: s ? s.lastError : null,
    lastPollAt: s ? s.lastPollAt : null,
    inBps: total ? total.inBps : null,
    outBps: total ? total.outBps : null,
    utilization: total ? utilization(total) : null,
    total,
  };
}

/** Replaces a node's children only when `signature` changed (the top lists and alerts every frame). */
function replaceIfChanged(node, signature, build) {
  if (node.dataset.signature === signature) return;
  node.dataset.signature = signature;
  node.replaceChildren(...build());
}

/** Builds the overview in `viewEl`; render() draws `live` (the page's live state) into it. */
export function createOverviewView(viewEl, live) {
  let state = parseOverviewHash(location.hash);

  const search = el('input', { type: 'search', placeholder: 'Search id, host, tag…', 'aria-label': 'search devices', 'data-testid': 'device-search' });
  search.value = state.q;
  const tagSelect = el('select', { 'aria-label': 'filter by tag', 'data-testid': 'tag-filter' });
  const statusSelect = el('select', { 'aria-label': 'filter by status', 'data-testid': 'status-filter' });
  const sizeSelect = el('select', { 'aria-label': 'devices per page', 'data-testid': 'page-size' }, PAGE_SIZES.map((n) => el('option', { value: String(n), text: `${n} a page` })));
  sizeSelect.value = String(state.size);
  const count = el('span', { className: 'count', 'data-testid': 'overview-count' });
  const headers = new Map();
  const headRow = el('tr', {});
  for (const [key, col] of Object.entries(COLUMNS)) {
    const button = el('button', { type: 'button', className: 'sort', 'data-testid': `sort-${key}`, text: col.label });
    button.addEventListener('click', () => {
      update(state.sort === key ? { sort: key, dir: state.dir === 'asc' ? 'desc' : 'asc', page: 1 } : { sort: key, dir: defaultDir(key), page: 1 });
    });
    const th = el('th', { scope: 'col', 'data-column': key }, [button]);
    headers.set(key, th);
    headRow.appendChild(th);
  }
  headRow.appendChild(el('th', { scope: 'col', text: 'last windows' }));
  const rows = el('tbody', { 'data-testid': 'device-rows' });
  const table = el('table', { className: 'devices', 'data-testid': 'devices-table' }, [el('thead', {}, [headRow]), rows]);
  const pageButtons = {};
  for (const [name, text] of [['first', '«'], ['prev', '‹ previous'], ['next', 'next ›'], ['last', '»']]) pageButtons[name] = el('button', { type: 'button', 'data-testid': `page-${name}`, text });
  const pageInfo = el('span', { className: 'page-info', 'data-testid': 'page-info' });
  const pager = el('nav', { className: 'pager', 'aria-label': 'pages' }, [pageButtons.first, pageButtons.prev, pageInfo, pageButtons.next, pageButtons.last]);
  // The pager sits above the table, beside the count: a page of 50 rows is taller than the screen.
  const toolbar = el('div', { className: 'table-tools' }, [search, tagSelect, statusSelect, sizeSelect, count, pager]);
  const topUtil = el('ol', { className: 'top', 'data-testid': 'top-utilization' });
  const topBps = el('ol', { className: 'top', 'data-testid': 'top-bps' });
  const alertList = el('ul', { className: 'alerts', 'data-testid': 'alerts' });
  const empty = el('p', { className: 'empty', 'data-testid': 'empty', text: 'Waiting for devices and windows…' });
  const noMatch = el('p', { className: 'empty', 'data-testid': 'no-match', text: 'No device matches.' });
  // The top lists and alerts first: with thousands of devices the table is pages long, and what is
  // busiest or alerting must be seen without scrolling past it.
  viewEl.replaceChildren(
    el('div', { className: 'tops' }, [
      el('section', { className: 'panel' }, [el('h2', { text: `Top ${TOP_N} interfaces by utilization` }), topUtil]),
      el('section', { className: 'panel' }, [el('h2', { text: `Top ${TOP_N} interfaces by bit/s` }), topBps]),
      el('section', { className: 'panel' }, [el('h2', { text: 'Recent alerts' }), alertList]),
    ]),
    el('section', { className: 'panel' }, [el('h2', { text: 'Devices' }), empty, toolbar, table, noMatch]),
  );

  /** The row elements, reused for whichever devices the page shows: {tr, link, cells, spark, id, drawn}. */
  const pool = [];
  /** The page as last drawn (the pager's buttons move from it; user actions draw at once, so it is current). */
  let shown = { page: 1, pages: 1 };
  let frame = 0;
  /** Rows whose sparkline waits for a redraw, and the frame that will draw them. */
  const sparkQueue = new Set();
  let sparkFrame = 0;
  let firstRowsMarked = false;

  function update(change) {
    state = { ...state, ...change };
    window.history.replaceState(window.history.state, '', formatOverviewHash(state));
    // A user's action is drawn at once (one draw, not one per frame), so the next click sees its result.
    if (frame !== 0) window.cancelAnimationFrame(frame);
    draw();
  }

  search.addEventListener('input', () => update({ q: search.value, page: 1 }));
  tagSelect.addEventListener('change', () => update({ tag: tagSelect.value, page: 1 }));
  statusSelect.addEventListener('change', () => update({ status: statusSelect.value, page: 1 }));
  sizeSelect.addEventListener('change', () => update({ size: Number(sizeSelect.value), page: Math.floor(((shown.page - 1) * state.size) / Number(sizeSelect.value)) + 1 }));
  pageButtons.first.addEventListener('click', () => update({ page: 1 }));
  pageButtons.prev.addEventListener('click', () => update({ page: Math.max(1, shown.page - 1) }));
  pageButtons.next.addEventListener('click', () => update({ page: Math.min(shown.pages, shown.page + 1) }));
  pageButtons.last.addEventListener('click', () => update({ page: shown.pages }));

  function poolRow(i) {
    if (pool[i]) return pool[i];
    const cells = {};
    const link = el('a', { 'data-testid': 'device-link' });
    const tr = el('tr', { 'data-testid': 'device-row' });
    tr.appendChild(el('td', {}, [link]));
    for (const name of ['host', 'tags', 'state', 'last-poll', 'in-bps', 'out-bps', 'utilization']) tr.appendChild((cells[name] = el('td', { 'data-testid': `device-${name}`, className: name })));
    const canvas = el('canvas', { width: '160', height: '32', role: 'img' });
    tr.appendChild(el('td', {}, [canvas]));
    // The chart comes with its first draw (drawSparks): creating 50 at once would hold up the first paint.
    pool[i] = { tr, link, canvas, cells, spark: null, id: null, drawn: '' };
    return pool[i];
  }

  function fillRow(row, r, now) {
    if (row.id !== r.id) {
      row.id = r.id;
      row.tr.dataset.deviceId = r.id;
      row.link.href = `#/device/${encodeURIComponent(r.id)}`;
      row.link.textContent = r.id;
      row.canvas.setAttribute('aria-label', `recent traffic of ${r.id}`);
      // Until drawSparks gets to it, the canvas still holds the previous device's line: not shown.
      row.canvas.classList.add('pending');
    }
    setField(row.cells.host, r.host, r.host);
    setField(row.cells.tags, r.tags.join(' '), r.tags.join(' '));
    const { state: st } = r;
    row.cells.state.dataset.state = st;
    setField(row.cells.state, st === 'auth-failure' ? 'auth failure' : st, st);
    if (r.lastError) row.cells.state.title = r.lastError;
    else row.cells.state.removeAttribute('title');
    setField(row.cells['last-poll'], r.lastPollAt ? ago(r.lastPollAt, now) : '—', r.lastPollAt);
    setField(row.cells['in-bps'], formatBps(r.inBps), r.inBps);
    setField(row.cells['out-bps'], formatBps(r.outBps), r.outBps);
    setField(row.cells.utilization, formatPercent(r.utilization), r.utilization);
    // The sparkline is the costly part: redrawn only when this row's device or its newest window
    // changed, and then within a time budget per frame (drawSparks), so the numbers never wait for it.
    const t = r.total;
    const drawn = `${r.id}\n${t ? `${t.windowStart}:${t.revision}:${live.store.windows(r.id).length}` : ''}`;
    if (row.drawn !== drawn) {
      row.drawn = drawn;
      sparkQueue.add(row);
    }
  }

  function drawSparks() {
    sparkFrame = 0;
    const until = window.performance.now() + SPARK_BUDGET_MS;
    for (const row of sparkQueue) {
      sparkQueue.delete(row);
      if (!row.tr.isConnected) {
        row.drawn = ''; // off the page now: drawn afresh when it comes back
        continue;
      }
      row.spark ??= createSparkline(row.canvas);
      const { points } = timeline(live.store.windows(row.id), SPARK_SLOTS);
      drawSparkline(row.spark, points.map((w) => (w ? w.inBps + w.outBps : null)));
      row.canvas.classList.remove('pending');
      if (window.performance.now() >= until) break;
    }
    if (sparkQueue.size > 0) sparkFrame = window.requestAnimationFrame(drawSparks);
  }

  function drawFilters(records) {
    const tags = allTags(records);
    if (state.tag && !tags.includes(state.tag)) tags.unshift(state.tag);
    replaceIfChanged(tagSelect, JSON.stringify(tags), () => [el('option', { value: '', text: 'all tags' }), ...tags.map((t) => el('option', { value: t, text: t }))]);
    tagSelect.value = state.tag;
    const counts = statusCounts(records);
    replaceIfChanged(statusSelect, JSON.stringify(counts), () => [el('option', { value: '', text: 'any status' }), ...STATUS_GROUPS.map((g) => el('option', { value: g, text: `${g} (${counts[g]})` }))]);
    statusSelect.value = state.status;
  }

  function drawTable(now) {
    const records = deviceIds(live).map((id) => deviceRecord(live, id));
    empty.hidden = records.length > 0;
    toolbar.hidden = records.length === 0;
    drawFilters(records);
    const view = overviewPage(records, state);
    // The page asked for stays in the state and the hash even when it is past the end (after a
    // reload the list fills in over several messages); what is drawn is clamped to the last page.
    shown = view;
    table.hidden = view.rows.length === 0;
    noMatch.hidden = records.length === 0 || view.matched > 0;
    pager.hidden = view.pages <= 1;
    for (const [key, th] of headers) th.setAttribute('aria-sort', key === state.sort ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    view.rows.forEach((r, i) => {
      const row = poolRow(i);
      fillRow(row, r, now);
      // The pool's row i is always the page's row i: inserted once, then only its contents change.
      if (rows.children[i] !== row.tr) rows.insertBefore(row.tr, rows.children[i] ?? null);
    });
    while (rows.children.length > view.rows.length) rows.lastChild.remove();
    const n = (x) => x.toLocaleString('en');
    count.textContent = view.matched === 0 ? `0 of ${n(view.total)} devices` : `${n(view.first + 1)}–${n(view.first + view.rows.length)} of ${n(view.matched)}${view.matched === view.total ? ' devices' : ` matching (${n(view.total)} devices)`}`;
    Object.assign(count.dataset, { matched: String(view.matched), total: String(view.total), first: String(view.first) });
    pageInfo.textContent = `page ${view.page} of ${view.pages}`;
    Object.assign(pageInfo.dataset, { page: String(view.page), pages: String(view.pages) });
    pageButtons.first.disabled = pageButtons.prev.disabled = view.page <= 1;
    pageButtons.next.disabled = pageButtons.last.disabled = view.page >= view.pages;
    if (!firstRowsMarked && view.rows.length > 0) {
      firstRowsMarked = true;
      window.performance.mark(FIRST_ROWS_MARK);
    }
  }

  function fillTop(list, windows, describe) {
    const sig = windows.map((w) => `${seriesKey(w)}:${w.windowStart}:${w.revision}`).join(' ');
    replaceIfChanged(list, sig, () =>
      windows.map((w) =>
        el('li', { 'data-testid': 'top-entry', 'data-series-key': seriesKey(w) }, [
          el('a', { href: `#/device/${encodeURIComponent(w.deviceId)}`, text: `${w.deviceId} ${w.ifName || `#${w.ifIndex}`}` }),
          el('span', { className: 'value', text: ` ${describe(w)}` }),
        ]),
      ),
    );
  }

  function drawSide() {
    // The server's top lists (overview view) look at every interface; until one arrives, what this page holds.
    let util = live.top ? live.top.utilization : null;
    let bps = live.top ? live.top.bps : null;
    if (!live.top) {
      const latest = live.store
        .keys()
        .filter((k) => k.includes('/'))
        .map((k) => live.store.latest(k));
      util = topN(latest, utilization, TOP_N);
      bps = topN(latest, (w) => w.inBps + w.outBps, TOP_N);
    }
    fillTop(topUtil, util, (w) => formatPercent(utilization(w)));
    fillTop(topBps, bps, (w) => `${formatBps(w.inBps)} in · ${formatBps(w.outBps)} out`);
    const recent = live.alerts.slice(-10).reverse();
    replaceIfChanged(alertList, recent.length === 0 ? 'none' : JSON.stringify(recent), () =>
      recent.length === 0
        ? [el('li', { className: 'muted', text: 'none' })]
        : recent.map((a) => el('li', { className: `alert ${a.state} ${a.severity}`, 'data-testid': 'alert' }, [el('span', { className: 'when', text: formatTime(a.ts, true) }), ` ${a.deviceId}${a.ifIndex ? `/${a.ifIndex}` : ''} ${a.state}: ${a.message}`])),
    );
  }

  function draw() {
    frame = 0;
    drawTable(Date.now());
    drawSide();
    if (sparkQueue.size > 0 && sparkFrame === 0) sparkFrame = window.requestAnimationFrame(drawSparks);
  }

  /** Asks for a draw in the next animation frame; any number of calls before it make one draw. */
  function render() {
    if (frame === 0) frame = window.requestAnimationFrame(draw);
  }

  function close() {
    if (frame !== 0) window.cancelAnimationFrame(frame);
    if (sparkFrame !== 0) window.cancelAnimationFrame(sparkFrame);
    frame = sparkFrame = 0;
    for (const row of pool) if (row.spark) row.spark.destroy();
  }

  return { render, close };
}
