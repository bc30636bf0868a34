// netmon dashboard page: one section per device, one card per interface (the device total first),
// each with a chart.js line chart of in/out bit/s per window and the latest window's values.
// Rules: plain browser JS, no build step; data comes from /api/devices, /api/recent and the
// WebSocket /live ("hello" with the recent windows on every (re)connect, then "window" messages);
// a window replaces the point with the same windowStart only when its revision is higher; a missing
// window is a gap (null), never a zero; reconnects back off exponentially up to 10 s; the DOM is
// built with textContent only (interface names come from devices, not from us).

const MAX_SLOTS = 180; // windows shown per chart (3 h of 60 s windows)
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const CLOSE_RESYNC = 4000;

const devicesEl = document.getElementById('devices');
const statusEl = document.querySelector('[data-testid="status"]');
const emptyEl = document.querySelector('[data-testid="empty"]');

/** deviceId -> { section, cardsEl, metaEl, cards: Map<seriesKey, card> } */
const devices = new Map();
/** deviceId -> the device's public description from /api/devices */
const deviceInfo = new Map();
const dirty = new Set();
let renderScheduled = false;

// ---- formatting -------------------------------------------------------------------------------

function scaled(value, units, step) {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  let i = 0;
  let v = Math.abs(value);
  while (v >= step && i < units.length - 1) {
    v /= step;
    i++;
  }
  const digits = v >= 100 || (i === 0 && v >= 10) ? 0 : v >= 10 ? 1 : v === 0 ? 0 : 2;
  return `${value < 0 ? '-' : ''}${v.toFixed(digits)} ${units[i]}`;
}

const formatBps = (v) => scaled(v, ['b/s', 'kb/s', 'Mb/s', 'Gb/s', 'Tb/s'], 1000);
const formatPps = (v) => scaled(v, ['pkt/s', 'kpkt/s', 'Mpkt/s'], 1000);
const formatBytes = (v) => (v === null || v === undefined ? '—' : `${Math.round(v)} B`);
const formatPercent = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(v >= 10 ? 0 : 1)} %`);

function formatTime(ms, withSeconds) {
  return new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: withSeconds ? '2-digit' : undefined });
}

// ---- DOM --------------------------------------------------------------------------------------

function el(tag, attrs, children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') node.textContent = v;
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children || []) node.appendChild(c);
  return node;
}

function setStatus(state, text) {
  statusEl.dataset.state = state;
  statusEl.textContent = text;
  document.body.classList.toggle('stale', state !== 'live');
}

function seriesKey(w) {
  return w.ifIndex === null ? w.deviceId : `${w.deviceId}/${w.ifIndex}`;
}

function describeDevice(entry, id) {
  const info = deviceInfo.get(id);
  entry.metaEl.textContent = '';
  if (!info) return;
  entry.metaEl.appendChild(document.createTextNode(`${info.host}:${info.port} · SNMP v${info.snmpVersion}${info.enabled ? '' : ' · disabled'} `));
  for (const t of info.tags) entry.metaEl.appendChild(el('span', { className: 'tag', text: t }));
}

function deviceEntry(id) {
  let entry = devices.get(id);
  if (entry) return entry;
  const metaEl = el('span', { className: 'device-meta', 'data-testid': 'device-meta' });
  const cardsEl = el('div', { className: 'cards' });
  const section = el('section', { className: 'device', 'data-testid': 'device-section', 'data-device-id': id }, [
    el('div', { className: 'device-header' }, [el('h2', { text: id, 'data-testid': 'device-name' }), metaEl]),
    cardsEl,
  ]);
  entry = { section, cardsEl, metaEl, cards: new Map() };
  devices.set(id, entry);
  describeDevice(entry, id);
  // Sections stay in device-id order whatever order the data arrives in.
  const next = [...devices.keys()].filter((k) => k > id).sort()[0];
  devicesEl.insertBefore(section, next === undefined ? null : devices.get(next).section);
  emptyEl.hidden = true;
  return entry;
}

const LATEST_FIELDS = [
  ['in-bps', 'in', 'in'],
  ['out-bps', 'out', 'out'],
  ['in-pps', 'in pkt/s', 'in'],
  ['out-pps', 'out pkt/s', 'out'],
  ['in-avg-size', 'in avg size', 'in'],
  ['out-avg-size', 'out avg size', 'out'],
  ['in-utilization', 'in util', 'in'],
  ['out-utilization', 'out util', 'out'],
  ['coverage', 'coverage', ''],
  ['window', 'window', ''],
];

function cardTitle(w) {
  if (w.ifIndex === null) return [el('span', { text: 'Device total' })];
  return [el('span', { text: w.ifName || `interface ${w.ifIndex}`, 'data-testid': 'interface-name' }), el('span', { className: 'ifindex', text: `#${w.ifIndex}` })];
}

function createCard(w, entry) {
  const key = seriesKey(w);
  const canvas = el('canvas', { 'aria-label': `traffic of ${key}`, role: 'img' });
  const fields = {};
  const latest = el('dl', { className: 'latest' });
  for (const [name, label, cls] of LATEST_FIELDS) {
    latest.appendChild(el('dt', { text: label }));
    fields[name] = latest.appendChild(el('dd', { className: cls, 'data-testid': `latest-${name}`, text: '—' }));
  }
  const rollup = w.ifIndex === null;
  const node = el(
    'article',
    { className: rollup ? 'card rollup' : 'card', 'data-testid': 'interface-card', 'data-series-key': key, 'data-if-index': rollup ? 'device' : String(w.ifIndex) },
    [el('h3', {}, cardTitle(w)), el('div', { className: 'chart' }, [canvas]), latest],
  );
  const card = { key, ifIndex: w.ifIndex, node, fields, points: new Map(), timeline: [], chart: null };
  // The device total first, then interfaces by ifIndex.
  const after = [...entry.cards.values()].filter((c) => c.ifIndex !== null && (rollup || c.ifIndex > w.ifIndex)).sort((a, b) => a.ifIndex - b.ifIndex)[0];
  entry.cardsEl.insertBefore(node, after ? after.node : null);
  entry.cards.set(key, card);
  // Created once the canvas is in the page, so chart.js can size it from its container.
  card.chart = createChart(canvas, card);
  return card;
}

// ---- charts -----------------------------------------------------------------------------------

/** A point with no neighbours would be invisible as a line; draw it as a dot. */
function isolatedRadius(ctx) {
  const d = ctx.dataset.data;
  const i = ctx.dataIndex;
  const missing = (j) => j < 0 || j >= d.length || d[j] === null;
  return missing(i - 1) && missing(i + 1) ? 3 : 0;
}

function dataset(label, color, dash) {
  return { label, data: [], borderColor: color, backgroundColor: color, borderWidth: 2, borderDash: dash, tension: 0, spanGaps: false, pointRadius: isolatedRadius, pointHoverRadius: 4 };
}

function createChart(canvas, card) {
  return new Chart(canvas, {
    type: 'line',
    data: { labels: [], datasets: [dataset('in', '#2563eb', []), dataset('out', '#d97706', [6, 4])] },
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
            title: (items) => (items.length ? new Date(card.timeline[items[0].dataIndex]).toLocaleString() : ''),
            label: (item) => `${item.dataset.label}: ${item.parsed.y === null ? 'no data' : formatBps(item.parsed.y)}`,
          },
        },
      },
    },
  });
}

/** Every window slot from the first kept point to the newest one; a slot without a window is null. */
function timelineOf(card) {
  const starts = [...card.points.keys()].sort((a, b) => a - b);
  const newest = card.points.get(starts[starts.length - 1]);
  const step = newest.windowEnd - newest.windowStart || 60_000;
  const first = Math.max(starts[0], newest.windowStart - (MAX_SLOTS - 1) * step);
  for (const s of starts) if (s < first) card.points.delete(s);
  const slots = [];
  for (let t = first; t <= newest.windowStart; t += step) slots.push(t);
  return { slots, step, newest };
}

function render(card) {
  if (card.points.size === 0) return;
  const { slots, step, newest } = timelineOf(card);
  card.timeline = slots;
  const pick = (field) => slots.map((t) => (card.points.has(t) ? card.points.get(t)[field] : null));
  card.chart.data.labels = slots.map((t) => formatTime(t, step < 60_000));
  card.chart.data.datasets[0].data = pick('inBps');
  card.chart.data.datasets[1].data = pick('outBps');
  card.chart.update('none');

  const values = {
    'in-bps': [newest.inBps, formatBps],
    'out-bps': [newest.outBps, formatBps],
    'in-pps': [newest.inPps, formatPps],
    'out-pps': [newest.outPps, formatPps],
    'in-avg-size': [newest.inAvgPacketSize, formatBytes],
    'out-avg-size': [newest.outAvgPacketSize, formatBytes],
    'in-utilization': [newest.inUtilization, formatPercent],
    'out-utilization': [newest.outUtilization, formatPercent],
    coverage: [newest.coverage * 100, formatPercent],
    window: [newest.windowStart, (t) => `${formatTime(t, step < 60_000)} (rev ${newest.revision})`],
  };
  for (const [name, [value, format]] of Object.entries(values)) {
    const field = card.fields[name];
    field.textContent = format(value);
    // The raw number, for tests and for anyone copying values.
    field.dataset.value = value === null ? '' : String(value);
  }
}

// ---- data -------------------------------------------------------------------------------------

function showWindowLength(ms) {
  const subtitle = document.querySelector('[data-testid="window-length"]');
  if (!subtitle || !(ms > 0)) return;
  const s = Math.round(ms / 1000);
  subtitle.textContent = `traffic per ${s % 60 === 0 ? `${s / 60}-minute` : `${s}-second`} window`;
}

function apply(w) {
  if (!w || typeof w.deviceId !== 'string' || typeof w.windowStart !== 'number') return;
  const entry = deviceEntry(w.deviceId);
  const card = entry.cards.get(seriesKey(w)) || createCard(w, entry);
  const prev = card.points.get(w.windowStart);
  if (prev && prev.revision >= w.revision) return;
  card.points.set(w.windowStart, w);
  showWindowLength(w.windowEnd - w.windowStart);
  dirty.add(card);
  // Many windows arrive at once (hello, resync): draw each chart once per batch, not once per window.
  if (!renderScheduled) {
    renderScheduled = true;
    setTimeout(() => {
      renderScheduled = false;
      for (const c of dirty) render(c);
      dirty.clear();
    }, 0);
  }
}

async function fetchJson(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  return res.json();
}

async function loadDevices() {
  try {
    for (const d of await fetchJson('/api/devices')) {
      deviceInfo.set(d.id, d);
      const entry = devices.get(d.id);
      if (entry) describeDevice(entry, d.id);
    }
  } catch (err) {
    console.warn('device list unavailable', err);
  }
}

async function loadRecent() {
  try {
    for (const w of await fetchJson('/api/recent')) apply(w);
  } catch (err) {
    console.warn('recent windows unavailable', err);
  }
}

// ---- live connection --------------------------------------------------------------------------

let attempt = 0;

function connect() {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`);
  socket.onmessage = (ev) => {
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    if (msg.type === 'hello') {
      // The hello carries the server's recent windows: applying them is the resync after a reconnect,
      // and it arrives on the same ordered channel as the live windows, so nothing falls in between.
      attempt = 0;
      setStatus('live', 'live');
      for (const w of msg.recent) apply(w);
    } else if (msg.type === 'window') {
      apply(msg.window);
    }
  };
  socket.onclose = (ev) => {
    // A resync close means "you fell behind": come back at once; anything else backs off.
    // Jitter spreads the reconnects of many open pages after a dashboard restart.
    const delay = ev.code === CLOSE_RESYNC ? 0 : Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** attempt * (0.75 + Math.random() * 0.5));
    attempt++;
    setStatus('reconnecting', ev.code === 1008 ? 'refused by server, retrying…' : 'reconnecting…');
    setTimeout(connect, delay);
  };
}

void loadDevices();
void loadRecent();
connect();
