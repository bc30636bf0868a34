// netmon dashboard page: two views in one page, chosen by the URL hash.
//   #/ (overview): every device with status, current in/out bit/s, utilization and a sparkline;
//     top-N interfaces by utilization and by bit/s; recent alerts. Values change as windows arrive.
//   #/device/<id>: per-interface chart.js charts, live (recent windows) or history from InfluxDB
//     (/api/history: 1 h, 6 h, 24 h, 7 d, 30 d; drag across a chart to zoom, "reset zoom" to go back).
// Rules: plain browser JS, no build step, no inline script or style (the page's CSP forbids them);
// data from REST (/api/devices, /api/recent, /api/live/status, /api/live/alerts) on load and after
// every reconnect, and from the WebSocket /live, told which view this page shows (the overview gets
// the device totals and the server's top lists, a device page that device's windows); windows are
// deduplicated by revision (live-model.js);
// a missing window is a gap (null), never a zero; reconnects back off exponentially with jitter; the
// DOM is built with textContent only (names come from devices, not from us).
import { createWindowStore, formatBps, formatPercent, formatPps, rowToWindow, seriesKey, timeline, topN, utilization, backoffDelay } from './live-model.js';

const LIVE_SLOTS = 180; // windows per live chart (3 h of 60 s windows)
const SPARK_SLOTS = 30;
const TOP_N = 10;
const CLOSE_RESYNC = 4000;
const HISTORY_RANGES = ['1h', '6h', '24h', '7d', '30d'];
const IN_COLOR = '#2563eb';
const OUT_COLOR = '#d97706';

const store = createWindowStore(LIVE_SLOTS);
/** deviceId -> DeviceStatus */
const statuses = new Map();
/** deviceId -> public device from /api/devices */
const deviceInfo = new Map();
let alerts = [];
let fields = null;
/** The overview's top lists as the server last sent them ({utilization, bps} of windows), or null. */
let serverTop = null;
/** The open /live socket, to tell the server which view this page shows. */
let liveSocket = null;

const viewEl = document.getElementById('view');
const statusEl = document.querySelector('[data-testid="status"]');

// ---- DOM helpers ------------------------------------------------------------------------------

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children || []) node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

function setField(node, text, value) {
  node.textContent = text;
  // The raw number, for tests and for anyone copying values.
  node.dataset.value = value === null || value === undefined ? '' : String(value);
}

function setConnection(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  document.body.classList.toggle('stale', state !== 'live');
}

function formatTime(ms, long) {
  const d = new Date(ms);
  return long ? d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }) : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function ago(ms) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 120 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}

/** The device total: its rollup series when the processor sends one, else nothing. */
function deviceTotal(id) {
  return store.latest(id);
}

function deviceIds() {
  const ids = new Set([...deviceInfo.keys(), ...statuses.keys()]);
  for (const k of store.keys()) ids.add(k.split('/')[0]);
  return [...ids].sort();
}

function interfaceKeys(id) {
  return store
    .keys()
    .filter((k) => k.startsWith(`${id}/`))
    .sort((a, b) => Number(a.split('/')[1]) - Number(b.split('/')[1]));
}

// ---- charts -----------------------------------------------------------------------------------

/** A point with no neighbours would be invisible as a line: draw it as a dot; partial windows as hollow dots. */
function pointRadius(partial) {
  return (ctx) => {
    const d = ctx.dataset.data;
    const i = ctx.dataIndex;
    const missing = (j) => j < 0 || j >= d.length || d[j] === null;
    if (d[i] === null) return 0;
    if (partial && partial[i]) return 3;
    return missing(i - 1) && missing(i + 1) ? 3 : 0;
  };
}

function lineDataset(label, color, dash, partial) {
  return {
    label, data: [], borderColor: color, backgroundColor: color, borderWidth: 2, borderDash: dash, tension: 0,
    spanGaps: false, pointRadius: pointRadius(partial), pointBackgroundColor: (ctx) => (partial && partial[ctx.dataIndex] ? '#ffffff' : color), pointHoverRadius: 4,
  };
}

function createLineChart(canvas, state) {
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [lineDataset('in', IN_COLOR, [], state.partial), lineDataset('out', OUT_COLOR, [6, 4], state.partial)] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      scales: {
        x: { ticks: { autoSkip: true, maxTicksLimit: 8, maxRotation: 0 } },
        y: { beginAtZero: true, ticks: { callback: (v) => formatBps(v) } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { boxWidth: 12 } },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? new Date(state.t[items[0].dataIndex]).toLocaleString() : ''),
            label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? 'no data' : formatBps(item.parsed.y)}`,
            afterBody: (items) => {
              const c = items.length ? state.coverage[items[0].dataIndex] : null;
              return c !== null && c !== undefined && c < 1 ? `partial window: ${Math.round(c * 100)} % covered` : '';
            },
          },
        },
      },
    },
  });
}

/** Draws t / in / out / coverage (null = gap) on a chart made by createLineChart. */
function drawSeries(chart, state, t, inBps, outBps, coverage, long) {
  state.t = t;
  state.coverage = coverage;
  state.partial.length = 0;
  for (const c of coverage) state.partial.push(c !== null && c < 1);
  chart.data.labels = t.map((x) => formatTime(x, long));
  // Dates with times are wide labels: fewer of them so they do not overlap.
  chart.options.scales.x.ticks.maxTicksLimit = long ? 5 : 8;
  chart.data.datasets[0].data = inBps;
  chart.data.datasets[1].data = outBps;
  chart.update('none');
}

function sparkline(canvas) {
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [{ data: [], borderColor: IN_COLOR, borderWidth: 1.5, pointRadius: 0, spanGaps: false, tension: 0 }] },
    options: { animation: false, responsive: false, events: [], plugins: { legend: { display: false }, tooltip: { enabled: false } }, scales: { x: { display: false }, y: { display: false, beginAtZero: true } } },
  });
}

// ---- overview ---------------------------------------------------------------------------------

let overview = null;

function buildOverview() {
  const rows = el('tbody', { 'data-testid': 'device-rows' });
  const table = el('table', { className: 'devices', 'data-testid': 'devices-table' }, [
    el('thead', {}, [el('tr', {}, ['device', 'status', 'last poll', 'in', 'out', 'utilization', 'last windows'].map((h) => el('th', { text: h })))]),
    rows,
  ]);
  const topUtil = el('ol', { className: 'top', 'data-testid': 'top-utilization' });
  const topBps = el('ol', { className: 'top', 'data-testid': 'top-bps' });
  const alertList = el('ul', { className: 'alerts', 'data-testid': 'alerts' });
  const empty = el('p', { className: 'empty', 'data-testid': 'empty', text: 'Waiting for devices and windows…' });
  viewEl.replaceChildren(
    el('section', { className: 'panel' }, [el('h2', { text: 'Devices' }), empty, table]),
    el('div', { className: 'tops' }, [
      el('section', { className: 'panel' }, [el('h2', { text: `Top ${TOP_N} interfaces by utilization` }), topUtil]),
      el('section', { className: 'panel' }, [el('h2', { text: `Top ${TOP_N} interfaces by bit/s` }), topBps]),
      el('section', { className: 'panel' }, [el('h2', { text: 'Recent alerts' }), alertList]),
    ]),
  );
  overview = { rows, topUtil, topBps, alertList, empty, table, devices: new Map() };
}

function overviewRow(id) {
  let row = overview.devices.get(id);
  if (row) return row;
  const cells = {};
  const link = el('a', { href: `#/device/${encodeURIComponent(id)}`, text: id, 'data-testid': 'device-link' });
  const tr = el('tr', { 'data-testid': 'device-row', 'data-device-id': id });
  tr.appendChild(el('td', {}, [link]));
  for (const name of ['state', 'last-poll', 'in-bps', 'out-bps', 'utilization']) tr.appendChild((cells[name] = el('td', { 'data-testid': `device-${name}`, className: name })));
  const canvas = el('canvas', { width: '160', height: '32', 'aria-label': `recent traffic of ${id}`, role: 'img' });
  tr.appendChild(el('td', {}, [canvas]));
  const next = [...overview.devices.keys()].filter((k) => k > id).sort()[0];
  overview.rows.insertBefore(tr, next === undefined ? null : overview.devices.get(next).tr);
  row = { tr, cells, spark: sparkline(canvas) };
  overview.devices.set(id, row);
  return row;
}

function renderOverview() {
  const ids = deviceIds();
  overview.empty.hidden = ids.length > 0;
  overview.table.hidden = ids.length === 0;
  for (const id of ids) {
    const row = overviewRow(id);
    const s = statuses.get(id);
    const info = deviceInfo.get(id);
    const state = s ? s.state : info && !info.enabled ? 'disabled' : 'unknown';
    row.cells.state.dataset.state = state;
    setField(row.cells.state, state === 'auth-failure' ? 'auth failure' : state, state);
    if (s && s.lastError) row.cells.state.title = s.lastError;
    setField(row.cells['last-poll'], s ? ago(s.lastPollAt) : '—', s ? s.lastPollAt : null);
    const total = deviceTotal(id);
    setField(row.cells['in-bps'], formatBps(total ? total.inBps : null), total ? total.inBps : null);
    setField(row.cells['out-bps'], formatBps(total ? total.outBps : null), total ? total.outBps : null);
    const u = total ? utilization(total) : null;
    setField(row.cells.utilization, formatPercent(u), u);
    const { points } = timeline(store.windows(id), SPARK_SLOTS);
    row.spark.data.labels = points.map((_, i) => i);
    row.spark.data.datasets[0].data = points.map((w) => (w ? w.inBps + w.outBps : null));
    row.spark.update('none');
  }
  const latest = store
    .keys()
    .filter((k) => k.includes('/'))
    .map((k) => store.latest(k));
  // The server's top lists (overview view) look at every interface; until one arrives, what this page holds.
  fillTop(overview.topUtil, serverTop ? serverTop.utilization : topN(latest, utilization, TOP_N), (w) => formatPercent(utilization(w)));
  fillTop(overview.topBps, serverTop ? serverTop.bps : topN(latest, (w) => w.inBps + w.outBps, TOP_N), (w) => `${formatBps(w.inBps)} in · ${formatBps(w.outBps)} out`);
  overview.alertList.replaceChildren(
    ...alerts
      .slice(-10)
      .reverse()
      .map((a) => el('li', { className: `alert ${a.state} ${a.severity}`, 'data-testid': 'alert' }, [el('span', { className: 'when', text: formatTime(a.ts, true) }), ` ${a.deviceId}${a.ifIndex ? `/${a.ifIndex}` : ''} ${a.state}: ${a.message}`])),
  );
  if (alerts.length === 0) overview.alertList.replaceChildren(el('li', { className: 'muted', text: 'none' }));
}

function fillTop(list, windows, describe) {
  list.replaceChildren(
    ...windows.map((w) =>
      el('li', { 'data-testid': 'top-entry', 'data-series-key': seriesKey(w) }, [
        el('a', { href: `#/device/${encodeURIComponent(w.deviceId)}`, text: `${w.deviceId} ${w.ifName || `#${w.ifIndex}`}` }),
        el('span', { className: 'value', text: ` ${describe(w)}` }),
      ]),
    ),
  );
}

// ---- device page ------------------------------------------------------------------------------

let devicePage = null;

function buildDevicePage(id) {
  const buttons = el('div', { className: 'ranges', role: 'group', 'aria-label': 'time range' });
  for (const r of ['live', ...HISTORY_RANGES]) {
    const b = el('button', { type: 'button', text: r, 'data-range': r, 'data-testid': `range-${r}` });
    b.addEventListener('click', () => selectRange(r));
    buttons.appendChild(b);
  }
  const reset = el('button', { type: 'button', text: 'reset zoom', 'data-testid': 'reset-zoom', className: 'reset' });
  reset.hidden = true;
  reset.addEventListener('click', () => selectRange(devicePage.range));
  const note = el('span', { className: 'range-note', 'data-testid': 'range-note' });
  const statusLine = el('span', { className: 'device-meta', 'data-testid': 'device-status' });
  const cards = el('div', { className: 'cards', 'data-testid': 'cards' });
  viewEl.replaceChildren(
    el('div', { className: 'device-header' }, [el('a', { href: '#/', text: '← overview' }), el('h2', { text: id, 'data-testid': 'device-name' }), statusLine]),
    el('div', { className: 'toolbar' }, [buttons, reset, note]),
    cards,
  );
  devicePage = { id, range: 'live', zoom: null, cards: new Map(), cardsEl: cards, buttons, reset, note, statusLine, loadSeq: 0 };
}

function deviceCard(key, ifIndex, name) {
  let card = devicePage.cards.get(key);
  if (card) return card;
  const canvas = el('canvas', { 'aria-label': `traffic of ${key}`, role: 'img' });
  const latest = el('dl', { className: 'latest' });
  const fieldsEl = {};
  for (const [f, label, cls] of [['in-bps', 'in', 'in'], ['out-bps', 'out', 'out'], ['in-pps', 'in pkt/s', 'in'], ['out-pps', 'out pkt/s', 'out'], ['in-utilization', 'in util', 'in'], ['out-utilization', 'out util', 'out'], ['coverage', 'coverage', ''], ['window', 'window', '']]) {
    latest.appendChild(el('dt', { text: label }));
    fieldsEl[f] = latest.appendChild(el('dd', { className: cls, 'data-testid': `latest-${f}`, text: '—' }));
  }
  const title = ifIndex === null ? [el('span', { text: 'Device total' })] : [el('span', { text: name || `interface ${ifIndex}`, 'data-testid': 'interface-name' }), el('span', { className: 'ifindex', text: `#${ifIndex}` })];
  const node = el('article', { className: ifIndex === null ? 'card rollup' : 'card', 'data-testid': 'interface-card', 'data-series-key': key, 'data-if-index': ifIndex === null ? 'device' : String(ifIndex) }, [
    el('h3', {}, title),
    el('div', { className: 'chart' }, [canvas]),
    latest,
  ]);
  const after = [...devicePage.cards.values()].filter((c) => c.ifIndex !== null && (ifIndex === null || c.ifIndex > ifIndex)).sort((a, b) => a.ifIndex - b.ifIndex)[0];
  devicePage.cardsEl.insertBefore(node, after ? after.node : null);
  const state = { t: [], coverage: [], partial: [] };
  card = { key, ifIndex, node, fields: fieldsEl, state, canvas, chart: null };
  devicePage.cards.set(key, card);
  card.chart = createLineChart(canvas, state);
  attachZoom(card);
  return card;
}

/** Drag across a chart to zoom the history to the selected time span (mouse, no plugin needed). */
function attachZoom(card) {
  let startX = null;
  card.canvas.addEventListener('mousedown', (ev) => {
    startX = ev.offsetX;
  });
  card.canvas.addEventListener('mouseup', (ev) => {
    if (startX === null) return;
    const x0 = Math.min(startX, ev.offsetX);
    const x1 = Math.max(startX, ev.offsetX);
    startX = null;
    if (x1 - x0 < 10 || card.state.t.length < 2) return;
    const scale = card.chart.scales.x;
    const i0 = Math.max(0, Math.round(scale.getValueForPixel(x0)));
    const i1 = Math.min(card.state.t.length - 1, Math.round(scale.getValueForPixel(x1)));
    if (i1 <= i0) return;
    const step = card.state.t[1] - card.state.t[0];
    void loadHistory({ from: card.state.t[i0], to: card.state.t[i1] + step });
  });
}

function renderLiveCard(card) {
  const ws = store.windows(card.key);
  if (ws.length === 0) return;
  const newest = ws[ws.length - 1];
  if (devicePage.range === 'live') {
    const { t, points } = timeline(ws, LIVE_SLOTS);
    drawSeries(card.chart, card.state, t, points.map((w) => (w ? w.inBps : null)), points.map((w) => (w ? w.outBps : null)), points.map((w) => (w ? w.coverage : null)), false);
  }
  setField(card.fields['in-bps'], formatBps(newest.inBps), newest.inBps);
  setField(card.fields['out-bps'], formatBps(newest.outBps), newest.outBps);
  setField(card.fields['in-pps'], formatPps(newest.inPps), newest.inPps);
  setField(card.fields['out-pps'], formatPps(newest.outPps), newest.outPps);
  setField(card.fields['in-utilization'], formatPercent(newest.inUtilization), newest.inUtilization);
  setField(card.fields['out-utilization'], formatPercent(newest.outUtilization), newest.outUtilization);
  setField(card.fields.coverage, formatPercent(newest.coverage * 100), newest.coverage);
  setField(card.fields.window, `${formatTime(newest.windowStart, false)} (rev ${newest.revision})`, newest.windowStart);
}

function renderDevicePage() {
  const id = devicePage.id;
  const s = statuses.get(id);
  const info = deviceInfo.get(id);
  devicePage.statusLine.textContent = `${info ? `${info.host}:${info.port} · ` : ''}${s ? `${s.state}, last poll ${ago(s.lastPollAt)}${s.lastError ? ` (${s.lastError})` : ''}` : 'no status yet'}`;
  devicePage.statusLine.dataset.state = s ? s.state : 'unknown';
  for (const key of [id, ...interfaceKeys(id)]) {
    const w = store.latest(key);
    if (!w) continue;
    renderLiveCard(deviceCard(key, w.ifIndex, w.ifName));
  }
  for (const b of devicePage.buttons.children) b.classList.toggle('active', b.dataset.range === devicePage.range && !devicePage.zoom);
}

function selectRange(range) {
  devicePage.range = range;
  devicePage.zoom = null;
  devicePage.reset.hidden = true;
  if (range === 'live') {
    devicePage.note.textContent = 'live: recent windows, updated as they arrive';
    devicePage.note.dataset.resolution = 'live';
    renderDevicePage();
  } else void loadHistory(null);
}

async function loadHistory(zoom) {
  const page = devicePage;
  const seq = ++page.loadSeq;
  page.zoom = zoom;
  page.reset.hidden = !zoom;
  const span = zoom ? `from=${new Date(zoom.from).toISOString()}&to=${new Date(zoom.to).toISOString()}` : `range=${page.range === 'live' ? '1h' : page.range}`;
  page.note.textContent = 'loading history…';
  // A device with no recent windows still has its stored history: start with the device total.
  if (page.cards.size === 0) deviceCard(page.id, null, null);
  const cards = [...page.cards.values()];
  try {
    const results = await Promise.all(cards.map((c) => fetchJson(`/api/history?device=${encodeURIComponent(page.id)}&ifIndex=${c.ifIndex === null ? 'device' : c.ifIndex}&${span}`)));
    if (seq !== page.loadSeq || devicePage !== page) return;
    results.forEach((h, i) => {
      const long = h.to - h.from > 86_400_000;
      drawSeries(cards[i].chart, cards[i].state, h.t, h.inBps, h.outBps, h.coverage, long);
      cards[i].node.dataset.historyPoints = String(h.inBps.filter((v) => v !== null).length);
    });
    const h = results[0];
    page.note.dataset.resolution = h ? h.resolution : '';
    page.note.textContent = h ? `${formatTime(h.from, true)} – ${formatTime(h.to, true)} · ${h.resolution === 'rollup' ? '1-hour rollups' : 'per window'}${zoom ? ' · zoomed' : ' · drag across a chart to zoom'}` : 'no interfaces yet';
    for (const b of page.buttons.children) b.classList.toggle('active', b.dataset.range === page.range && !zoom);
  } catch (err) {
    if (seq === page.loadSeq) page.note.textContent = `history unavailable: ${err.message}`;
  }
}

/**
 * The device's windows of the last hour from REST (InfluxDB), else the dashboard's recent ones:
 * the overview view did not receive every interface, and the cards should not wait for the next window.
 */
async function loadDeviceWindows(id) {
  try {
    const ws = await fetchJson(`/api/windows?device=${encodeURIComponent(id)}`);
    for (const w of ws) store.add(w);
  } catch (err) {
    console.info('stored windows unavailable, using the recent ones', err.message);
    try {
      for (const w of await fetchJson('/api/recent')) if (w.deviceId === id) store.add(w);
    } catch (err2) {
      console.warn('recent windows unavailable', err2.message);
    }
  }
  scheduleRender();
}

// ---- routing and rendering --------------------------------------------------------------------

let renderScheduled = false;

function scheduleRender() {
  if (renderScheduled) return;
  renderScheduled = true;
  // Many windows arrive at once (hello, a batch): draw once per batch, not once per window.
  setTimeout(() => {
    renderScheduled = false;
    if (devicePage) renderDevicePage();
    else if (overview) renderOverview();
  }, 0);
}

/** What this page shows, as the /live query: the server then sends only those windows (and a hello to match). */
function viewQuery() {
  const m = /^#\/device\/(.+)$/.exec(location.hash);
  return m ? `view=device&device=${encodeURIComponent(decodeURIComponent(m[1]))}` : 'view=overview';
}

async function route() {
  const m = /^#\/device\/(.+)$/.exec(location.hash);
  devicePage = null;
  overview = null;
  document.body.dataset.view = m ? 'device' : 'overview';
  // Another view: reconnect at once, so the hello brings what the new view shows.
  if (liveSocket && liveSocket.readyState === WebSocket.OPEN) {
    switchingView = true;
    liveSocket.close(1000, 'view change');
  }
  if (m) {
    const id = decodeURIComponent(m[1]);
    buildDevicePage(id);
    selectRange('live');
    await loadDeviceWindows(id);
  } else buildOverview();
  scheduleRender();
}

// ---- data -------------------------------------------------------------------------------------

async function fetchJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) {
    let detail = '';
    try {
      detail = (await res.json()).message || '';
    } catch {
      // not JSON
    }
    throw new Error(`${path.split('?')[0]}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`);
  }
  return res.json();
}

function applyStatus(s) {
  const prev = statuses.get(s.deviceId);
  if (prev && (prev.lastPollAt ?? -1) > (s.lastPollAt ?? -1)) return;
  statuses.set(s.deviceId, s);
}

/** Reloads everything the live feed could have missed (on load and after every reconnect). */
async function resyncFromRest() {
  const [devices, recent, status, recentAlerts] = await Promise.allSettled([fetchJson('/api/devices'), fetchJson('/api/recent'), fetchJson('/api/live/status'), fetchJson('/api/live/alerts')]);
  if (devices.status === 'fulfilled') for (const d of devices.value) deviceInfo.set(d.id, d);
  if (recent.status === 'fulfilled') for (const w of recent.value) store.add(w);
  if (status.status === 'fulfilled') for (const s of status.value) applyStatus(s);
  if (recentAlerts.status === 'fulfilled') alerts = recentAlerts.value;
  for (const r of [devices, recent, status, recentAlerts]) if (r.status === 'rejected') console.warn('resync: part of the state is unavailable', r.reason.message);
  scheduleRender();
}

// ---- live connection --------------------------------------------------------------------------

let attempt = 0;
let connectedBefore = false;
let switchingView = false;
/** The next hello follows a view switch, not a lost connection: nothing to reload from REST. */
let afterViewSwitch = false;

function connect() {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live?${viewQuery()}`);
  let resync = false;
  liveSocket = socket;
  socket.onmessage = (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      attempt = 0;
      fields = msg.fields;
      setConnection('live', 'live');
      for (const row of msg.windows) store.add(rowToWindow(fields, row));
      for (const s of msg.status) applyStatus(s);
      if (msg.alerts.length) alerts = msg.alerts;
      if (msg.top) serverTop = { utilization: msg.top.utilization.map((r) => rowToWindow(fields, r)), bps: msg.top.bps.map((r) => rowToWindow(fields, r)) };
      // After a reconnect, REST fills in what the hello does not carry (the device list, full alerts).
      if (connectedBefore && !afterViewSwitch) void resyncFromRest();
      afterViewSwitch = false;
      connectedBefore = true;
    } else if (msg.type === 'windows' && fields) {
      for (const row of msg.rows) store.add(rowToWindow(fields, row));
      if (msg.top) {
        serverTop = { utilization: msg.top.utilization.map((r) => rowToWindow(fields, r)), bps: msg.top.bps.map((r) => rowToWindow(fields, r)) };
        for (const w of [...serverTop.utilization, ...serverTop.bps]) store.add(w);
      }
    } else if (msg.type === 'status') {
      applyStatus(msg.status);
    } else if (msg.type === 'alert') {
      alerts.push(msg.alert);
      if (alerts.length > 100) alerts.shift();
    } else if (msg.type === 'resync') {
      resync = true;
    }
    scheduleRender();
  };
  socket.onclose = (ev) => {
    // A resync means "you fell behind": come back at once; anything else backs off with jitter,
    // which spreads the reconnects of many open pages after a dashboard restart.
    const now = resync || ev.code === CLOSE_RESYNC || switchingView;
    afterViewSwitch = switchingView;
    switchingView = false;
    const delay = now ? 0 : backoffDelay(attempt, Math.random());
    attempt++;
    setConnection('reconnecting', ev.code === 1008 ? 'refused by server, retrying…' : now ? 'resyncing…' : 'reconnecting…');
    setTimeout(connect, delay);
  };
}

window.addEventListener('hashchange', () => void route());
void route();
void resyncFromRest();
connect();
